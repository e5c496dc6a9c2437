// Package telephony is the conformance suite of the Telephony API
// (000_06a165e8fd570c61.txt): one spec per catalog row and probe, generated
// from internal/catalog/telephony.yaml. Every request a probe sends is a
// configured step (internal/target/telephony.yaml). Run it standalone (see
// the README), or inside your own Ginkgo suite through package conform.
package telephony

import (
	"fmt"
	"net/http"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
)

// API is the suite's name in reports and labels.
const API = "telephony"

// Setup loads the configuration and returns the suite's cases: what
// suite.Standalone calls.
var Setup = suite.SetupWith(target.LoadTelephony, Plan)

// Plan is the suite for one deployment: the probes, and how an answer is
// judged against its row.
func Plan(env *suite.Env, cfg *target.Telephony) (suite.Plan, error) {
	checker, err := check.NewTelephony(env.Reading)
	if err != nil {
		return suite.Plan{}, err
	}
	return suite.Plan{
		API:        API,
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
func resources(cfg *target.Telephony) func() []suite.Item {
	return func() []suite.Item {
		var out []suite.Item
		for i, r := range cfg.Resources {
			out = append(out, suite.Item{Name: r.Method + " " + r.Path, Key: fmt.Sprintf("resources[%d]", i), Step: r})
		}
		return out
	}
}
