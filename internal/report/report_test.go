package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/record"
)

// -out keeps the folder the tests write (records, index.html,
// summary.json, the browser's screenshot), to look at.
var out = flag.String("out", "", "write the test records, index.html, summary.json and report.png into this folder too")

// folder is a reports folder written by writeFolder.
func folder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if *out != "" {
		dir = *out
	}
	writeFolder(t, dir)
	return dir
}

func TestRead(t *testing.T) {
	s := Read(folder(t))
	var got []string
	for _, r := range s.Runs {
		got = append(got, r.API+"/"+r.Profile+"/"+r.Record)
	}
	if want := []string{"content/default/content.json", "content/variant/variant/content.json",
		"telephony/default/telephony.json", "telephony/variant/variant/telephony.json"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("runs %q, want %q (by API, then profile, default first)", got, want)
	}
	if len(s.Unreadable) != 2 {
		t.Fatalf("unreadable %+v, want billing.json and variant/old.json (and not summary.json)", s.Unreadable)
	}
	if u := s.Unreadable[0]; u.Record != "billing.json" || u.API != "billing" || u.Profile != "default" || !strings.Contains(u.Error, "invalid character") {
		t.Errorf("unreadable %+v", u)
	}
	if u := s.Unreadable[1]; u.Record != "variant/old.json" || u.Profile != "variant" || u.Error != "schema_version 99, this suite reads 2" {
		t.Errorf("unreadable %+v", u)
	}

	older, known, vendor, variant := s.Runs[0], s.Runs[1], s.Runs[2], s.Runs[3]
	// Each run keeps its own time and what it was asked.
	if !older.Started.Equal(tOld) || !vendor.Started.Equal(t0) || !vendor.Finished.Equal(t0.Add(1500*time.Millisecond)) {
		t.Errorf("times: content %v, telephony %v–%v", older.Started, vendor.Started, vendor.Finished)
	}
	if vendor.Target != "https://api.vendor.example/telephony" || vendor.Config != "/home/vendor/conformance/my-telephony.yaml" ||
		vendor.LabelFilter != "!http-404" || vendor.Version != "0.4.0" || vendor.Reading != "strict" {
		t.Errorf("vendor's run %+v", vendor)
	}

	for _, c := range []struct {
		run   Run
		want  record.Outcome
		fails bool
		rows  RowCounts
	}{
		{older, record.NotChecked, true, RowCounts{Rows: 13, Conformant: 4, NotChecked: 9}},
		{known, record.KnownFailure, true, RowCounts{Rows: 13, Conformant: 12, KnownFailure: 1}}, // fails: a stale entry under --strict-baseline
		{vendor, record.NotConformant, true, RowCounts{Rows: 26, Conformant: 18, NotConformant: 1, NotChecked: 6, KnownFailure: 1}},
		{variant, record.Conformant, false, RowCounts{Rows: 26, Conformant: 26}},
	} {
		if c.run.Verdict != c.want || c.run.FailsRun != c.fails || c.run.RowCounts != c.rows {
			t.Errorf("%s/%s: verdict %s, fails %v, rows %+v; want %s, %v, %+v", c.run.API, c.run.Profile,
				c.run.Verdict, c.run.FailsRun, c.run.RowCounts, c.want, c.fails, c.rows)
		}
	}
	if want := (SpecCounts{Specs: 29, Conformant: 20, NotConformant: 1, NotChecked: 6, KnownFailure: 1, StaleBaseline: 1}); vendor.SpecCounts != want {
		t.Errorf("spec counts %+v, want %+v", vendor.SpecCounts, want)
	}
	if want := (ReasonCounts{1, 1, 1, 1, 1, 1}); vendor.NotChecked != want {
		t.Errorf("not checked %+v, want one of each reason", vendor.NotChecked)
	}
	if vendor.Stopped == "" || len(vendor.Findings) != 0 || len(older.Findings) != 1 || older.Findings[0].Cause != "credentials" {
		t.Errorf("stopped %q, findings %+v, %+v", vendor.Stopped, vendor.Findings, older.Findings)
	}
	if want := []Leftover{{Spec: "tel.post.201/extension-lifecycle", Resource: "extension 7003", Why: "remove_extension answered 500"}}; !reflect.DeepEqual(vendor.Leftovers, want) {
		t.Errorf("leftovers %+v", vendor.Leftovers)
	}
}

// The roll-up of a run that stopped before any spec (its record carries
// its catalog all the same, as a refused run's does), and of an API whose
// record carries no catalog, in a folder whose name holds glob characters.
func TestStoppedAndUnknown(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my [reports]") // no glob pattern
	if *out != "" {
		dir = filepath.Join(*out, "stopped")
	}
	none := func(s string) string { return s }
	stopped := &record.Run{API: "telephony", Documented: loadCatalog(t, "telephony"), Asked: record.Asked{Target: "http://127.0.0.1:1", Started: t0, Finished: t0},
		Stopped: "telephony conformance cannot start: --target: cannot connect to 127.0.0.1:1: connect: connection refused"}
	unknown := &record.Run{API: "billing", Asked: record.Asked{Started: t0, Finished: t0}, Specs: []record.Spec{
		{ID: "bil.402/unpaid", Row: "bil.402", Name: "402: unpaid", Probe: "unpaid", Verdict: record.Verdict{Outcome: record.NotConformant,
			Problems: []record.Problem{{Part: "code", Text: "want HTTP 402, got 200"}}}},
		{ID: "bil.200/paid", Row: "bil.200", Name: "200: paid", Probe: "paid", Verdict: record.Verdict{Outcome: record.Conformant}},
	}}
	for api, run := range map[string]*record.Run{"telephony": stopped, "billing": unknown} {
		if err := record.Write(record.Path(dir, api), none, run); err != nil {
			t.Fatal(err)
		}
	}
	if err := Write(dir); err != nil {
		t.Fatal(err)
	}
	s := Read(dir)
	if len(s.Runs) != 2 || len(s.Unreadable) != 0 {
		t.Fatalf("runs %d, unreadable %+v", len(s.Runs), s.Unreadable)
	}
	bil, tel := s.Runs[0], s.Runs[1]
	if tel.Verdict != record.NotChecked || !tel.FailsRun || tel.RowCounts != (RowCounts{Rows: 26, NotChecked: 26}) || tel.SpecCounts.Specs != 0 {
		t.Errorf("stopped run %+v", tel)
	}
	if tel.Rows[0].Summary != "not checked: no spec in this run" {
		t.Errorf("row of a stopped run: %+v", tel.Rows[0])
	}
	if bil.Verdict != record.NotConformant || bil.Page != "" || len(bil.Rows) != 0 || len(bil.Specs) != 1 || bil.Specs[0].ID != "bil.402/unpaid" {
		t.Errorf("unknown API %+v", bil)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<b>the run stopped</b>: telephony conformance cannot start", "no spec in this run",
		"On no row of this catalog: 2 specs", "<li>code: want HTTP 402, got 200</li>"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".report-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

// Each outcome and reason, the finding said once, the stop, the leftover,
// the requirement of each row that needs a look and its exchange.
func TestHTML(t *testing.T) {
	var b bytes.Buffer
	if err := Read(folder(t)).HTML(&b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{
		// verdicts of the runs
		`<span class="b verdict o-not_conformant">NOT CONFORMANT</span>`, `<span class="b verdict o-not_checked">not checked</span>`,
		`<span class="b verdict o-known_failure">known failures only</span>`, `<span class="b verdict o-conformant">conformant</span>`,
		`<span class="b o-known_failure">1 known failure</span>`,
		// every outcome and reason of a spec
		"✗ not conformant</span> blocked user&#39;s token", "– not checked: configuration</span> request burst",
		"– not checked: precondition</span> second archive request", "– not checked: unreachable</span> oversized request body",
		"– not checked: interrupted</span> oversized upload", "– not checked: suite defect</span> argument of wrong type",
		"≈ known failure</span> token expired", "◇ stale baseline</span> another client&#39;s resource",
		`class="b o-filtered" href="#row-telephony-default-tel.404.none" title="unknown path: not checked: filtered`,
		// its key, step, row to see, baseline entry, problems
		"<dt>key</dt><dd><code>credentials.rate_limit</code></dd>", "<dt>step</dt><dd><code>archive_requestable</code></dd>",
		`<dt>see row</dt><dd><a href="#matrix-telephony-tel.400.no_records"><code>tel.400.no_records</code></a></dd>`,
		"<dt>baseline</dt><dd>expired tokens get 403 until ticket 77</dd>",
		"<li>code: want HTTP 403, got 200</li>", "<li>code: want HTTP 401, got 403</li>",
		// the requirement: page line, the page's text, the English reading
		"<code>suites/telephony/000_06a165e8fd570c61.txt</code>, line 23",
		"Данный пользователь либо клиент, к которому относится пользователь, заблокирован",
		"this user, or the client the user belongs to, is blocked",
		// the exchange, escaped, and its curl command, collapsed
		"<details><summary>1 exchange, with curl</summary>",
		"&lt; {&#34;name&#34;:&#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34;}",
		"$ curl -sS -i -X GET &#39;https://api.vendor.example/telephony/api/ver1.0/client/@me/&#39;",
		// before the rows: the stop, the finding, the leftover
		"<b>the run stopped</b>: interrupted (SIGINT) after 31 of 33 specs",
		"<b>first check credentials</b>: the target refuses credentials.valid",
		"<code>extension 7003</code>: remove_extension answered 500",
		// each run with its own time, target and configuration
		`<span class="ts">2026-03-03 09:00:00 UTC</span>`, `<span class="ts">2026-03-04 10:20:30 UTC</span>`,
		`<div class="scroll"><code>https://api.vendor.example/telephony</code></div>`,
		`<div class="scroll"><code>/home/vendor/conformance/my-telephony.yaml</code></div>`,
		"<code>--label-filter=!http-404</code>",
		// the records that could not be read
		"<code>billing.json</code> (billing, default profile)", "schema_version 99, this suite reads 2",
		// the matrix: formats as columns for content, probes for telephony
		"<th>no format</th><th>json</th><th>xml</th>", "<th>probes</th>", "✓ conformant&nbsp;×4",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	// The finding is said once; its 30 specs name it, without repeating it.
	if n := strings.Count(html, "30 of 33 answers to requests sent with it"); n != 1 {
		t.Errorf("the finding's message appears %d times, want once", n)
	}
	for _, never := range []string{"<script", "<link", "src=", "@import", "url(", "<iframe"} {
		if strings.Contains(html, never) {
			t.Errorf("index.html holds %q: it must be self-contained and inert", never)
		}
	}
}

// summary.json keeps the documented shape (docs/reports.md), field by
// field: the test decodes into its own copy of the shape and refuses
// fields it does not know.
func TestSummaryJSON(t *testing.T) {
	dir := folder(t)
	if err := Write(dir); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	type problem struct{ Part, Text string }
	type spec struct {
		ID, Row, Name, Outcome, Reason, Message, Key, Step string
		SeeRow                                             string `json:"see_row"`
		Problems                                           []problem
		Baseline                                           string
	}
	type row struct {
		ID                string
		Code              int
		Title             string
		Line              int
		Verdict, Summary  string
		Reasons           []string
		Specs, Conformant int
	}
	type run struct {
		API, Profile, Record, Page                             string
		Version, Catalog, Target, Config, Reading, Rate, Proxy string
		LabelFilter                                            string `json:"label_filter"`
		Focus, Baseline                                        string
		RequireAll                                             bool `json:"require_all"`
		StrictBaseline                                         bool `json:"strict_baseline"`
		Insecure                                               bool
		Started, Finished                                      time.Time
		Verdict                                                string
		FailsRun                                               bool           `json:"fails_run"`
		RowCounts                                              map[string]int `json:"row_counts"`
		SpecCounts                                             map[string]int `json:"spec_counts"`
		NotChecked                                             map[string]int `json:"not_checked"`
		Stopped                                                string
		Findings                                               []struct {
			Cause, Message string
			Specs          int
		}
		Leftovers []struct{ Spec, Resource, Why string }
		Rows      []row
		Specs     []spec
	}
	var doc struct {
		SchemaVersion int `json:"schema_version"`
		Runs          []run
		Unreadable    []struct{ Record, API, Profile, Error string }
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("summary.json: %v\n%s", err, raw)
	}
	if doc.SchemaVersion != 2 || len(doc.Runs) != 4 || len(doc.Unreadable) != 2 {
		t.Fatalf("schema_version %d, %d runs, %d unreadable", doc.SchemaVersion, len(doc.Runs), len(doc.Unreadable))
	}
	if u := doc.Unreadable[1]; u.Record != "variant/old.json" || u.API != "old" || u.Profile != "variant" || u.Error != "schema_version 99, this suite reads 2" {
		t.Errorf("unreadable %+v", u)
	}

	tel := doc.Runs[2]
	props := run{API: "telephony", Profile: "default", Record: "telephony.json", Page: "suites/telephony/000_06a165e8fd570c61.txt",
		Version: "0.4.0", Catalog: catalog.Hash(apiFiles("telephony")), Target: "https://api.vendor.example/telephony",
		Config: "/home/vendor/conformance/my-telephony.yaml", Reading: "strict", Rate: "0", Proxy: "none",
		LabelFilter: "!http-404", Baseline: "/home/vendor/conformance/known.yaml",
		Started: t0, Finished: t0.Add(1500 * time.Millisecond), Verdict: "not_conformant", FailsRun: true,
		Stopped: "interrupted (SIGINT) after 31 of 33 specs"}
	got := tel
	got.RowCounts, got.SpecCounts, got.NotChecked, got.Findings, got.Leftovers, got.Rows, got.Specs = nil, nil, nil, nil, nil, nil, nil
	if !reflect.DeepEqual(got, props) {
		t.Errorf("run properties\n got %+v\nwant %+v", got, props)
	}
	for name, c := range map[string]struct{ got, want map[string]int }{
		"row_counts":  {tel.RowCounts, map[string]int{"rows": 26, "conformant": 18, "not_conformant": 1, "not_checked": 6, "known_failure": 1}},
		"spec_counts": {tel.SpecCounts, map[string]int{"specs": 29, "conformant": 20, "not_conformant": 1, "not_checked": 6, "known_failure": 1, "stale_baseline": 1}},
		"not_checked": {tel.NotChecked, map[string]int{"configuration": 1, "precondition": 1, "unreachable": 1, "interrupted": 1, "filtered": 1, "suite_defect": 1}},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s %v, want %v", name, c.got, c.want)
		}
	}
	if len(tel.Findings) != 0 || len(tel.Leftovers) != 1 || tel.Leftovers[0].Spec != "tel.post.201/extension-lifecycle" ||
		tel.Leftovers[0].Resource != "extension 7003" || tel.Leftovers[0].Why != "remove_extension answered 500" {
		t.Errorf("findings %+v, leftovers %+v", tel.Findings, tel.Leftovers)
	}
	if f := doc.Runs[0].Findings; len(f) != 1 || f[0].Cause != "credentials" || f[0].Specs != 30 || !strings.HasPrefix(f[0].Message, "the target refuses credentials.valid") {
		t.Errorf("content's findings %+v", f)
	}
	if !doc.Runs[0].Started.Equal(tOld) || doc.Runs[0].Verdict != "not_checked" || doc.Runs[1].Verdict != "known_failure" || doc.Runs[3].Verdict != "conformant" || doc.Runs[3].FailsRun {
		t.Errorf("other runs: %s %s %s %v", doc.Runs[0].Verdict, doc.Runs[1].Verdict, doc.Runs[3].Verdict, doc.Runs[3].FailsRun)
	}

	rows := map[string]row{}
	for _, r := range tel.Rows {
		rows[r.ID] = r
	}
	if len(tel.Rows) != 26 || tel.Rows[0].ID != "tel.get.200" {
		t.Errorf("%d rows, first %+v", len(tel.Rows), tel.Rows[0])
	}
	for _, want := range []row{
		{ID: "tel.403.user_blocked", Code: 403, Title: "403 user_blocked", Line: 23, Verdict: "not_conformant", Summary: "NOT CONFORMANT", Reasons: []string{}, Specs: 1},
		{ID: "tel.429.rate_limit_exceeded", Code: 429, Title: "429 rate_limit_exceeded", Line: 35, Verdict: "not_checked",
			Summary: "not checked: set credentials.rate_limit", Reasons: []string{"set credentials.rate_limit"}, Specs: 1},
		{ID: "tel.400.input_error", Code: 400, Title: "400 input_error", Line: 37, Verdict: "not_checked",
			Summary: "not checked: suite defect (1 of 2 specs conformant)", Reasons: []string{"suite defect"}, Specs: 2, Conformant: 1},
		{ID: "tel.401.none", Code: 401, Title: "401 (no status)", Line: 20, Verdict: "known_failure", Summary: "known failure (baseline)", Reasons: []string{}, Specs: 3, Conformant: 2},
		{ID: "tel.403.access_denied", Code: 403, Title: "403 access_denied", Line: 22, Verdict: "conformant", Summary: "conformant (its --baseline entry is stale: remove it)", Reasons: []string{}, Specs: 1, Conformant: 1},
		{ID: "tel.404.none", Code: 404, Title: "404 (no status)", Line: 26, Verdict: "not_checked", Summary: "not checked: filtered out", Reasons: []string{"filtered out"}, Specs: 1},
	} {
		if !reflect.DeepEqual(rows[want.ID], want) {
			t.Errorf("row\n got %+v\nwant %+v", rows[want.ID], want)
		}
	}

	// The specs that are not conformant, in row order, each with what
	// its outcome needs.
	wantSpecs := []spec{
		{ID: "tel.401.none/token-expired", Row: "tel.401.none", Name: "401 (no status): token expired", Outcome: "known_failure",
			Problems: []problem{{"code", "want HTTP 401, got 403"}}, Baseline: "expired tokens get 403 until ticket 77"},
		{ID: "tel.403.access_denied/another-client-s-resource", Row: "tel.403.access_denied", Name: "403 access_denied: another client's resource",
			Outcome: "stale_baseline", Message: "passes, though the baseline lists it as a known failure: remove the entry", Baseline: "ticket 12 shipped"},
		{ID: "tel.403.user_blocked/blocked-user-s-token", Row: "tel.403.user_blocked", Name: "403 user_blocked: blocked user's token",
			Outcome: "not_conformant", Message: "the answer does not conform",
			Problems: []problem{{"code", "want HTTP 403, got 200"}, {"status", `want "user_blocked", the body has no status field`}}},
		{ID: "tel.404.none/unknown-path", Row: "tel.404.none", Name: "404 (no status): unknown path", Outcome: "not_checked", Reason: "filtered",
			Message: "left out by --label-filter=!http-404"},
		{ID: "tel.413.none/oversized-request-body", Row: "tel.413.none", Name: "413 (no status): oversized request body", Outcome: "not_checked",
			Reason: "unreachable", Message: "no answer: read tcp 10.0.0.2:51234->203.0.113.7:443: connection reset by peer"},
		{ID: "tel.413.large_file/oversized-upload", Row: "tel.413.large_file", Name: "413 large_file: oversized upload", Outcome: "not_checked",
			Reason: "interrupted", Message: "interrupted (SIGINT) before this spec ran"},
		{ID: "tel.429.rate_limit_exceeded/request-burst", Row: "tel.429.rate_limit_exceeded", Name: "429 rate_limit_exceeded: request burst",
			Outcome: "not_checked", Reason: "configuration", Key: "credentials.rate_limit",
			Message: "configuration key credentials.rate_limit is not set: this condition cannot be provoked without it"},
		{ID: "tel.400.input_error/argument-of-wrong-type", Row: "tel.400.input_error", Name: "400 input_error: argument of wrong type",
			Outcome: "not_checked", Reason: "suite_defect", Message: "the suite failed: runtime error: index out of range [3] with length 3"},
		{ID: "tel.400.archive_already_requested/second-archive-request", Row: "tel.400.archive_already_requested",
			Name: "400 archive_already_requested: second archive request", Outcome: "not_checked", Reason: "precondition",
			Step: "archive_requestable", SeeRow: "tel.400.no_records", Message: "requests.archive_requestable answered 400, want 201: the condition was not provoked"},
	}
	if !reflect.DeepEqual(tel.Specs, wantSpecs) {
		g, _ := json.MarshalIndent(tel.Specs, "", "  ")
		t.Errorf("specs\n%s", g)
	}
}

// A record carries the catalog it was judged against, and the report reads
// its rows from there, whatever catalogs this build holds: a record of an
// API this build does not know reads whole.
func TestRowsComeFromTheRecordsCatalog(t *testing.T) {
	cat, err := catalog.Parse([]byte("api: billing\npage: b.txt\nrows:\n  - {id: bil.402, code: 402, line: 7, ru: r, en: e, probes: [unpaid]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cat.Dir = "suites/billing"
	run := &record.Run{API: "billing", Documented: cat, Asked: record.Asked{Started: t0, Finished: t0}, Specs: []record.Spec{
		{ID: "bil.402/unpaid", Row: "bil.402", Name: "402: unpaid", Probe: "unpaid", Verdict: record.Verdict{Outcome: record.NotConformant,
			Problems: []record.Problem{{Part: "code", Text: "want HTTP 402, got 200"}}}},
	}}
	dir := t.TempDir()
	if err := record.Write(record.Path(dir, "billing"), func(s string) string { return s }, run); err != nil {
		t.Fatal(err)
	}
	s := Read(dir)
	if len(s.Runs) != 1 || len(s.Unreadable) != 0 {
		t.Fatalf("runs %d, unreadable %+v", len(s.Runs), s.Unreadable)
	}
	bil := s.Runs[0]
	if bil.Page != "suites/billing/b.txt" || len(bil.Rows) != 1 || bil.Rows[0].ID != "bil.402" || bil.Rows[0].Line != 7 ||
		bil.Rows[0].Verdict != record.NotConformant || bil.RowCounts != (RowCounts{Rows: 1, NotConformant: 1}) {
		t.Errorf("run read from its own catalog: %+v", bil)
	}
}
