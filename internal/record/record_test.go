package record

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confsuite/apiconform/internal/catalog"
)

func spec(row string, o Outcome, r Reason) Spec {
	return Spec{ID: row + "/probe", Row: row, Verdict: Verdict{Outcome: o, Reason: r}}
}

func TestRowVerdictFollowsFromItsSpecs(t *testing.T) {
	cat := &catalog.Catalog{Rows: []catalog.Row{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}, {ID: "e"}, {ID: "f"}}}
	run := &Run{Specs: []Spec{
		spec("a", Conformant, ""), spec("a", NotConformant, ""), spec("a", NotChecked, Interrupted),
		spec("b", Conformant, ""), spec("b", StaleBaseline, ""),
		spec("c", Conformant, ""), spec("c", NotChecked, Filtered),
		spec("d", KnownFailure, ""), spec("d", Conformant, ""),
		{Row: "e", Verdict: Verdict{Outcome: NotChecked, Reason: Configuration, Key: "credentials.rate_limit"}},
	}}
	want := map[string]struct {
		outcome Outcome
		summary string
	}{
		"a": {NotConformant, "NOT CONFORMANT"},
		"b": {Conformant, "conformant (its --baseline entry is stale: remove it)"},
		"c": {NotChecked, "not checked: filtered out (1 of 2 specs conformant)"},
		"d": {KnownFailure, "known failure (baseline)"},
		"e": {NotChecked, "not checked: set credentials.rate_limit"},
		"f": {NotChecked, "not checked: no spec in this run"},
	}
	for _, row := range run.Rows(cat) {
		w := want[row.Row.ID]
		if row.Outcome != w.outcome || row.Summary() != w.summary {
			t.Errorf("row %s: got %s %q, want %s %q", row.Row.ID, row.Outcome, row.Summary(), w.outcome, w.summary)
		}
	}
}

func TestWhichOutcomesFailTheRun(t *testing.T) {
	for _, c := range []struct {
		spec               Spec
		requireAll, strict bool
		fails              bool
	}{
		{spec: spec("a", Conformant, "")},
		{spec: spec("a", NotConformant, ""), fails: true},
		{spec: spec("a", KnownFailure, "")},
		{spec: spec("a", StaleBaseline, "")},
		{spec: spec("a", StaleBaseline, ""), strict: true, fails: true},
		{spec: spec("a", NotChecked, Configuration)},
		{spec: spec("a", NotChecked, Configuration), requireAll: true, fails: true},
		{spec: spec("a", NotChecked, Filtered)},
		{spec: spec("a", NotChecked, Filtered), requireAll: true},
		{spec: spec("a", NotChecked, Precondition), fails: true},
		{spec: spec("a", NotChecked, Unreachable), fails: true},
		{spec: spec("a", NotChecked, Interrupted), fails: true},
		{spec: spec("a", NotChecked, SuiteDefect), fails: true},
	} {
		run := &Run{Asked: Asked{RequireAll: c.requireAll, StrictBaseline: c.strict}, Specs: []Spec{spec("z", Conformant, ""), c.spec}}
		if got := c.spec.FailsRun(run); got != c.fails {
			t.Errorf("%s/%s require-all %v strict %v: fails %v, want %v", c.spec.Outcome, c.spec.Reason, c.requireAll, c.strict, got, c.fails)
		}
		if run.Failed() != c.fails {
			t.Errorf("%s/%s: the run's Failed %v, want %v", c.spec.Outcome, c.spec.Reason, run.Failed(), c.fails)
		}
	}
}

func TestARunFailsForWhatIsNoSpecsVerdict(t *testing.T) {
	ok := spec("a", Conformant, "")
	left := ok
	left.Leftovers = []Leftover{{Resource: "extension 7", Why: "answered 500"}}
	for name, run := range map[string]*Run{
		"something left on the target": {Specs: []Spec{left}},
		"a finding":                    {Specs: []Spec{ok}, Findings: []Finding{{Cause: "credentials"}}},
		"stopped":                      {Specs: []Spec{ok}, Stopped: "interrupted"},
		"nothing verified":             {Specs: []Spec{spec("a", NotChecked, Filtered)}},
	} {
		if !run.Failed() {
			t.Errorf("%s: the run passes", name)
		}
	}
	if (&Run{Specs: []Spec{ok, spec("b", NotChecked, Filtered)}}).Failed() {
		t.Errorf("a conformant spec beside a filtered one fails the run")
	}
	msg := (&Run{Specs: []Spec{
		{Verdict: Verdict{Outcome: NotChecked, Reason: Unreachable, Message: "no answer: timed out"}},
		{Verdict: Verdict{Outcome: NotChecked, Reason: Unreachable, Message: "later"}},
		{Verdict: Verdict{Outcome: NotChecked, Reason: Filtered, Message: "left out by --label-filter=x"}},
	}}).Unverified()
	for _, want := range []string{"no spec ran", "unreachable, 2 specs (no answer: timed out)", "filtered, 1 specs"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Unverified %q lacks %q", msg, want)
		}
	}
}

func exchange(role string, status int) Exchange {
	return Exchange{Name: "exchange", Role: role, Status: status, Transcript: "…"}
}

func TestDiagnoseBlamesASharedCauseNotTheRows(t *testing.T) {
	refused := func(row string) Spec {
		s := spec(row, NotConformant, "")
		s.Problems = []Problem{{Part: "code", Text: "want HTTP 404, got 401"}}
		s.Exchanges = []Exchange{exchange("valid", 401)}
		return s
	}
	right := spec("tel.401", Conformant, "")
	right.Exchanges = []Exchange{exchange("", 401)}
	wrongElsewhere := spec("tel.403", NotConformant, "")
	wrongElsewhere.Exchanges = []Exchange{exchange("blocked_user", 200)}
	run := &Run{API: "telephony", Specs: []Spec{refused("a"), refused("b"), refused("c"), refused("d"), right, wrongElsewhere}}
	run.Diagnose(Layout{BasePath: "/api"})
	if len(run.Findings) != 1 || run.Findings[0].Cause != "credentials" || run.Findings[0].Specs != 4 {
		t.Fatalf("findings %+v", run.Findings)
	}
	for _, s := range run.Specs[:4] {
		if s.Outcome != NotChecked || s.Reason != Precondition || s.Key != "credentials.valid" || len(s.Problems) != 1 {
			t.Errorf("%s: %+v", s.Row, s.Verdict)
		}
	}
	if run.Specs[4].Outcome != Conformant || run.Specs[5].Outcome != NotConformant {
		t.Errorf("a spec the cause does not concern changed: %s, %s", run.Specs[4].Outcome, run.Specs[5].Outcome)
	}

	granted := spec("tel.get.200", Conformant, "")
	granted.Code = 200
	granted.Exchanges = []Exchange{exchange("valid", 201), exchange("valid", 200), exchange("valid", 200), exchange("valid", 200)}
	few := &Run{Specs: []Spec{refused("a"), refused("b"), refused("c"), granted}}
	few.Diagnose(Layout{})
	if len(few.Findings) != 0 || few.Specs[0].Outcome != NotConformant {
		t.Errorf("three refusals beside four grants are the rows' own, not a shared cause: %+v", few.Findings)
	}
	small := &Run{Specs: []Spec{refused("a")}}
	small.Diagnose(Layout{})
	if len(small.Findings) != 1 || small.Specs[0].Outcome != NotChecked {
		t.Errorf("a refusal where nothing was granted is the credential's: %+v", small.Findings)
	}
	documented := spec("tel.403.access_denied", Conformant, "")
	documented.Code = 403
	documented.Exchanges = []Exchange{exchange("valid", 403)}
	correct := &Run{Specs: []Spec{documented, documented, documented, documented, documented}}
	correct.Diagnose(Layout{})
	if len(correct.Findings) != 0 {
		t.Errorf("answers the row documents are no refusal: %+v", correct.Findings)
	}
}

func TestDiagnoseNamesARepeatedBasePath(t *testing.T) {
	var specs []Spec
	for _, row := range []string{"a", "b", "c", "d", "e"} {
		s := spec(row, NotConformant, "")
		s.Exchanges = []Exchange{exchange("valid", 404)}
		specs = append(specs, s)
	}
	run := &Run{Specs: specs}
	run.Diagnose(Layout{BasePath: "/api/ver1.0", TargetPath: "/api/ver1.0/", Target: "https://h/api/ver1.0/"})
	if len(run.Findings) != 1 || run.Findings[0].Cause != "base_path" || !strings.Contains(run.Findings[0].Message, "requests go to /api/ver1.0/api/ver1.0/") {
		t.Fatalf("findings %+v", run.Findings)
	}
}

func TestDiagnoseTellsATargetThatIsNotThisAPI(t *testing.T) {
	var specs []Spec
	for _, row := range []string{"a", "b", "c", "d"} {
		s := spec(row, NotConformant, "")
		s.Problems = []Problem{{Part: "code"}, {Part: "content type"}}
		s.Exchanges = []Exchange{exchange("", 501)}
		specs = append(specs, s)
	}
	codeOnly := spec("e", NotConformant, "")
	codeOnly.Problems = []Problem{{Part: "code"}}
	run := &Run{API: "telephony", Specs: append(specs, codeOnly, spec("f", Conformant, ""))}
	run.Diagnose(Layout{})
	if len(run.Findings) != 1 || run.Findings[0].Cause != "not_this_api" || run.Findings[0].Specs != 5 {
		t.Fatalf("findings %+v", run.Findings)
	}
	if run.Specs[5].Outcome != Conformant {
		t.Errorf("a conformant spec was blamed")
	}
	post := spec("tel.post.201", Conformant, "")
	post.Code = 201
	withSuccess := &Run{API: "telephony", Specs: append(append([]Spec{}, specs...), post)}
	withSuccess.Diagnose(Layout{})
	if len(withSuccess.Findings) != 0 {
		t.Errorf("a target whose success row passed is this API: %+v", withSuccess.Findings)
	}
}

func TestWriteRedactsAndReadChecksTheVersion(t *testing.T) {
	path := Path(t.TempDir(), "telephony")
	run := &Run{API: "telephony", Asked: Asked{Target: "http://h"}, Specs: []Spec{{ID: "x", Verdict: Verdict{Outcome: Conformant, Message: "token s3cret-token"}}}}
	if err := Write(path, func(s string) string { return strings.ReplaceAll(s, "s3cret-token", "[redacted:credentials.valid]") }, run); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), "s3cret-token") {
		t.Errorf("the record holds the secret")
	}
	got, err := Read(path)
	if err != nil || got.Specs[0].Message != "token [redacted:credentials.valid]" {
		t.Fatalf("read back %+v %v", got, err)
	}
	if err := Write(path, func(string) string { return "{" }, run); err == nil {
		t.Errorf("a redaction that breaks the JSON was written")
	}
	other := filepath.Join(filepath.Dir(path), "other.json")
	_ = os.WriteFile(other, []byte(`{"schema_version": 99}`), 0o644)
	if _, err := Read(other); err == nil || !strings.Contains(err.Error(), "schema_version 99") {
		t.Errorf("a record of another version was read: %v", err)
	}
}

func TestDiagnoseTellsAResourceTheDeploymentLacks(t *testing.T) {
	var specs []Spec
	for _, row := range []string{"a", "b", "c", "d"} {
		s := spec(row, NotConformant, "")
		s.Code = 400
		s.Exchanges = []Exchange{{Name: "exchange", Role: "valid", Status: 404, Documented: "404 client_not_found", Transcript: "…"}}
		specs = append(specs, s)
	}
	run := &Run{API: "telephony", Specs: specs}
	run.Diagnose(Layout{BasePath: "/api"})
	if len(run.Findings) != 1 || run.Findings[0].Cause != "absent" || run.Specs[0].Key != "vars" {
		t.Fatalf("findings %+v, spec %+v", run.Findings, run.Specs[0].Verdict)
	}
}
