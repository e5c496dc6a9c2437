// Package greet is a test-only API, the Greeting API (page.txt): two error
// rows, one probe each, and a tiny reference server. It lives in
// internal/selftest/testdata and is copied into a scratch copy of the
// project to prove that a new API is one folder and one registry line.
package greet

import (
	"embed"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/mutant"
	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
)

//go:embed catalog.yaml config.yaml page.txt reference.yaml variant.yaml error.schema.json
var files embed.FS

// API is the Greeting API.
var API = suite.Define(suite.API{
	Name:  "greet",
	Files: files,
	Judge: judge,
	Profiles: []suite.Profile{
		{Name: "default", Config: source("reference.yaml"), Server: func(bool) http.Handler { return server("/greet/v1", "greet-token-0001") }},
		{Name: "variant", Config: source("variant.yaml"), Server: func(bool) http.Handler { return server("/hello/v2", "variant-token-0002") }},
	},
	ReadPage:    readPage,
	MakeMutants: mutants,
}, nil, plan)

// mutants break one rule each: the status of their row's answer.
func mutants(*catalog.Catalog) []suite.Mutant {
	return []suite.Mutant{
		{Name: "401 with another status", Rows: []string{"greet.401.unauthorized"}, Only: true, Wrap: status(401, "unauthorised")},
		{Name: "404 with another status", Rows: []string{"greet.404.no_such_greeting"}, Only: true, Wrap: status(404, "not_found")},
	}
}

func status(code int, value string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return mutant.Rewrite(h, func(_ mutant.Request, resp *mutant.Response) {
			if resp.Code == code {
				mutant.SetJSONField(resp, "status", value)
			}
		})
	}
}

// Config is one deployment of the Greeting API: the shared keys alone.
type Config struct {
	target.Deployment `yaml:",inline"`
}

// Validate checks the API's own keys: it has none.
func (*Config) Validate() []error { return nil }

// Lists are the API's own lists of steps: it has none.
func (*Config) Lists() []target.Step { return nil }

func source(name string) target.Source {
	return target.Source{Name: "suites/greet/" + name, Dir: files, File: name}
}

func checker(reading check.Reading) (*check.StatusBody, error) {
	return check.NewStatusBody(files, "error.schema.json", reading)
}

func judge(row catalog.Row, ex *runner.Exchange, _ string, _ []map[string]string) ([]check.Problem, error) {
	c, err := checker(check.Strict)
	if err != nil {
		return nil, err
	}
	return c.Error(ex, row), nil
}

func plan(env *suite.Env, cfg *Config) (suite.Plan, error) {
	c, err := checker(env.Reading)
	if err != nil {
		return suite.Plan{}, err
	}
	return suite.Plan{
		Deployment: &cfg.Deployment,
		Probes: map[string]suite.Probe{
			"token missing":    {Step: "token_missing"},
			"unknown greeting": {Step: "unknown_greeting"},
		},
		Check: func(s *suite.Spec, ex *runner.Exchange, _ suite.Sent) []check.Problem { return c.Error(ex, s.Row) },
	}, nil
}

var pageRow = regexp.MustCompile(`^(\d{3}) \| ([a-z_]+) \| (.+)$`)

// readPage reads the page's table: code, status, meaning.
func readPage(lines []string) []catalog.Row {
	var rows []catalog.Row
	for i, l := range lines {
		if m := pageRow.FindStringSubmatch(l); m != nil {
			code, _ := strconv.Atoi(m[1])
			rows = append(rows, catalog.Row{Line: i + 1, Code: code, Status: m[2], RU: m[3]})
		}
	}
	return rows
}

// server is the reference Greeting API under base, issuing one token.
func server(base, token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, base+"/greetings/")
		switch {
		case !ok || r.Method != http.MethodGet:
			http.NotFound(w, r)
		case r.Header.Get("Authorization") != "Bearer "+token:
			answer(w, http.StatusUnauthorized, "unauthorized")
		case name == "hello":
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]string{"greeting": "hello"})
		default:
			answer(w, http.StatusNotFound, "no_such_greeting")
		}
	})
}

func answer(w http.ResponseWriter, code int, status string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": status})
}
