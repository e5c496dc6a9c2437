package target

import (
	"errors"
	"fmt"

	"github.com/confsuite/apiconform/runner"
)

// Content describes one deployment of the Content API. Keys and defaults
// are listed in the README; fixtures/content.yaml is the reference server's.
type Content struct {
	BasePath string `yaml:"base_path"`
	// ClientIP is the address the target sees the suite's requests come
	// from, for the 401 message; empty accepts any address there.
	ClientIP       string         `yaml:"client_ip"`
	Keys           ContentKeys    `yaml:"keys"`
	FormatValues   FormatValues   `yaml:"format_values"`
	GeoID          string         `yaml:"geo_id"`
	GeoIDType      string         `yaml:"geo_id_type"`
	ModelID        string         `yaml:"model_id"`
	Paths          ContentPaths   `yaml:"paths"`
	SearchRequired []string       `yaml:"search_required"`
	Fields         Fields         `yaml:"fields"`
	NotFound       []MissingThing `yaml:"not_found"`
	Resources      []Resource     `yaml:"resources"`
	Bodies         ContentBodies  `yaml:"bodies"`
	Abandon        int            `yaml:"abandon"`    // requests abandoned mid-flight by the 499 probe
	FaultPath      string         `yaml:"fault_path"` // a GET known to answer 500 on a test deployment
	Limits         ContentLimits  `yaml:"limits"`
}

// ContentKeys are API keys by role, sent as the Authorization header.
type ContentKeys struct {
	Valid     Secret `yaml:"valid"`
	Invalid   Secret `yaml:"invalid"`
	Suspended Secret `yaml:"suspended"`
	Unbound   Secret `yaml:"unbound"`    // issued for other client addresses than the suite's
	Limited   Secret `yaml:"limited"`    // may not read paths.forbidden
	RateLimit Secret `yaml:"rate_limit"` // used by the rate-limit probe alone
}

// FormatValues are the values of the format parameter.
type FormatValues struct {
	JSON string `yaml:"json"`
	XML  string `yaml:"xml"`
}

// ContentPaths are relative to base_path; {id} is filled in.
type ContentPaths struct {
	Model     string `yaml:"model"`
	Search    string `yaml:"search"`
	Forbidden string `yaml:"forbidden"`
	Body      string `yaml:"body"` // a POST resource that takes a JSON or XML body
}

// Fields describes a parameter with a fixed set of allowed values.
type Fields struct {
	Name    string   `yaml:"name"`
	Invalid string   `yaml:"invalid"`
	Allowed []string `yaml:"allowed"`
}

// MissingThing is an object type, where it lives and an id it does not have.
type MissingThing struct {
	Object string `yaml:"object"` // the object name in the message: Model, Offer …
	Path   string `yaml:"path"`
	ID     string `yaml:"id"`
}

// ContentBodies are one request body in each syntax for paths.body.
type ContentBodies struct {
	JSON string `yaml:"json"`
	XML  string `yaml:"xml"`
}

// ContentLimits bound what the suite sends.
type ContentLimits struct {
	MaxRateRequests int `yaml:"max_rate_requests"`
}

// DefaultContent is the configuration before a file is read: the real API's
// paths and the page's own values.
func DefaultContent() Content {
	return Content{
		BasePath:       "/v2",
		Keys:           ContentKeys{Invalid: Secret{Value: "apiconform-not-a-key"}},
		FormatValues:   FormatValues{JSON: "json", XML: "xml"},
		GeoID:          "213",
		GeoIDType:      "INTEGER NUMBER",
		Paths:          ContentPaths{Model: "/models/{id}", Search: "/search", Forbidden: "/models/{id}/offers", Body: "/models/match"},
		SearchRequired: []string{"text", "geo_id"},
		Fields: Fields{Name: "fields", Invalid: "FOO", Allowed: []string{"MODEL_CATEGORY", "MODEL_DEFAULT_OFFER", "MODEL_MEDIA",
			"MODEL_OFFERS", "MODEL_PHOTO", "MODEL_PHOTOS", "MODEL_PRICE", "MODEL_RATING", "OFFER_DELIVERY", "OFFER_PHOTO"}},
		NotFound: []MissingThing{
			{Object: "Model", Path: "/models/{id}", ID: "999999999"},
			{Object: "Offer", Path: "/offers/{id}", ID: "apiconformNoSuchOffer"},
			{Object: "Category", Path: "/categories/{id}", ID: "999999999"},
		},
		Resources: []Resource{
			{Path: "/models/{id}", Method: "DELETE"},
			{Path: "/search", Method: "POST"},
			{Path: "/categories/{id}", Method: "PUT"},
		},
		Bodies:  ContentBodies{JSON: `{"name":"Smartphone"}`, XML: `<model name="Smartphone"/>`},
		Abandon: 5,
		Limits:  ContentLimits{MaxRateRequests: 500},
	}
}

// LoadContent reads and checks a content configuration and registers its
// secrets with the redactor.
func LoadContent(src Source, r *runner.Redactor) (*Content, error) {
	cfg := DefaultContent()
	if err := decode(src, &cfg); err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", src.Name, err)
	}
	redact(r, map[string]Secret{
		"keys.valid": cfg.Keys.Valid, "keys.invalid": cfg.Keys.Invalid, "keys.suspended": cfg.Keys.Suspended,
		"keys.unbound": cfg.Keys.Unbound, "keys.limited": cfg.Keys.Limited, "keys.rate_limit": cfg.Keys.RateLimit,
	})
	return &cfg, nil
}

func (c *Content) validate() error {
	var errs []error
	if !c.Keys.Valid.Set() {
		errs = append(errs, errors.New("keys.valid: required"))
	}
	if c.ModelID == "" {
		errs = append(errs, errors.New("model_id: required (a model that exists)"))
	}
	if c.FormatValues.JSON == "" || c.FormatValues.XML == "" {
		errs = append(errs, errors.New("format_values: json and xml are required"))
	}
	for key, p := range map[string]string{"base_path": c.BasePath, "paths.model": c.Paths.Model, "paths.search": c.Paths.Search,
		"paths.forbidden": c.Paths.Forbidden, "paths.body": c.Paths.Body} {
		if err := checkPath(key, p); err != nil {
			errs = append(errs, err)
		}
	}
	for i, m := range c.NotFound {
		if err := checkPath(fmt.Sprintf("not_found[%d].path", i), m.Path); err != nil {
			errs = append(errs, err)
		}
		if m.Object == "" || m.ID == "" {
			errs = append(errs, fmt.Errorf("not_found[%d]: object and id are required", i))
		}
	}
	errs = append(errs, checkResources(c.Resources)...)
	if c.FaultPath != "" {
		if err := checkPath("fault_path", c.FaultPath); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Limits.MaxRateRequests <= 0 || c.Abandon < 0 {
		errs = append(errs, errors.New("limits.max_rate_requests must be positive and abandon not negative"))
	}
	return errors.Join(errs...)
}
