package report

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/record"
)

// The records the tests render, built here in Go and written with
// record.Write, as a run writes them.

var nonSlug = regexp.MustCompile(`[^a-z0-9@_.]+`)

// specID is a spec's id as internal/suite makes it.
func specID(row, probe, variant string) string {
	id := row + "/" + strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(probe), "-"), "-")
	if variant != "" {
		id += "/" + strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(variant), "-"), "-")
	}
	return id
}

// apiFiles are an API's files, read from its folder: the registry (package
// suites) imports the suite, which imports this package.
func apiFiles(api string) fs.FS { return os.DirFS(filepath.Join("..", "..", "suites", api)) }

// loadCatalog is an API's catalog, as a run records it.
func loadCatalog(t *testing.T, api string) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Load(apiFiles(api), "suites/"+api)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// newRun is a run of api in which every probe of every row, in each
// variant, was conformant.
func newRun(t *testing.T, api string, started time.Time, variants ...string) *record.Run {
	t.Helper()
	cat := loadCatalog(t, api)
	run := &record.Run{API: api, Documented: cat, Asked: record.Asked{Version: "0.4.0", Catalog: catalog.Hash(apiFiles(api)), Target: "http://127.0.0.1:18080",
		Config: "built-in fixtures/" + api + ".yaml", Reading: "strict", Rate: "0", Proxy: "none",
		Started: started, Finished: started.Add(1500 * time.Millisecond)}}
	if len(variants) == 0 {
		variants = []string{""}
	}
	for _, row := range cat.Rows {
		for _, probe := range row.Probes {
			for _, v := range variants {
				name := row.Title() + ": " + probe
				if v != "" {
					name += " [" + v + "]"
				}
				run.Specs = append(run.Specs, record.Spec{ID: specID(row.ID, probe, v), Row: row.ID, Name: name, Probe: probe,
					Variant: v, Labels: []string{api, row.ID}, Verdict: record.Verdict{Outcome: record.Conformant}, DurationMS: 1.5})
			}
		}
	}
	return run
}

// spec is the run's spec with that id.
func spec(t *testing.T, run *record.Run, id string) *record.Spec {
	t.Helper()
	for i := range run.Specs {
		if run.Specs[i].ID == id {
			return &run.Specs[i]
		}
	}
	t.Fatalf("%s: no spec %s", run.API, id)
	return nil
}

var (
	t0 = time.Date(2026, 3, 4, 10, 20, 30, 0, time.UTC)
	// The content run of the default profile is a day older: an earlier
	// run's record left in the same folder.
	tOld = time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
)

const blockedTranscript = `> GET https://api.vendor.example/telephony/api/ver1.0/client/@me/
> Authorization: Bearer [redacted:credentials.blocked_user]
>
< HTTP/1.1 200 OK (after 177µs)
< Content-Type: application/json
<
< {"name":"<script>alert(1)</script>"}
`

const blockedCurl = `curl -sS -i -X GET 'https://api.vendor.example/telephony/api/ver1.0/client/@me/' -H "Authorization: Bearer $APICONFORM_BLOCKED_USER"`

// vendorTelephony is a vendor's own run of telephony (a target that is
// not this machine, its own configuration file), interrupted, with every
// outcome and every reason, and something left on the target.
func vendorTelephony(t *testing.T) *record.Run {
	run := newRun(t, "telephony", t0)
	run.Target = "https://api.vendor.example/telephony"
	run.Config = "/home/vendor/conformance/my-telephony.yaml"
	run.Baseline = "/home/vendor/conformance/known.yaml"
	run.LabelFilter = "!http-404"
	run.Stopped = "interrupted (SIGINT) after 31 of 33 specs"
	*spec(t, run, "tel.403.user_blocked/blocked-user-s-token") = func(s record.Spec) record.Spec {
		s.Verdict = record.Verdict{Outcome: record.NotConformant, Message: "the answer does not conform",
			Problems: []record.Problem{{Part: "code", Text: "want HTTP 403, got 200"}, {Part: "status", Text: `want "user_blocked", the body has no status field`}},
			Detail:   "[requirement] 403 user_blocked (000_06a165e8fd570c61.txt, line 23): this user, or the client the user belongs to, is blocked\nthe answer does not conform\n  - code: want HTTP 403, got 200"}
		s.Exchanges = []record.Exchange{{Name: "exchange", Role: "blocked_user", Method: "GET",
			URL: "https://api.vendor.example/telephony/api/ver1.0/client/@me/", Status: 200, ElapsedMS: 0.177,
			Transcript: blockedTranscript, Curl: blockedCurl}}
		return s
	}(*spec(t, run, "tel.403.user_blocked/blocked-user-s-token"))
	spec(t, run, "tel.429.rate_limit_exceeded/request-burst").Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.Configuration,
		Key: "credentials.rate_limit", Message: "configuration key credentials.rate_limit is not set: this condition cannot be provoked without it"}
	spec(t, run, "tel.400.archive_already_requested/second-archive-request").Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.Precondition,
		Step: "archive_requestable", SeeRow: "tel.400.no_records", Message: "requests.archive_requestable answered 400, want 201: the condition was not provoked"}
	spec(t, run, "tel.413.none/oversized-request-body").Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.Unreachable,
		Message: "no answer: read tcp 10.0.0.2:51234->203.0.113.7:443: connection reset by peer"}
	spec(t, run, "tel.413.large_file/oversized-upload").Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.Interrupted,
		Message: "interrupted (SIGINT) before this spec ran"}
	spec(t, run, "tel.404.none/unknown-path").Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.Filtered,
		Message: "left out by --label-filter=!http-404"}
	spec(t, run, "tel.400.input_error/argument-of-wrong-type").Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.SuiteDefect,
		Message: "the suite failed: runtime error: index out of range [3] with length 3", Detail: "panic at internal/suite/step.go:120"}
	spec(t, run, "tel.401.none/token-expired").Verdict = record.Verdict{Outcome: record.KnownFailure, Baseline: "expired tokens get 403 until ticket 77",
		Problems: []record.Problem{{Part: "code", Text: "want HTTP 401, got 403"}}}
	spec(t, run, "tel.403.access_denied/another-client-s-resource").Verdict = record.Verdict{Outcome: record.StaleBaseline,
		Baseline: "ticket 12 shipped", Message: "passes, though the baseline lists it as a known failure: remove the entry"}
	spec(t, run, "tel.post.201/extension-lifecycle").Leftovers = []record.Leftover{{Resource: "extension 7003", Why: "remove_extension answered 500"}}
	return run
}

// refusedContent is an earlier run of content whose valid credential the
// target refused: a finding, the specs it concerned not checked.
func refusedContent(t *testing.T) *record.Run {
	run := newRun(t, "content", tOld, "no format", "json", "xml")
	msg := "the target refuses credentials.valid: 30 of 33 answers to requests sent with it are 401 or 403; check credentials.valid and auth (header, value)"
	run.Findings = []record.Finding{{Cause: "credentials", Message: msg, Specs: 30}}
	n := 0
	for i := range run.Specs {
		if s := &run.Specs[i]; !strings.HasPrefix(s.Row, "con.401") && !strings.HasPrefix(s.Row, "con.499") && n < 30 {
			s.Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.Precondition, Key: "credentials.valid", Message: msg,
				Problems: []record.Problem{{Part: "code", Text: "want HTTP 200, got 401"}}}
			n++
		}
	}
	return run
}

// knownContent is a variant-profile run of content whose one failure is
// known, with a stale entry under --strict-baseline.
func knownContent(t *testing.T) *record.Run {
	run := newRun(t, "content", t0.Add(time.Minute), "no format", "json", "xml")
	run.Config = "/work/fixtures/content-variant.yaml"
	run.RequireAll, run.StrictBaseline, run.Baseline = true, true, "known.yaml"
	spec(t, run, "con.500.internal/configured-fault-trigger/xml").Verdict = record.Verdict{Outcome: record.KnownFailure, Baseline: "XML 500 in the next release",
		Problems: []record.Problem{{Part: "content type", Text: `want application/xml, got "application/json"`}}}
	spec(t, run, "con.200/model-with-its-required-parameters/json").Verdict = record.Verdict{Outcome: record.StaleBaseline, Baseline: "was broken in 1.2"}
	return run
}

// writeFolder writes a reports folder: telephony and content in the
// default profile and in the variant profile, an unreadable record in
// each, and summary.json files (a run writes one beside its record, also
// in a profile's folder) that are not records.
func writeFolder(t *testing.T, dir string) {
	t.Helper()
	none := func(s string) string { return s }
	variant := newRun(t, "telephony", t0.Add(2*time.Minute))
	variant.Config, variant.RequireAll = "/work/fixtures/telephony-variant.yaml", true
	for path, run := range map[string]*record.Run{
		"telephony.json":         vendorTelephony(t),
		"content.json":           refusedContent(t),
		"variant/telephony.json": variant,
		"variant/content.json":   knownContent(t),
	} {
		if err := record.Write(filepath.Join(dir, path), none, run); err != nil {
			t.Fatal(err)
		}
	}
	for path, text := range map[string]string{
		"billing.json":         "{not json",
		"variant/old.json":     `{"schema_version": 99, "api": "telephony"}`,
		"summary.json":         `{"schema_version": 1}`,
		"variant/summary.json": `{"schema_version": 2}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, path), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
