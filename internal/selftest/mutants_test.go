package selftest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/suites"
)

type verdict struct {
	mutant  suite.Mutant
	failing map[string][]string
	killed  bool
}

// TestMutantsAreAllKilled runs every API's suite against each of its
// mutants (suite.API.Mutants: the default reference server with one rule
// of the page broken) and fails for every mutant that no spec of its rows
// caught, or that made a spec of another row fail where it must not.
func TestMutantsAreAllKilled(t *testing.T) {
	for _, a := range suites.All {
		t.Run(a.Name, func(t *testing.T) { runMutants(t, a) })
	}
}

// runMutants runs the API's suite against each of its mutants, two at a
// time: a mutant is killed when a spec of each of its rows fails the run,
// and, for a mutant that says Only, no spec of another row fails.
func runMutants(t *testing.T, a *suite.API) {
	mutants, err := a.Mutants()
	if err != nil {
		t.Fatal(err)
	}
	if len(mutants) == 0 {
		t.Fatalf("%s has no mutants (TestRegistryAPIsHaveEveryPart)", a.Name)
	}
	verdicts := make([]verdict, len(mutants))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, m := range mutants {
		var args []string
		if m.Config != "" {
			args = append(args, "--config="+configFile(t, a.Profiles[0].Config, m.Config))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			// The fault trigger is on, as make conformance runs it, so
			// the documented 500 can be provoked.
			r := runSuite(t, a.Name, m.Wrap(a.Profiles[0].Server(true)), nil, args...)
			failing := r.failedRows()
			killed := r.Exit != 0 && len(m.Rows) > 0
			for _, row := range m.Rows {
				killed = killed && len(failing[row]) > 0
			}
			if m.Only {
				for row := range failing {
					killed = killed && slices.Contains(m.Rows, row)
				}
			}
			verdicts[i] = verdict{mutant: m, failing: failing, killed: killed}
		}()
	}
	wg.Wait()
	killed := 0
	var table strings.Builder
	fmt.Fprintf(&table, "%-70s %-28s %-8s %s\n", "mutant", "expected row", "verdict", "rows with failing specs")
	for _, v := range verdicts {
		rows := make([]string, 0, len(v.failing))
		for row := range v.failing {
			rows = append(rows, row)
		}
		sort.Strings(rows)
		word := "SURVIVED"
		if v.killed {
			word = "killed"
			killed++
		}
		fmt.Fprintf(&table, "%-70s %-28s %-8s %s\n", v.mutant.Name, strings.Join(v.mutant.Rows, " "), word, strings.Join(rows, " "))
	}
	fmt.Fprintf(&table, "mutation score: %d of %d killed (%.1f%%)\n", killed, len(verdicts), 100*float64(killed)/float64(len(verdicts)))
	t.Log("\n" + table.String())
	if killed < len(verdicts) {
		t.Errorf("%d mutants survived: the suite misses a broken rule\n%s", len(verdicts)-killed, table.String())
	}
}
