package suite

import (
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
)

// API is everything the project knows about one API, as one value. Each
// API's package (suites/<name>) builds one with Define, and the registry
// (package suites) lists them; the command line, the embedding (package
// conform), the reference servers and every self-test take it from there.
type API struct {
	Name string
	// Files holds the catalog (catalog.yaml), the page it comes from, and
	// the configuration's defaults (config.yaml).
	Files fs.FS
	// Judge judges an answer to a documented row in the strict reading,
	// for a caller's own test (conform.Row): format is the format the
	// request asked for ("" where the API has none), and each map pins
	// the placeholders of one expected message.
	Judge func(row catalog.Row, ex *runner.Exchange, format string, pins []map[string]string) ([]check.Problem, error)
	// Profiles are the API's reference servers, the first the default: a
	// run without --config uses its configuration.
	Profiles []Profile
	// FaultHelp says what a reference server's fault trigger (--fault)
	// makes fail; "" when the API has none.
	FaultHelp string
	// ReadPage reads the documented rows straight from the page, apart
	// from the catalog, so a test can hold the catalog to the page: only
	// the fields the page states (Line, Code, Method, Status, Message, RU).
	ReadPage func(lines []string) []catalog.Row
	// MakeMutants makes, from the catalog, the ways of breaking one rule
	// of the page in the default reference server, each of which a
	// self-test holds the suite to noticing on its rows (Mutants).
	MakeMutants func(*catalog.Catalog) []Mutant

	cases func(a *API, env *Env, src target.Source) ([]Case, error)
	load  func(a *API, src target.Source, r *runner.Redactor) (any, error)
}

// Profile is one reference deployment of an API: a server and the
// configuration a suite drives it with.
type Profile struct {
	Name   string        // "default", "variant", …
	Config target.Source // the suite's configuration for it
	// Server builds the reference server; fault makes its fault trigger
	// answer 500, where the API has one.
	Server func(fault bool) http.Handler
}

// Mutant breaks one rule of the page in a reference server's answers.
type Mutant struct {
	Name string
	// Rows are the ids of the rows whose specs must catch it: each has a
	// spec that fails (with Only, no other row has one).
	Rows []string
	// Wrap changes the default reference server's answers.
	Wrap func(http.Handler) http.Handler
	// Only: no spec of a row outside Rows may fail, not even as not
	// checked (a rule whose breach could leak into the next exchange on
	// the connection). Without it, other rows may read not checked for the
	// broken one, as a row that needed its answer does.
	Only bool
	// Config is YAML added to the default profile's configuration for the
	// mutant's run ("" for none): for a rule the suite checks only when so
	// configured.
	Config string
}

// ConfigFile is the defaults' file name in an API's Files.
const ConfigFile = "config.yaml"

// Define makes an API's value from its parts: its configuration type C
// (read over the defaults in a.Files by target.Load; runtime lists the
// placeholders its probes fill themselves, such as {name} or {id}), and
// plan, which makes the suite for one deployment.
func Define[C any, P interface {
	*C
	target.Config
}](a API, runtime []string, plan func(*Env, *C) (Plan, error)) *API {
	loadConfig := func(a *API, src target.Source, r *runner.Redactor) (*C, error) {
		defaults, err := a.Defaults()
		if err != nil {
			return nil, err
		}
		return target.Load[C, P](defaults, src, runtime, r)
	}
	a.load = func(a *API, src target.Source, r *runner.Redactor) (any, error) { return loadConfig(a, src, r) }
	a.cases = func(a *API, env *Env, src target.Source) ([]Case, error) {
		cat, err := a.Catalog()
		if err != nil {
			return nil, err
		}
		cfg, err := loadConfig(a, src, env.Client.Redactor())
		if err != nil {
			return nil, err
		}
		p, err := plan(env, cfg)
		if err != nil {
			return nil, err
		}
		env.pace(p.Deployment)
		return planCases(env, cat, p)
	}
	return &a
}

// Mutants are the API's mutants, made for its catalog.
func (a *API) Mutants() ([]Mutant, error) {
	cat, err := a.Catalog()
	if err != nil || a.MakeMutants == nil {
		return nil, err
	}
	return a.MakeMutants(cat), nil
}

// Dir is the API's folder in the repository, for messages and reports:
// every API's is suites/<name>.
func (a *API) Dir() string { return "suites/" + a.Name }

// Catalog reads the API's documented rows.
func (a *API) Catalog() (*catalog.Catalog, error) { return catalog.Load(a.Files, a.Dir()) }

// Defaults is the configuration's defaults file as it is built in: every
// key a configuration may set, with the real API's values and what each is
// for. --print-defaults prints it.
func (a *API) Defaults() ([]byte, error) {
	raw, err := fs.ReadFile(a.Files, ConfigFile)
	if err != nil {
		return nil, fmt.Errorf("%s: defaults: %w", a.Dir(), err)
	}
	return raw, nil
}

// Load reads and checks one deployment's configuration over the defaults,
// registering its secrets with r: the API's configuration type (a
// pointer), or an error naming each key that is wrong.
func (a *API) Load(src target.Source, r *runner.Redactor) (any, error) { return a.load(a, src, r) }

// Cases loads one deployment's configuration and returns the suite's
// cases for it: every row's probes, split by items and variants.
func (a *API) Cases(env *Env, src target.Source) ([]Case, error) { return a.cases(a, env, src) }

// Profile finds a reference deployment by name; "" is the default.
func (a *API) Profile(name string) (Profile, error) {
	if name == "" && len(a.Profiles) > 0 {
		return a.Profiles[0], nil
	}
	for _, p := range a.Profiles {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("%s has no reference profile %q; want one of %s", a.Name, name, a.ProfileNames())
}

// ProfileNames lists the reference profiles, as "a|b".
func (a *API) ProfileNames() string {
	var names []string
	for _, p := range a.Profiles {
		names = append(names, p.Name)
	}
	return strings.Join(names, "|")
}

// Version identifies the API's catalog, page and defaults as this build
// has them.
func (a *API) Version() string { return catalog.Hash(a.Files) }

// HasProfile tells whether the API has a reference profile of that name.
func (a *API) HasProfile(name string) bool {
	return slices.ContainsFunc(a.Profiles, func(p Profile) bool { return p.Name == name })
}
