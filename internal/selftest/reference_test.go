package selftest

import (
	"path/filepath"
	"testing"

	"github.com/confsuite/apiconform/apis"
	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/runner"
)

// Every API's default reference server passes every row of its catalog,
// and every spec its default configuration plans (each probe, in each
// variant: the content API's three formats), with nothing skipped; the
// report is valid JUnit.
func TestReferencePassesEveryRow(t *testing.T) {
	for _, a := range apis.All {
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

// plannedCases are the specs the API's suite plans with its default
// configuration.
func plannedCases(t *testing.T, a *suite.API) []suite.Case {
	t.Helper()
	client, err := runner.New(runner.Options{Target: "http://127.0.0.1:1", Redactor: runner.NewRedactor()})
	if err != nil {
		t.Fatal(err)
	}
	cases, err := a.Setup(&suite.Env{API: a.Name, Client: client, Reading: check.Strict}, a.Profiles[0].Config)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatalf("%s plans no spec", a.Name)
	}
	return cases
}
