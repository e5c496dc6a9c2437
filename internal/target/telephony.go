package target

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/confsuite/apiconform/runner"
)

// Telephony describes one deployment of the Telephony API. Keys and their
// defaults are listed in the README; fixtures/telephony.yaml is the
// reference server's.
type Telephony struct {
	BasePath  string          `yaml:"base_path"`
	IDField   string          `yaml:"id_field"` // field of a create answer holding the new id
	Tokens    TelephonyTokens `yaml:"tokens"`
	IDs       TelephonyIDs    `yaml:"ids"`
	Paths     TelephonyPaths  `yaml:"paths"`
	Bodies    TelephonyBodies `yaml:"bodies"`
	Resources []Resource      `yaml:"resources"`
	Upload    Upload          `yaml:"upload"`
	Archive   Archive         `yaml:"archive"`
	Limits    TelephonyLimits `yaml:"limits"`
	files     fs.FS
}

// TelephonyTokens are bearer tokens by role.
type TelephonyTokens struct {
	Valid         Secret `yaml:"valid"`
	Expired       Secret `yaml:"expired"`
	Invalid       Secret `yaml:"invalid"`
	BlockedUser   Secret `yaml:"blocked_user"`
	LowUserAccess Secret `yaml:"low_user_access"` // a user whose access level forbids writes
	LowAppAccess  Secret `yaml:"low_app_access"`  // an application whose access level forbids records
	RateLimit     Secret `yaml:"rate_limit"`      // used by the rate-limit probe alone
}

// TelephonyIDs name things that exist on the deployment, and things that do not.
type TelephonyIDs struct {
	Client           string `yaml:"client"`
	ForeignClient    string `yaml:"foreign_client"`
	MissingClient    string `yaml:"missing_client"`
	PhoneExtension   string `yaml:"phone_extension"`
	MissingExtension string `yaml:"missing_extension"`
}

// TelephonyPaths are relative to base_path; {client}, {extension},
// {archive} and {sound} are filled in.
type TelephonyPaths struct {
	Client         string `yaml:"client"`
	Extensions     string `yaml:"extensions"`
	Extension      string `yaml:"extension"`
	ExtensionQueue string `yaml:"extension_queue"`
	Records        string `yaml:"records"`
	Archives       string `yaml:"archives"`
	Archive        string `yaml:"archive"`
	Sounds         string `yaml:"sounds"`
	Sound          string `yaml:"sound"`
	Missing        string `yaml:"missing"`
}

// TelephonyBodies are JSON request bodies; {name}, {email}, {start} and
// {end} are filled in.
type TelephonyBodies struct {
	CreateExtension      string `yaml:"create_extension"`
	UpdateExtension      string `yaml:"update_extension"`
	ExtensionMissingName string `yaml:"extension_missing_name"`
	ExtensionWrongType   string `yaml:"extension_wrong_type"`
	ArchiveRequest       string `yaml:"archive_request"`
}

// Resource is a documented resource and a method it does not support.
type Resource struct {
	Path   string `yaml:"path"`
	Method string `yaml:"method"`
}

// Upload says what to send to the sounds resource.
type Upload struct {
	File           string `yaml:"file"` // relative to the configuration file; starts the oversized upload
	ContentType    string `yaml:"content_type"`
	WrongFile      string `yaml:"wrong_file"`
	LargeFileBytes int64  `yaml:"large_file_bytes"`
}

// Range is a date range for a recordings archive.
type Range struct {
	Start string `yaml:"start"`
	End   string `yaml:"end"`
}

// Set reports whether both ends are given.
func (r Range) Set() bool { return r.Start != "" && r.End != "" }

// Archive holds the date ranges the archive conditions need.
type Archive struct {
	Requestable Range `yaml:"requestable"` // has recordings and is small enough
	NoRecords   Range `yaml:"no_records"`
	TooLarge    Range `yaml:"too_large"`
}

// TelephonyLimits bound what the suite sends.
type TelephonyLimits struct {
	RequestBodyBytes int64 `yaml:"request_body_bytes"`
	MaxCreated       int   `yaml:"max_created"`       // most resources the limit probe creates
	MaxRateRequests  int   `yaml:"max_rate_requests"` // most requests the rate-limit probe sends
}

// DefaultTelephony is the configuration before a file is read: the real
// API's paths and the decisions in docs/decisions.md.
func DefaultTelephony() Telephony {
	return Telephony{
		BasePath: "/api/ver1.0",
		IDField:  "id",
		Tokens:   TelephonyTokens{Invalid: Secret{Value: "apiconform-not-a-token"}},
		Paths: TelephonyPaths{
			Client:         "/client/{client}/",
			Extensions:     "/client/{client}/extension/",
			Extension:      "/client/{client}/extension/{extension}",
			ExtensionQueue: "/client/{client}/extension/{extension}/queue/",
			Records:        "/client/{client}/record/",
			Archives:       "/client/{client}/record/archive/",
			Archive:        "/client/{client}/record/archive/{archive}",
			Sounds:         "/client/{client}/sound/",
			Sound:          "/client/{client}/sound/{sound}",
			Missing:        "/apiconform_no_such_resource/",
		},
		Bodies: TelephonyBodies{
			CreateExtension:      `{"name":"{name}","type":"phone","email":"{email}"}`,
			UpdateExtension:      `{"label":"{name}"}`,
			ExtensionMissingName: `{"type":"phone"}`,
			ExtensionWrongType:   `{"name":"{name}","type":12345}`,
			ArchiveRequest:       `{"start_datetime":"{start}","end_datetime":"{end}"}`,
		},
		Resources: []Resource{
			{Path: "/client/{client}/", Method: "DELETE"},
			{Path: "/client/{client}/extension/", Method: "DELETE"},
			{Path: "/client/{client}/extension/{extension}", Method: "POST"},
			{Path: "/client/{client}/record/", Method: "POST"},
			{Path: "/client/{client}/record/archive/", Method: "DELETE"},
		},
		Upload: Upload{ContentType: "audio/wav"},
		Limits: TelephonyLimits{RequestBodyBytes: 10 << 20, MaxCreated: 100, MaxRateRequests: 500},
	}
}

// LoadTelephony reads and checks a telephony configuration and registers
// its secrets with the redactor.
func LoadTelephony(src Source, r *runner.Redactor) (*Telephony, error) {
	cfg := DefaultTelephony()
	if err := decode(src, &cfg); err != nil {
		return nil, err
	}
	cfg.files = src.Dir
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", src.Name, err)
	}
	redact(r, map[string]Secret{
		"tokens.valid":           cfg.Tokens.Valid,
		"tokens.invalid":         cfg.Tokens.Invalid,
		"tokens.expired":         cfg.Tokens.Expired,
		"tokens.blocked_user":    cfg.Tokens.BlockedUser,
		"tokens.low_user_access": cfg.Tokens.LowUserAccess,
		"tokens.low_app_access":  cfg.Tokens.LowAppAccess,
		"tokens.rate_limit":      cfg.Tokens.RateLimit,
	})
	return &cfg, nil
}

func (c *Telephony) validate() error {
	var errs []error
	if !c.Tokens.Valid.Set() {
		errs = append(errs, errors.New("tokens.valid: required"))
	}
	if c.IDs.Client == "" {
		errs = append(errs, errors.New("ids.client: required"))
	}
	if c.BasePath != "" {
		if err := checkPath("base_path", c.BasePath); err != nil {
			errs = append(errs, err)
		}
	}
	for key, p := range map[string]string{
		"paths.client": c.Paths.Client, "paths.extensions": c.Paths.Extensions,
		"paths.extension": c.Paths.Extension, "paths.extension_queue": c.Paths.ExtensionQueue,
		"paths.records": c.Paths.Records, "paths.archives": c.Paths.Archives,
		"paths.archive": c.Paths.Archive, "paths.sounds": c.Paths.Sounds, "paths.sound": c.Paths.Sound, "paths.missing": c.Paths.Missing,
	} {
		if err := checkPath(key, p); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, checkResources(c.Resources)...)
	for key, f := range map[string]string{"upload.file": c.Upload.File, "upload.wrong_file": c.Upload.WrongFile} {
		if f == "" {
			continue
		}
		if _, err := fs.Stat(c.files, f); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
		}
	}
	if c.Limits.RequestBodyBytes <= 0 || c.Limits.MaxCreated <= 0 || c.Limits.MaxRateRequests <= 0 {
		errs = append(errs, errors.New("limits: request_body_bytes, max_created and max_rate_requests must be positive"))
	}
	return errors.Join(errs...)
}

// ReadFile reads a file named by the configuration, relative to it.
func (c *Telephony) ReadFile(name string) ([]byte, error) {
	b, err := fs.ReadFile(c.files, name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return b, nil
}
