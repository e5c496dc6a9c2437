package target

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/confsuite/apiconform/runner"
)

// Deployment is what every API's configuration shares: where the API
// lives, its credentials by role, the values its request templates are
// filled with, and every request the probes send.
type Deployment struct {
	BasePath string `yaml:"base_path"`
	Auth     Auth   `yaml:"auth"`
	// Credentials by role name. The defaults file lists the roles the
	// probes use; a deployment may add roles of its own and name them in
	// a step's `as`.
	Credentials map[string]Secret `yaml:"credentials"`
	// Vars fill the {placeholders} of request templates. An empty value is
	// unset: a step that needs it is skipped, naming vars.<name>.
	Vars map[string]string `yaml:"vars"`
	// IDField is the field of a create answer that holds the new id.
	IDField string `yaml:"id_field"`
	// IDs say, by kind of resource, where a create answer puts the new
	// id or address, when not in id_field; a step's own id wins.
	IDs map[string]IDSource `yaml:"ids"`
	// Fresh are templates of the values the suite makes anew for each
	// request ({name}, {email}, and any a deployment adds), in the
	// deployment's format: fresh.go.
	Fresh map[string]string `yaml:"fresh"`
	// Rate paces every request of the run, in requests a second (0: not
	// paced); --rate overrides it.
	Rate float64 `yaml:"rate"`
	// Rates pace the requests carrying each credential role, in requests
	// a second (a deployment that limits each credential); the rate-limit
	// burst is not held by them.
	Rates map[string]float64 `yaml:"rates"`
	Retry Retry              `yaml:"retry"`
	// Requests override the defaults' steps by name, or by <row id>/<name>.
	Requests map[string]Step `yaml:"requests"`

	defaults map[string]Step
	files    fs.FS // relative file names in the configuration start here
	folder   string
	name     string
}

// Auth is how a credential is sent: a header, and its value with the
// secret in place of {secret}.
type Auth struct {
	Header string `yaml:"header"`
	Value  string `yaml:"value"`
}

// Retry says how a throttled answer met by a spec that does not test the
// rate limit is waited out: at most Attempts more tries, each after the
// answer's Retry-After (or one second), never longer than MaxWait.
type Retry struct {
	Attempts int           `yaml:"attempts"`
	MaxWait  time.Duration `yaml:"max_wait"`
}

// Config is an API's configuration type: a struct embedding Deployment
// inline, with a Validate method for its own keys.
type Config interface {
	deployment() *Deployment
	// Validate checks the API's own keys, each error naming its key.
	Validate() []error
	// Lists are the steps of the API's own lists (resources, not_found).
	Lists() []Step
}

func (d *Deployment) deployment() *Deployment { return d }

// Load reads an API's configuration: its defaults file first, then the
// source over it. Unknown keys, wrong types, unknown steps, unknown
// credentials, placeholders nothing can fill and paths that leave the
// target stop the load, each naming its key, in a stable order. Runtime
// lists the placeholders the API's probes fill themselves.
func Load[C any, P interface {
	*C
	Config
}](defaults []byte, src Source, runtime []string, r *runner.Redactor) (*C, error) {
	cfg := new(C)
	if err := decode(Source{Name: "defaults", Raw: defaults}, cfg); err != nil {
		return nil, err
	}
	d := P(cfg).deployment()
	d.defaults, d.Requests = d.Requests, nil
	documented := map[string]bool{}
	for name := range d.Vars {
		documented["vars."+name] = true
	}
	for role := range d.Credentials {
		documented["credentials."+role] = true
	}
	if err := decode(src, cfg); err != nil {
		return nil, err
	}
	d.files, d.folder, d.name = src.Dir, src.Folder, src.Name
	errs := d.validate(runtime)
	errs = append(errs, P(cfg).Validate()...)
	errs = append(errs, d.unused(documented, P(cfg).Lists())...)
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return nil, fmt.Errorf("config %s: %w", src.Name, errors.Join(errs...))
	}
	for _, role := range slices.Sorted(maps.Keys(d.Credentials)) {
		r.Add("credentials."+role, d.Credentials[role].Value)
	}
	return cfg, nil
}

func (d *Deployment) validate(runtime []string) []error {
	var errs []error
	fresh := NewFreshener(d.Fresh)
	errs = append(errs, checkFresh(fresh.templates)...)
	runtime = append(slices.Clone(runtime), fresh.Names()...)
	if err := checkPath("base_path", d.BasePath); err != nil && d.BasePath != "" {
		errs = append(errs, err)
	}
	if !d.Credentials["valid"].Set() {
		errs = append(errs, errors.New("credentials.valid: required"))
	}
	for role, s := range d.Credentials {
		if err := runner.ValidSecret(s.Value); err != nil && s.Set() {
			errs = append(errs, fmt.Errorf("credentials.%s: %w", role, err))
		}
	}
	if d.Auth.Header == "" || !validToken(d.Auth.Header) {
		errs = append(errs, errors.New("auth.header: not a header name (letters, digits and !#$%&'*+-.^_`|~ only)"))
	}
	if !strings.Contains(d.Auth.Value, "{secret}") {
		errs = append(errs, errors.New("auth.value: must contain {secret}"))
	}
	for kind, src := range d.IDs {
		errs = append(errs, src.check("ids."+kind)...)
		if _, ok := d.defaults["remove_"+kind]; !ok {
			errs = append(errs, fmt.Errorf("ids.%s: the suite creates no %s (kinds: %s)", kind, kind, strings.Join(d.kinds(), ", ")))
		}
	}
	for role, r := range d.Rates {
		if _, ok := d.Credentials[role]; !ok {
			errs = append(errs, fmt.Errorf("rates.%s: no credential %q (credentials: %s)", role, role, strings.Join(slices.Sorted(maps.Keys(d.Credentials)), ", ")))
		}
		if math.IsNaN(r) || r <= 0 || r > MaxRate {
			errs = append(errs, fmt.Errorf("rates.%s: %v: want a rate from 0 (exclusive) to %d requests a second", role, r, MaxRate))
		}
	}
	if c := controlIn(d.Auth.Value); c != "" {
		errs = append(errs, fmt.Errorf("auth.value: holds a %s: not allowed in an HTTP header field value", c))
	}
	errs = append(errs, d.checkBounds()...)
	if d.BasePath != "" {
		if err := CheckPathValue("base_path", d.BasePath); err != nil {
			errs = append(errs, err)
		}
	}
	// A deployment at the root: base_path "/" adds nothing to a path.
	d.BasePath = strings.TrimSuffix(d.BasePath, "/")
	errs = append(errs, d.checkVarsInPaths(runtime)...)
	for key := range d.Requests {
		row, name, scoped := strings.Cut(key, "/")
		if !scoped {
			name = row
		}
		if _, ok := d.defaults[name]; !ok {
			errs = append(errs, fmt.Errorf("requests.%s: no step named %q (steps: %s)", key, name, strings.Join(slices.Sorted(maps.Keys(d.defaults)), ", ")))
		}
	}
	for key := range d.Requests {
		row, name, scoped := strings.Cut(key, "/")
		if !scoped {
			row, name = "", key
		}
		if s, ok := d.resolve(row, name); ok {
			errs = append(errs, d.CheckStep("requests."+key, s, runtime)...)
		}
	}
	for name := range d.defaults {
		if _, overridden := d.Requests[name]; !overridden {
			s, _ := d.resolve("", name)
			errs = append(errs, d.CheckStep("requests."+name, s, runtime)...)
		}
	}
	return errs
}

// checkVarsInPaths refuses a var that, filled into a step's path, would
// make the request name a host or another resource: a path starting //,
// a dot segment, a backslash, a control character; and one that puts a
// control character into a header value. Placeholders the
// probes fill themselves are checked when the request is built.
func (d *Deployment) checkVarsInPaths(runtime []string) []error {
	var errs []error
	seen := map[string]bool{}
	check := func(key string, s Step) {
		for name, t := range s.Headers {
			for _, m := range placeholder.FindAllString(t, -1) {
				if v := d.Vars[m[1:len(m)-1]]; controlIn(v) != "" && !seen["h"+key+name+m] {
					seen["h"+key+name+m] = true
					errs = append(errs, fmt.Errorf("vars.%s (filling %s.headers.%s): holds a %s: not allowed in an HTTP header field value", m[1:len(m)-1], key, EscapeForMessage(name), controlIn(v)))
				}
			}
		}
		if s.Method == MethodNone || s.Path == "" {
			return
		}
		vars := map[string]string{}
		var used []string
		for _, m := range placeholder.FindAllString(s.Path, -1) {
			name := m[1 : len(m)-1]
			if v, ok := d.Vars[name]; ok && v != "" {
				vars[name] = v
				used = append(used, "vars."+name)
			} else {
				vars[name] = "x" // filled at run time, or unset (the spec skips)
			}
		}
		if len(used) == 0 {
			return
		}
		filled, err := Fill(s.Path, vars)
		if err != nil {
			return
		}
		where := strings.Join(used, ", ")
		if seen[where+filled] {
			return
		}
		seen[where+filled] = true
		err = checkPath(key+".path", d.BasePath+filled)
		if err == nil {
			err = CheckPathValue(key+".path", filled)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s (filling %s): %w", where, key+".path", err))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(d.defaults)) {
		s, _ := d.resolve("", name)
		check("requests."+name, s)
	}
	for key := range d.Requests {
		if row, name, ok := strings.Cut(key, "/"); ok {
			s, _ := d.resolve(row, name)
			check("requests."+key, s)
		}
	}
	return errs
}

// unused refuses a var or credential the deployment added that no step
// uses: most likely a misspelling, which would silently skip specs.
func (d *Deployment) unused(documented map[string]bool, lists []Step) []error {
	used := map[string]bool{}
	steps := lists
	for name := range d.defaults {
		s, _ := d.resolve("", name)
		steps = append(steps, s)
	}
	for key := range d.Requests {
		if row, name, ok := strings.Cut(key, "/"); ok {
			s, _ := d.resolve(row, name)
			steps = append(steps, s)
		}
	}
	for _, s := range steps {
		used["credentials."+cmp.Or(s.As, "valid")] = true
		for _, t := range s.templates("") {
			for _, m := range placeholder.FindAllString(t, -1) {
				used["vars."+m[1:len(m)-1]] = true
			}
		}
	}
	var errs []error
	for name := range d.Vars {
		if key := "vars." + name; !documented[key] && !used[key] {
			errs = append(errs, fmt.Errorf("%s: no request uses it (a misspelling? the defaults list the vars the probes use: --print-defaults shows them)", key))
		}
	}
	for role := range d.Credentials {
		if key := "credentials." + role; !documented[key] && !used[key] {
			errs = append(errs, fmt.Errorf("%s: no request is sent as %s (a misspelling? the defaults list the roles the probes use: --print-defaults shows them)", key, role))
		}
	}
	return errs
}

// CheckStep validates a step and the placeholders and credential it uses.
func (d *Deployment) CheckStep(key string, s Step, runtime []string) []error {
	errs := s.check(key)
	if s.Creates != "" {
		if _, ok := d.defaults["remove_"+s.Creates]; !ok {
			errs = append(errs, fmt.Errorf("%s.creates: %q: the suite has no step remove_%s, so what it made could not be removed (kinds: %s); for data the suite cannot create and remove, give an existing resource instead (README, Existing data)",
				key, s.Creates, s.Creates, strings.Join(d.kinds(), ", ")))
		}
	}
	if strings.Contains(s.Path, "{address}") && (s.Path != AddressPath || !strings.Contains(key, "remove_")) {
		errs = append(errs, fmt.Errorf("%s.path: {address} is the whole path of a remove_<kind> step, the address a create answer gave", key))
	}
	if s.As != "" && s.As != "none" {
		if _, ok := d.Credentials[s.As]; !ok {
			errs = append(errs, fmt.Errorf("%s.as: no credential %q (credentials: %s)", key, s.As, strings.Join(slices.Sorted(maps.Keys(d.Credentials)), ", ")))
		}
	}
	if b := s.Body; b != nil && b.File != "" {
		if name, err := Fill(b.File, d.Vars); err == nil && name != "" && allSet(b.File, d.Vars) {
			if _, err := d.ReadFile(name); err != nil {
				var from []string
				for _, m := range placeholder.FindAllString(b.File, -1) {
					from = append(from, "vars."+m[1:len(m)-1])
				}
				errs = append(errs, fmt.Errorf("%s.body.file (%s): %w; keep the files the configuration names beside it (fixtures/files/ for a copied fixture), or give an absolute path",
					key, strings.Join(from, ", "), err))
			}
		}
	}
	for where, t := range s.templates(key) {
		for _, m := range placeholder.FindAllString(t, -1) {
			name := m[1 : len(m)-1]
			if _, ok := d.Vars[name]; !ok && !slices.Contains(runtime, name) {
				errs = append(errs, fmt.Errorf("%s: unknown placeholder %s (vars: %s; filled by the probe: %s)", where, m,
					strings.Join(slices.Sorted(maps.Keys(d.Vars)), ", "), strings.Join(runtime, ", ")))
			}
		}
	}
	return errs
}

// Freshener makes the deployment's fresh values.
func (d *Deployment) Freshener() *Freshener { return NewFreshener(d.Fresh) }

// kinds lists the kinds of resource the suite can remove (a step
// remove_<kind> for each).
func (d *Deployment) kinds() []string {
	var out []string
	for name := range d.defaults {
		if kind, ok := strings.CutPrefix(name, "remove_"); ok {
			out = append(out, kind)
		}
	}
	slices.Sort(out)
	return out
}

// IDSource is where a create answer of step puts what it made.
func (d *Deployment) IDSource(step Step) IDSource {
	if step.ID != nil {
		return *step.ID
	}
	if src, ok := d.IDs[step.Creates]; ok {
		return src
	}
	return IDSource{Field: d.IDField}
}

func (d *Deployment) resolve(row, name string) (Step, bool) {
	s, ok := d.defaults[name]
	if !ok {
		return Step{}, false
	}
	s = s.merge(d.Requests[name])
	if row != "" {
		s = s.merge(d.Requests[row+"/"+name])
	}
	return s, true
}

// Step is the named step as the deployment configures it for a row; key is
// the configuration key that sets it, for messages.
func (d *Deployment) Step(row, name string) (s Step, key string, err error) {
	s, ok := d.resolve(row, name)
	if !ok {
		return Step{}, "", fmt.Errorf("no step named %q", name)
	}
	if _, scoped := d.Requests[row+"/"+name]; scoped {
		return s, "requests." + row + "/" + name, nil
	}
	return s, "requests." + name, nil
}

// RowScoped lists the row ids named by `requests.<row id>/<step>` keys, so
// the suite can refuse one that is not a row of its catalog.
func (d *Deployment) RowScoped() []string {
	var out []string
	for key := range d.Requests {
		if row, _, ok := strings.Cut(key, "/"); ok {
			out = append(out, row)
		}
	}
	slices.Sort(out)
	return out
}

// Var is a value for the request templates, and whether it is set.
func (d *Deployment) Var(name string) (string, bool) {
	v := d.Vars[name]
	return v, v != ""
}

// ReadFile reads a file the configuration names: an absolute path as it
// is, a relative one from the configuration file's folder.
func (d *Deployment) ReadFile(name string) ([]byte, error) {
	var b []byte
	var err error
	if filepath.IsAbs(name) {
		b, err = readBounded(nil, name, MaxFileBytes)
	} else {
		b, err = readBounded(d.files, filepath.ToSlash(filepath.Clean(name)), MaxFileBytes)
	}
	switch {
	case err == nil:
		return b, nil
	case filepath.IsAbs(name):
		return nil, fmt.Errorf("read %s: %w", name, err)
	case d.folder != "":
		return nil, fmt.Errorf("read %s (relative to the configuration file): %w", filepath.Join(d.folder, name), errors.Unwrap(err))
	}
	return nil, fmt.Errorf("read %s, relative to %s: %w", name, d.name, err)
}

// allSet reports whether every placeholder of t has a value in vars.
func allSet(t string, vars map[string]string) bool {
	for _, m := range placeholder.FindAllString(t, -1) {
		if vars[m[1:len(m)-1]] == "" {
			return false
		}
	}
	return true
}
