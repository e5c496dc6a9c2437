package selftest

import (
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/junit"
	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/runner"
	"github.com/confsuite/apiconform/suites"
)

// Every API's default reference server passes every row of its catalog,
// and every spec its default configuration plans (each probe, in each
// variant: the content API's three formats), with nothing skipped; the
// report is valid JUnit.
func TestReferencePassesEveryRow(t *testing.T) {
	for _, a := range suites.All {
		t.Run(a.Name, func(t *testing.T) {
			r := runSuite(t, a.Name, a.Profiles[0].Server(true), nil)
			if r.Exit != 0 || r.Report.Failures+r.Report.Errors+r.Report.Skipped != 0 {
				t.Fatalf("exit %d, report %+v\n%s", r.Exit, r.Report, tail(r.Output))
			}
			cat, err := a.Catalog()
			if err != nil {
				t.Fatal(err)
			}
			passed := map[string]bool{}
			for _, c := range r.Report.Results {
				if c.Outcome == "passed" {
					passed[c.Classname] = true
				}
			}
			for _, row := range cat.Rows {
				if !passed[a.Name+"."+row.ID] {
					t.Errorf("catalog row %s (%s) has no passing testcase", row.ID, row.Title())
				}
			}
			conformant := map[string]bool{}
			for _, sp := range readRecord(t, r, a.Name).Specs {
				conformant[sp.ID] = sp.Outcome == record.Conformant
			}
			for _, c := range plannedCases(t, a) {
				if !conformant[c.ID()] {
					t.Errorf("spec %s (%s) did not pass", c.ID(), c.Name())
				}
			}
			validateJUnit(t, filepath.Join(r.Reports, a.Name+".xml"))
		})
	}
}

// The ginkgo CLI in parallel mode: specs spread over four processes, the
// conflicting ones kept apart (the archive group in sequence, the limit
// probe alone), one report with every spec passed, for every API. The
// first API's suite is compiled by the CLI, as a user runs it; the others
// run their compiled binaries.
func TestSuitesRunInParallelUnderTheGinkgoCLI(t *testing.T) {
	for i, a := range suites.All {
		tc := struct{ api, suite string }{a.Name, filepath.Join(binDir, a.Name+".test")}
		if i == 0 {
			tc.suite = "../../suites/" + a.Name
		}
		srv := httptest.NewServer(a.Profiles[0].Server(true))
		reports := t.TempDir()
		cmd := exec.Command("go", "tool", "ginkgo", "-p", "--procs=4", "--no-color", tc.suite, "--",
			"--target="+srv.URL, "--reports="+reports)
		out, err := cmd.CombinedOutput()
		srv.Close()
		if err != nil {
			t.Fatalf("%s: ginkgo -p: %v\n%s", tc.api, err, tail(string(out)))
		}
		s, err := junit.Read(filepath.Join(reports, tc.api+".xml"))
		if err != nil || len(s) != 1 || s[0].Passed != s[0].Tests || s[0].Tests == 0 {
			t.Fatalf("%s: want one merged report with every spec passed: %+v %v", tc.api, s, err)
		}
	}
}

// plannedCases are the specs the API's suite plans with its default
// configuration.
func plannedCases(t *testing.T, a *suite.API) []suite.Case {
	t.Helper()
	client, err := runner.New(runner.Options{Target: "http://127.0.0.1:1", Redactor: runner.NewRedactor()})
	if err != nil {
		t.Fatal(err)
	}
	cases, err := a.Cases(suite.NewEnv(suite.EnvOptions{API: a.Name, Client: client, Reading: check.Strict}), a.Profiles[0].Config)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatalf("%s plans no spec", a.Name)
	}
	return cases
}
