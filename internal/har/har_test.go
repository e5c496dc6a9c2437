package har

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/confsuite/apiconform/runner"
)

const secret = "s3cr3t-token-value"

const schemaDir = "testdata/har-schema"

func redactor() *runner.Redactor {
	r := runner.NewRedactor()
	r.Add("credentials.valid", secret)
	return r
}

// reference answers like a small API: JSON echoing the request (the
// secret too), bytes that are not text, and 201 to a POST.
func reference(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case r.URL.Path == "/binary":
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write([]byte{0, 1, 2, 0xff, 0xfe})
		case r.Method == http.MethodPost:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id":"7","size":` + jsonNumber(len(body)) + `}`))
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"echo":"` + r.Header.Get("Authorization") + `","q":"` + r.URL.RawQuery + `"}`))
		}
	}))
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	return srv
}

func jsonNumber(n int) string { raw, _ := json.Marshal(n); return string(raw) }

// requests are what a spec "«a»" and a spec "«b»" send.
func requests() []runner.Request {
	auth := http.Header{"Authorization": {"Bearer " + secret}}
	return []runner.Request{
		{Method: "GET", Path: "/items/1", Query: map[string][]string{"format": {"json"}}, Header: auth, Origin: "«a»"},
		{Method: "POST", Path: "/items/", Header: http.Header{"Authorization": {"Bearer " + secret}, "Content-Type": {"application/json"}},
			Body: []byte(`{"name":"fresh-1234","token":"` + secret + `"}`), Fresh: []string{"fresh-1234"}, Origin: "«a»"},
		{Method: "GET", Path: "/binary", Origin: "«b»"},
		{Method: "PUT", Path: "/upload", Stream: &runner.Stream{Prefix: []byte("head"), Fill: 'x', Size: 2 << 20, Suffix: []byte("tail")}, Origin: "«b»"},
	}
}

func tag(origin string) (string, string) {
	switch origin {
	case "«a»":
		return "row.a/probe", "row.a"
	case "«b»":
		return "row.b/probe", "row.b"
	}
	return "", ""
}

// record sends the requests to a loopback server with a recording client
// and merges the recording into dir/run.har.
func recordRun(t *testing.T, dir string) (string, []*runner.Exchange) {
	t.Helper()
	srv := reference(t)
	file := filepath.Join(dir, "run.har")
	rec, err := NewRecorder(file, 42, 1, redactor(), tag)
	if err != nil {
		t.Fatal(err)
	}
	c, err := runner.New(runner.Options{Target: srv.URL, Redactor: redactor(), Recorder: rec.Record})
	if err != nil {
		t.Fatal(err)
	}
	var out []*runner.Exchange
	for _, req := range requests() {
		out = append(out, c.Do(req))
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	n, err := Merge(file, 42, Run{API: "demo", Version: "0.0.1", Target: srv.URL, Started: time.Now()}, func(spec string) (string, string) {
		return map[string]string{"row.a/probe": "conformant", "row.b/probe": "not_checked"}[spec], map[string]string{"row.b/probe": "precondition"}[spec]
	}, redactor().Redact)
	if err != nil || n != len(out) {
		t.Fatalf("merge: %d entries, %v", n, err)
	}
	return file, out
}

func TestRecordingIsHAR12RedactedAndTagged(t *testing.T) {
	dir := t.TempDir()
	file, _ := recordRun(t, dir)
	if err := CheckSchema(file, schemaDir); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(file)
	if strings.Contains(string(raw), secret) {
		t.Fatal("the recording holds the secret")
	}
	if !strings.Contains(string(raw), "[redacted:credentials.valid]") {
		t.Error("the recording does not say which credential was sent")
	}
	if parts, _ := filepath.Glob(filepath.Join(dir, ".run.har.*")); len(parts) != 0 {
		t.Errorf("part files left behind: %v", parts)
	}
	h, err := Read(file)
	if err != nil {
		t.Fatal(err)
	}
	es := h.Log.Entries
	if len(es) != 4 || h.Log.Version != "1.2" || h.Log.Run == nil || h.Log.Run.API != "demo" {
		t.Fatalf("log: version %q, %d entries, run %+v", h.Log.Version, len(es), h.Log.Run)
	}
	if !slices.IsSortedFunc(es, func(a, b Entry) int { return int(started(a) - started(b)) }) {
		t.Error("entries are not in order of time")
	}
	if es[0].Spec != "row.a/probe" || es[0].Row != "row.a" || es[0].Outcome != "conformant" || es[2].Outcome != "not_checked" || es[2].Reason != "precondition" {
		t.Errorf("tags: %+v / %+v", es[0], es[2])
	}
	if got := es[0].Request.QueryString; len(got) != 1 || got[0] != (NV{"format", "json"}) {
		t.Errorf("queryString: %v", got)
	}
	if es[0].Response.Status != 200 || !strings.Contains(es[0].Response.Content.Text, `"echo":"Bearer [redacted:credentials.valid]"`) {
		t.Errorf("the echoed secret should read redacted: %+v", es[0].Response.Content)
	}
	if es[0].Timings.Wait <= 0 || es[0].Time < es[0].Timings.Wait {
		t.Errorf("timings: %+v, time %v", es[0].Timings, es[0].Time)
	}
	bin := es[2].Response.Content
	if b, err := base64.StdEncoding.DecodeString(bin.Text); bin.Encoding != "base64" || err != nil || string(b) != "\x00\x01\x02\xff\xfe" {
		t.Errorf("a body that is not text should be base64: %+v", bin)
	}
	up := es[3].Request.PostData
	if up == nil || up.Text != "" || up.Size != 2<<20 || up.SHA256 == "" || up.Stream == nil || es[3].Request.BodySize != 2<<20 {
		t.Errorf("a body past MaxPostText is its size and digest: %+v", up)
	}
	if es[1].Response.Status != 201 || len(es[1].Fresh) != 1 {
		t.Errorf("POST entry: %+v", es[1])
	}

	// The schema test bites: a HAR without its version fails.
	var doc map[string]map[string]any
	_ = json.Unmarshal(raw, &doc)
	delete(doc["log"], "version")
	broken := filepath.Join(dir, "broken.har")
	out, _ := json.Marshal(doc)
	_ = os.WriteFile(broken, out, 0o644)
	if err := CheckSchema(broken, schemaDir); err == nil || !strings.Contains(err.Error(), "version") {
		t.Errorf("a HAR with no log.version passes the schema check: %v", err)
	}
}

func TestPartsOfProcessesMergeInOrderOfTime(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "p.har")
	r := redactor()
	one, _ := NewRecorder(file, 7, 1, r, tag)
	two, _ := NewRecorder(file, 7, 2, r, tag)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 6 {
		rec := []*Recorder{one, two}[i%2]
		rec.Record(&runner.Exchange{Method: "GET", URL: "http://127.0.0.1/x/" + string(rune('a'+i)), Started: base.Add(time.Duration(5-i) * time.Second),
			Request: runner.Request{Origin: "«a»"}, Status: 200, Proto: "HTTP/1.1", ResponseHeader: http.Header{}})
	}
	_ = one.Close()
	_ = two.Close()
	if _, err := Merge(file, 7, Run{API: "demo"}, nil, r.Redact); err != nil {
		t.Fatal(err)
	}
	h, err := Read(file)
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, e := range h.Log.Entries {
		urls = append(urls, e.Request.URL[len(e.Request.URL)-1:])
	}
	if strings.Join(urls, "") != "fedcba" {
		t.Errorf("entries of both processes in order of time: %v", urls)
	}
	if err := CheckSchema(file, schemaDir); err != nil {
		t.Error(err)
	}
}

// replayClient answers from the recording at file.
func replayClient(t *testing.T, file string) *runner.Client {
	t.Helper()
	h, err := Read(file)
	if err != nil {
		t.Fatal(err)
	}
	_, target, _ := h.About()
	c, err := runner.New(runner.Options{Target: target, Redactor: redactor(), Replay: NewReplay(h, redactor(), tag)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestReplayAnswersTheSameRequestsAsRecorded(t *testing.T) {
	file, live := recordRun(t, t.TempDir())
	c := replayClient(t, file)
	reqs := requests()
	reqs[1].Body = []byte(strings.Replace(string(reqs[1].Body), "fresh-1234", "fresh-9876", 1)) // made up anew
	reqs[1].Fresh = []string{"fresh-9876"}
	for i, req := range reqs {
		ex := c.Do(req)
		if ex.Err != nil || ex.Status != live[i].Status || ex.ContentType() != live[i].ContentType() {
			t.Fatalf("request %d: replayed %d %q %v, recorded %d", i, ex.Status, ex.ContentType(), ex.Err, live[i].Status)
		}
		want := redactor().Redact(string(live[i].Body))
		if string(ex.Body) != want {
			t.Errorf("request %d: body %q, recorded %q", i, ex.Body, want)
		}
	}
	// One more than the recording holds, another header, another spec.
	if ex := c.Do(reqs[0]); !errors.Is(ex.Err, runner.ErrNotRecorded) || !strings.Contains(ex.Err.Error(), "one more") {
		t.Errorf("a request the recording holds once, sent twice: %v", ex.Err)
	}
	c = replayClient(t, file)
	other := reqs[0]
	other.Header = http.Header{"Authorization": {"Bearer other-secret-value"}}
	if ex := c.Do(other); !errors.Is(ex.Err, runner.ErrNotRecorded) || !strings.Contains(ex.Err.Error(), "header Authorization") {
		t.Errorf("another credential should be named: %v", ex.Err)
	}
	bare := reqs[0]
	bare.Header = nil
	if ex := c.Do(bare); !errors.Is(ex.Err, runner.ErrNotRecorded) || !strings.Contains(ex.Err.Error(), "header Authorization not sent") {
		t.Errorf("a request without the recorded credential should be named: %v", ex.Err)
	}
	moved := reqs[0]
	moved.Query = map[string][]string{"format": {"xml"}}
	if ex := c.Do(moved); !errors.Is(ex.Err, runner.ErrNotRecorded) || !strings.Contains(ex.Err.Error(), `query "format=xml", recorded "format=json"`) {
		t.Errorf("another query should be named: %v", ex.Err)
	}
	changed := reqs[1]
	changed.Body = []byte(`{"name":"fresh-9876"}`)
	if ex := c.Do(changed); !errors.Is(ex.Err, runner.ErrNotRecorded) || !strings.Contains(ex.Err.Error(), "body of 21 bytes") {
		t.Errorf("another body should be named: %v", ex.Err)
	}
	unknown := reqs[0]
	unknown.Origin = "«c»"
	if ex := c.Do(unknown); !errors.Is(ex.Err, runner.ErrNotRecorded) {
		t.Errorf("a spec the recording does not hold: %v", ex.Err)
	}
	if ex := c.Do(reqs[0]); ex.Err != nil || ex.Status != 200 {
		t.Errorf("misses leave the entry to the request it records: %d %v", ex.Status, ex.Err)
	}
}

// A HAR another tool wrote (a browser's export): no _ fields, the secret
// itself in the header, headers the suite does not send, an answer the
// server compressed nothing of. It replays, matched by method, path,
// query, the headers the suite sends and the body.
func TestHARFromAnotherToolReplays(t *testing.T) {
	foreign := `{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"pages":[],"entries":[
	{"startedDateTime":"2026-05-01T10:00:00.000Z","time":12,"request":{"method":"GET","url":"https://api.example.com/items/1?format=json","httpVersion":"HTTP/2",
	 "headers":[{"name":"authorization","value":"Bearer ` + secret + `"},{"name":"accept-language","value":"en"},{"name":"user-agent","value":"Mozilla/5.0"}],
	 "queryString":[{"name":"format","value":"json"}],"cookies":[],"headersSize":-1,"bodySize":0},
	 "response":{"status":404,"statusText":"","httpVersion":"HTTP/2","headers":[{"name":"content-type","value":"application/json"}],"cookies":[],
	 "content":{"size":22,"mimeType":"application/json","text":"{\"status\":\"not_found\"}"},"redirectURL":"","headersSize":-1,"bodySize":-1,"_transferSize":300},
	 "cache":{},"timings":{"blocked":-1,"dns":-1,"ssl":-1,"connect":-1,"send":0,"wait":11,"receive":1}}]}}`
	file := filepath.Join(t.TempDir(), "browser.har")
	_ = os.WriteFile(file, []byte(foreign), 0o644)
	if err := CheckSchema(file, schemaDir); err != nil {
		t.Fatal(err)
	}
	h, err := Read(file)
	if err != nil {
		t.Fatal(err)
	}
	if v, target, at := h.About(); v != "WebInspector 537.36" || target != "https://api.example.com" || at.IsZero() {
		t.Errorf("about: %q %q %v", v, target, at)
	}
	c := replayClient(t, file)
	ex := c.Do(requests()[0])
	if ex.Err != nil || ex.Status != 404 || string(ex.Body) != `{"status":"not_found"}` || ex.Proto != "HTTP/2.0" {
		t.Fatalf("replayed %d %s %q %v", ex.Status, ex.Proto, ex.Body, ex.Err)
	}
}

func TestReadRefusesWhatIsNotHAR(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"empty.har": "", "json.har": `{"a":1}`, "nomethod.har": `{"log":{"version":"1.2","entries":[{"request":{"url":"http://x/"}}]}}`} {
		_ = os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644)
		if _, err := Read(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s read as a HAR", name)
		}
	}
	if _, err := Read(filepath.Join(dir, "missing.har")); err == nil {
		t.Error("a missing file read")
	}
}

// Requests a replay holds no answer for never make the target count as
// unreachable: the next request the recording holds is answered.
func TestMissesDoNotTripTheUnreachableBreaker(t *testing.T) {
	file, _ := recordRun(t, t.TempDir())
	h, err := Read(file)
	if err != nil {
		t.Fatal(err)
	}
	_, target, _ := h.About()
	c, err := runner.New(runner.Options{Target: target, Redactor: redactor(), Replay: NewReplay(h, redactor(), tag), MaxTransportFailures: 1})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if ex := c.Do(runner.Request{Method: "DELETE", Path: "/nothing", Origin: "«a»"}); !errors.Is(ex.Err, runner.ErrNotRecorded) {
			t.Fatalf("want not in the recording, got %v", ex.Err)
		}
	}
	if ex := c.Do(requests()[0]); ex.Err != nil || ex.Status != 200 {
		t.Fatalf("after misses: %d %v", ex.Status, ex.Err)
	}
	if !c.Replaying() || c.ProxyFor() != "none" {
		t.Error("a replaying client says so, and uses no proxy")
	}
	if err := c.Abandon(requests()[0]); err != nil {
		t.Errorf("a replay has nothing to abandon: %v", err)
	}
}
