// Package telephony is everything the project knows about the Telephony
// API (000_06a165e8fd570c61.txt), as one value, API: the page and its rows
// (catalog.yaml), the configuration's defaults (config.yaml), the probes
// that provoke each row, how an answer is judged, and the reference
// servers (refserver/). Its suite, one spec per row and probe, runs from
// suites/telephony, or inside your own Ginkgo tree through package conform.
package telephony

import (
	"embed"
	"fmt"
	"net/http"

	"github.com/confsuite/apiconform/fixtures"
	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
	"github.com/confsuite/apiconform/schemas"
	"github.com/confsuite/apiconform/suites/telephony/refserver"
)

//go:embed catalog.yaml config.yaml 000_06a165e8fd570c61.txt
var files embed.FS

// schema is the file in schemas/ every error body is checked against.
const schema = "telephony-error.schema.json"

// API is the Telephony API.
var API = suite.Define(suite.API{
	Name:  "telephony",
	Files: files,
	Judge: judge,
	Profiles: []suite.Profile{
		{Name: "default", Config: fixtures.Source("telephony.yaml"), Server: func(bool) http.Handler { return refserver.New(refserver.DefaultSeed()) }},
		{Name: "variant", Config: fixtures.Source("telephony-variant.yaml"), Server: func(bool) http.Handler { return refserver.New(refserver.VariantSeed()) }},
	},
	ReadPage:    readPage,
	MakeMutants: mutants,
}, runtime, plan)

// judge holds an answer to a row in the strict reading.
func judge(row catalog.Row, ex *runner.Exchange, _ string, _ []map[string]string) ([]check.Problem, error) {
	if row.Method != "" {
		return check.Success(ex, row.Code), nil
	}
	c, err := check.NewStatusBody(schemas.Files, schema, check.Strict)
	if err != nil {
		return nil, err
	}
	return c.Error(ex, row), nil
}

// plan is the suite for one deployment: the probes, and how an answer is
// judged against its row.
func plan(env *suite.Env, cfg *Config) (suite.Plan, error) {
	checker, err := check.NewStatusBody(schemas.Files, schema, env.Reading)
	if err != nil {
		return suite.Plan{}, err
	}
	return suite.Plan{
		Deployment: &cfg.Deployment,
		Probes:     probes(cfg),
		Labels: func(row catalog.Row) []string {
			switch {
			case row.Status != "":
				return []string{"status-" + row.Status}
			case row.Method == "":
				return []string{"status-none"}
			}
			return nil
		},
		Check: func(s *suite.Spec, ex *runner.Exchange, _ suite.Sent) []check.Problem {
			return checker.Error(ex, s.Row)
		},
		Throttled: func(ex *runner.Exchange) bool { return ex.Status == http.StatusTooManyRequests },
		Fresh:     fresh(cfg.Freshener()),
	}, nil
}

// fresh makes this process's fresh values, apart from the other processes'.
func fresh(f *target.Freshener) func() map[string]string {
	f.Lane(suite.Lane())
	return f.Values
}

// resources are the configured 405 items.
func resources(cfg *Config) func() []suite.Item {
	return func() []suite.Item {
		var out []suite.Item
		for i, r := range cfg.Resources {
			out = append(out, suite.Item{Name: r.Method + " " + r.Path, Key: fmt.Sprintf("resources[%d]", i), Step: r})
		}
		return out
	}
}
