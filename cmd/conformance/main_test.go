package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/internal/report"
	"github.com/confsuite/apiconform/suites"
)

// The summary at the end comes from the records: a line per run with its
// verdict and rows, then what needs a look.
func TestPrintSummary(t *testing.T) {
	documented := func(api string) *catalog.Catalog {
		a, err := suites.Find(api)
		if err != nil {
			t.Fatal(err)
		}
		cat, err := a.Catalog()
		if err != nil {
			t.Fatal(err)
		}
		return cat
	}
	started := time.Date(2026, 3, 4, 10, 20, 30, 0, time.UTC)
	blocked := &record.Run{API: "telephony", Documented: documented("telephony"), Asked: record.Asked{Started: started, Finished: started}, Specs: []record.Spec{
		{ID: "tel.403.user_blocked/blocked-user-s-token", Row: "tel.403.user_blocked", Verdict: record.Verdict{Outcome: record.NotConformant}},
		{ID: "tel.post.201/extension-lifecycle", Row: "tel.post.201", Verdict: record.Verdict{Outcome: record.Conformant},
			Leftovers: []record.Leftover{{Resource: "extension 7003", Why: "remove_extension answered 500"}}},
	}}
	stopped := &record.Run{API: "content", Documented: documented("content"), Asked: record.Asked{Started: started, Finished: started}, Stopped: "interrupted (SIGINT)"}
	var b bytes.Buffer
	printSummary(&b, []report.Run{report.FromRecord(blocked, "telephony.json", "default"),
		report.FromRecord(stopped, "variant/content.json", "variant")}, "reports")
	text := b.String()
	for _, want := range []string{
		"telephony  default  not conformant     26          1              1          24             0",
		"content    variant  not checked        13          0              0          13             0",
		"403 user_blocked                         NOT CONFORMANT",
		"LEFT ON THE TARGET: extension 7003 (tel.post.201/extension-lifecycle): remove_extension answered 500",
		"STOPPED: interrupted (SIGINT)",
		"200 OK                                   not checked: no spec in this run",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
}
