package junit

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// Read gives back what Write wrote: properties, and each outcome's message
// and text, redacted.
func TestReadGivesDetailAndProperties(t *testing.T) {
	path := filepath.Join(t.TempDir(), "api.xml")
	s := Suite{Name: "api", Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Properties: map[string]string{"target": "http://127.0.0.1:1", "config": "secret.yaml"},
		Cases: []Case{
			{Name: "pass", Classname: "api.a", State: types.SpecStatePassed, Detail: "--- exchange\n< HTTP/1.1 200 OK\n"},
			{Name: "fail", Classname: "api.b", State: types.SpecStateFailed,
				Message: "the answer does not conform\n  - code: want HTTP 500, got 404\n\n> GET /x\n",
				Detail:  "the answer does not conform\n  - code: want HTTP 500, got 404\n\n> GET /x\n\nreproduce:\n  curl /x\n"},
			{Name: "skip", Classname: "api.c", State: types.SpecStateSkipped, Message: "needs vars.x", Detail: "needs vars.x"},
			{Name: "abort", Classname: "api", State: types.SpecStateAborted, Message: "cannot start", Detail: "cannot start"},
		}}
	redact := func(v string) string { return strings.ReplaceAll(v, "secret", "[redacted]") }
	if err := Write(path, redact, s); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d suites, want 1", len(got))
	}
	g := got[0]
	if g.Timestamp != "2026-01-02T03:04:05" || g.Properties["target"] != "http://127.0.0.1:1" || g.Properties["config"] != "[redacted].yaml" {
		t.Errorf("timestamp %q, properties %v", g.Timestamp, g.Properties)
	}
	want := []Result{
		{Name: "pass", Classname: "api.a", Outcome: "passed", Detail: "--- exchange\n< HTTP/1.1 200 OK\n"},
		{Name: "fail", Classname: "api.b", Outcome: "failed", Message: "the answer does not conform\n  - code: want HTTP 500, got 404",
			Detail: "the answer does not conform\n  - code: want HTTP 500, got 404\n\n> GET /x\n\nreproduce:\n  curl /x\n"},
		{Name: "skip", Classname: "api.c", Outcome: "skipped", Message: "needs vars.x", Detail: "needs vars.x"},
		{Name: "abort", Classname: "api", Outcome: "error", Message: "cannot start", Detail: "cannot start"},
	}
	if len(g.Results) != len(want) {
		t.Fatalf("got %d results, want %d", len(g.Results), len(want))
	}
	for i, w := range want {
		if g.Results[i] != w {
			t.Errorf("result %d:\n got %+v\nwant %+v", i, g.Results[i], w)
		}
	}
	if g.Tests != 4 || g.Passed != 1 || g.Failures != 1 || g.Errors != 1 || g.Skipped != 1 {
		t.Errorf("counts %+v", g)
	}
}
