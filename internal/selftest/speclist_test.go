package selftest

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/confsuite/apiconform/suites"
)

var update = flag.Bool("update", false, "rewrite docs/specs.md from the suites")

const specList = "../../docs/specs.md"

// TestSpecListIsCurrent keeps docs/specs.md, the list of every spec of
// every API in the registry with its default configuration (its first
// profile's), in step with the code: a spec added, renamed or lost, or an
// API left out, shows up in review. Regenerate with
// go test ./internal/selftest -run SpecList -update.
func TestSpecListIsCurrent(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Every spec\n\nGenerated from the catalogs and the built-in configurations by\n`go test ./internal/selftest -run SpecList -update`; a test fails when it drifts.\n" +
		"*Configured by* lists the configuration keys that steer the spec's requests (README, \"Configuration\").\n")
	for _, a := range suites.All {
		cases := plannedCases(t, a)
		fmt.Fprintf(&b, "\n## %s (%d specs)\n\n| id | spec | page line | labels | configured by |\n|---|---|---|---|---|\n", a.Name, len(cases))
		for _, c := range cases {
			fmt.Fprintf(&b, "| `%s` | %s | %d | %s | %s |\n", c.ID(), strings.ReplaceAll(c.Name(), "|", "\\|"), c.Row.Line,
				strings.Join(append([]string{a.Name}, c.AllLabels()...), ", "), "`"+strings.Join(c.Keys, "`, `")+"`")
		}
	}
	if *update {
		if err := os.WriteFile(specList, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	current, err := os.ReadFile(specList)
	if err != nil {
		t.Fatalf("%v (generate it with -update)", err)
	}
	if string(current) != b.String() {
		t.Fatalf("%s is out of date with the suites: regenerate it with go test ./internal/selftest -run SpecList -update, and review the difference", specList)
	}
}
