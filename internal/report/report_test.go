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
)

// -out keeps the files written from testdata in a folder, to look at.
var out = flag.String("out", "", "also write index.html and summary.json from testdata here")

// testRuns are hand-made reports: telephony (default profile) with a pass,
// a failure with its exchange, a skip and a filtered spec; content
// (variant profile) with a failure in one format, passes, and a
// suite-level error.
var testRuns = []Run{
	{Profile: "default", Path: "testdata/telephony.xml"},
	{Profile: "variant", Path: "testdata/content.xml"},
}

func row(t *testing.T, a API, id string) Row {
	t.Helper()
	for _, r := range a.Rows {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("%s: no row %s", a.API, id)
	return Row{}
}

func TestBuild(t *testing.T) {
	s, err := Build(testRuns)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Counts{Specs: 8, Passed: 3, Failed: 3, Skipped: 1, Filtered: 1}); s.Totals != want {
		t.Errorf("totals %+v, want %+v", s.Totals, want)
	}
	tel, con := s.APIs[0], s.APIs[1]
	if tel.API != "telephony" || tel.Profile != "default" || con.API != "content" || con.Profile != "variant" {
		t.Fatalf("apis %s/%s, %s/%s", tel.API, tel.Profile, con.API, con.Profile)
	}
	if tel.Page != "internal/catalog/pages/000_06a165e8fd570c61.txt" || tel.Properties["target"] != "http://127.0.0.1:8080" {
		t.Errorf("page %q, properties %v", tel.Page, tel.Properties)
	}
	if tel.Rows[0].ID != "tel.get.200" || tel.Rows[0].Counts != (Counts{Specs: 1, Passed: 1}) {
		t.Errorf("first row %+v", tel.Rows[0])
	}
	blocked := row(t, tel, "tel.403.user_blocked")
	if blocked.Line != 23 || blocked.Title != "403 user_blocked" || len(blocked.Failed) != 1 {
		t.Fatalf("row %+v", blocked)
	}
	f := blocked.Failed[0]
	if f.ID != "tel.403.user_blocked/blocked-user-s-token" || f.Outcome != Failed {
		t.Errorf("failure %+v", f)
	}
	if want := []string{"code: want HTTP 403, got 200", `status: want "user_blocked", got none`}; !reflect.DeepEqual(f.Parts, want) {
		t.Errorf("parts %q, want %q", f.Parts, want)
	}
	if !strings.HasPrefix(f.Exchange(), "> GET http://127.0.0.1:8080/api/ver1.0/client/@me/") ||
		!strings.HasSuffix(f.Exchange(), `< {"name":"<script>alert(1)</script>"}`) {
		t.Errorf("exchange %q", f.Exchange())
	}
	if len(f.Curls()) != 1 || !strings.HasPrefix(f.Curls()[0], "curl -sS -i -X GET 'http://127.0.0.1:8080/") {
		t.Errorf("curls %q", f.Curls())
	}
	if c := row(t, tel, "tel.429.rate_limit_exceeded").Counts; c != (Counts{Specs: 1, Skipped: 1}) {
		t.Errorf("skipped row %+v", c)
	}
	if c := row(t, tel, "tel.404.none").Counts; c != (Counts{Specs: 1, Filtered: 1}) {
		t.Errorf("filtered row %+v", c)
	}
	fault := row(t, con, "con.500.internal")
	if fault.Counts != (Counts{Specs: 2, Passed: 1, Failed: 1}) || fault.Failed[0].variant != "json" || fault.Failed[0].probe != "configured fault trigger" {
		t.Errorf("content row %+v", fault)
	}
	if len(con.Other) != 1 || con.Other[0].Name != "[BeforeSuite]" || con.Other[0].Outcome != Error {
		t.Errorf("other %+v", con.Other)
	}
}

func TestHTML(t *testing.T) {
	s, err := Build(testRuns)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := s.HTML(&b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{
		// the failure: requirement, broken parts, exchange (escaped), curl
		`id="f-telephony-default-1"`, `href="#f-telephony-default-1"`,
		"internal/catalog/pages/000_06a165e8fd570c61.txt</code>, line 23",
		"Данный пользователь либо клиент, к которому относится пользователь, заблокирован",
		"this user, or the client the user belongs to, is blocked",
		"<li>code: want HTTP 403, got 200</li>",
		"&lt; {&#34;name&#34;:&#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34;}",
		"curl -sS -i -X GET &#39;http://127.0.0.1:8080/api/ver1.0/client/@me/&#39;",
		// the matrix: formats as columns for content, probes for telephony
		"<th>json</th><th>xml</th>", "<th>probes</th>",
		`<span class="b filtered"`, `<span class="b skipped"`,
		"configuration key credentials.rate_limit is not set",
		"[BeforeSuite]",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	for _, never := range []string{"<script", "<link", "src=", "@import", "url("} {
		if strings.Contains(html, never) {
			t.Errorf("index.html holds %q: it must be self-contained and inert", never)
		}
	}
}

// summary.json keeps the documented shape (docs/reports.md).
func TestSummaryJSON(t *testing.T) {
	dir := t.TempDir()
	if *out != "" {
		dir = *out
	}
	if err := Write(dir, testRuns); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SchemaVersion int            `json:"schema_version"`
		Totals        map[string]int `json:"totals"`
		APIs          []struct {
			API, Profile, Report, Page, Started string
			Properties                          map[string]string
			Totals                              map[string]int
			Rows                                []struct {
				ID     string
				Code   int
				Title  string
				Line   int
				Counts map[string]int
				Failed []struct {
					Name, ID, Outcome, Message string
					Parts                      []string
				}
			}
			Other []struct{ Name, Outcome, Message string }
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("summary.json: %v\n%s", err, raw)
	}
	if doc.SchemaVersion != 1 || doc.Totals["failed"] != 3 || len(doc.APIs) != 2 {
		t.Fatalf("summary.json: %+v", doc)
	}
	tel := doc.APIs[0]
	if tel.API != "telephony" || tel.Profile != "default" || tel.Report != "testdata/telephony.xml" || tel.Started != "2026-01-02T03:04:05" {
		t.Errorf("api %+v", tel)
	}
	for _, r := range tel.Rows {
		if r.ID != "tel.403.user_blocked" {
			continue
		}
		if r.Code != 403 || r.Line != 23 || r.Counts["failed"] != 1 || len(r.Failed) != 1 ||
			r.Failed[0].ID != "tel.403.user_blocked/blocked-user-s-token" || len(r.Failed[0].Parts) != 2 ||
			!strings.HasPrefix(r.Failed[0].Message, "[requirement] 403 user_blocked") {
			t.Errorf("row %+v", r)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		t.Error(err)
	}
}

func TestBuildMissingReport(t *testing.T) {
	if _, err := Build([]Run{{Profile: "default", Path: "testdata/none.xml"}}); err == nil {
		t.Error("a report that cannot be read is not an error")
	}
}
