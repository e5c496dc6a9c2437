package refserver

import (
	"github.com/confsuite/apiconform/internal/refserver/serve"

	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	owner   = "var-owner-token-0001"
	stale   = "var-stale-token-0002"
	frozen  = "var-frozen-token-0003"
	viewer  = "var-viewer-token-0004"
	kiosk   = "var-kiosk-token-0005"
	partner = "var-partner-token-0006"
	burst   = "var-burst-token-0007"
	base    = "/pbx/v2"
)

func newVariantServer(t *testing.T) (*Server, *httptest.Server, *serve.Clock) {
	t.Helper()
	clock := &serve.Clock{T: time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC), Step: time.Second}
	seed := VariantSeed()
	seed.Now = clock.Now
	s := New(seed)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs, clock
}

type answer struct {
	code   int
	header http.Header
	body   map[string]any
	raw    []byte
}

func do(t *testing.T, hs *httptest.Server, method, path, token, contentType string, body []byte) answer {
	t.Helper()
	req, err := http.NewRequest(method, hs.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{code: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

func jsonDo(t *testing.T, hs *httptest.Server, method, path, token, body string) answer {
	t.Helper()
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	return do(t, hs, method, path, token, ct, []byte(body))
}

// checkError checks a documented error: code, status (absent when ""), the
// human text, a trace and the Content-Type.
func checkError(t *testing.T, name string, a answer, code int, status string) {
	t.Helper()
	if a.code != code {
		t.Errorf("%s: code %d, want %d (%s)", name, a.code, code, a.raw)
		return
	}
	got, has := a.body["status"]
	if status == "" && has || status != "" && got != status {
		t.Errorf("%s: status %v (present %v), want %q", name, got, has, status)
	}
	if s, _ := a.body["error"].(string); s == "" {
		t.Errorf("%s: no error text in %s", name, a.raw)
	}
	if s, _ := a.body["trace"].(string); s == "" {
		t.Errorf("%s: no trace in %s", name, a.raw)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", name, ct)
	}
}

func TestVariantErrors(t *testing.T) {
	_, hs, _ := newVariantServer(t)
	acct := base + "/accounts/acme-01"
	for _, tc := range []struct {
		name, method, path, token, body string
		code                            int
		status                          string
	}{
		{"no token", "GET", acct, "", "", 401, ""},
		{"unknown token", "GET", acct, "nope", "", 401, ""},
		{"expired token", "GET", acct, stale, "", 401, ""},
		{"blocked", "GET", acct, frozen, "", 403, "user_blocked"},
		{"unknown path", "GET", base + "/nothing", owner, "", 404, ""},
		{"outside base", "GET", "/api/ver1.0/client/1001/", owner, "", 404, ""},
		{"trailing slash", "GET", acct + "/", owner, "", 404, ""},
		{"trailing slash lines", "GET", acct + "/lines/", owner, "", 404, ""},
		{"method", "DELETE", acct, owner, "", 405, ""},
		{"method lines", "DELETE", acct + "/lines", owner, "", 405, ""},
		{"method media item", "GET", acct + "/media/m-0001", owner, "", 405, ""},
		{"unknown account", "GET", base + "/accounts/nobody-99", owner, "", 404, "client_not_found"},
		{"another account", "GET", base + "/accounts/globex-02", owner, "", 403, "access_denied"},
		{"partner on account", "GET", acct, partner, "", 403, "access_denied"},
		{"partner @me", "GET", base + "/accounts/@me", partner, "", 400, "unresolvable_me"},
		{"line @me", "GET", acct + "/lines/@me", owner, "", 400, "unresolvable_me"},
		{"viewer writes", "POST", acct + "/lines", viewer, `{"title":"v","kind":"phone"}`, 403, "user_access_type_deny"},
		{"viewer patches", "PATCH", acct, viewer, `{"title":"v"}`, 403, "user_access_type_deny"},
		{"kiosk media", "GET", acct + "/media", kiosk, "", 403, "app_access_type_deny"},
		{"kiosk upload", "POST", acct + "/media", kiosk, "", 403, "app_access_type_deny"},
		{"unknown line", "GET", acct + "/lines/ln-ffff", owner, "", 404, "extension_not_found"},
		{"queue of a phone", "GET", acct + "/lines/ln-0001/queue", owner, "", 400, "wrong_extension_type"},
		{"missing title", "POST", acct + "/lines", owner, `{"kind":"phone"}`, 400, "input_error"},
		{"empty title", "POST", acct + "/lines", owner, `{"title":"","kind":"phone"}`, 400, "input_error"},
		{"numeric kind", "POST", acct + "/lines", owner, `{"title":"11","kind":12345}`, 400, "input_error"},
		{"unknown kind", "POST", acct + "/lines", owner, `{"title":"11","kind":"modem"}`, 400, "input_error"},
		{"not an object", "POST", acct + "/lines", owner, `[1]`, 400, "input_error"},
		{"title taken", "POST", acct + "/lines", owner, `{"title":"100","kind":"phone"}`, 400, "already_exists"},
		{"archive bad dates", "POST", acct + "/calls/archive", owner, `{"from":"2026-03-01 00:00:00","to":"2026-03-02"}`, 400, "input_error"},
		{"no records", "POST", acct + "/calls/archive", owner, `{"from":"2025-01-01","to":"2025-01-31"}`, 400, "no_records"},
		{"too large", "POST", acct + "/calls/archive", owner, `{"from":"2026-03-01","to":"2026-03-31"}`, 400, "records_size_too_large"},
		{"no pending archive", "GET", acct + "/calls/archive/ar-0001", owner, "", 404, ""},
		{"unknown media", "DELETE", acct + "/media/m-9999", owner, "", 404, ""},
		// Order of checks.
		{"auth before routing", "GET", base + "/nothing", "nope", "", 401, ""},
		{"blocked before routing", "GET", base + "/nothing", frozen, "", 403, "user_blocked"},
		{"routing before account", "GET", base + "/accounts/nobody-99/bogus", owner, "", 404, ""},
		{"method before account", "DELETE", base + "/accounts/nobody-99", owner, "", 405, ""},
		{"account before scope", "POST", base + "/accounts/globex-02/lines", viewer, `{}`, 403, "access_denied"},
		{"scope before body", "POST", acct + "/lines", viewer, `[]`, 403, "user_access_type_deny"},
	} {
		checkError(t, tc.name, jsonDo(t, hs, tc.method, tc.path, tc.token, tc.body), tc.code, tc.status)
	}
}

func TestVariantSuccess(t *testing.T) {
	s, hs, _ := newVariantServer(t)
	acct := base + "/accounts/acme-01"
	a := jsonDo(t, hs, "GET", base+"/accounts/@me", owner, "")
	if a.code != 200 || a.body["uid"] != "acme-01" || a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("@me: %d %s", a.code, a.raw)
	}
	if a := jsonDo(t, hs, "PATCH", acct, owner, `{"title":"Acme Ltd"}`); a.code != 200 || a.body["title"] != "Acme Ltd" {
		t.Fatalf("patch: %d %s", a.code, a.raw)
	}
	if a := jsonDo(t, hs, "GET", acct+"/lines/ln-0002/queue", viewer, ""); a.code != 200 {
		t.Fatalf("queue for viewer: %d %s", a.code, a.raw)
	}
	if a := jsonDo(t, hs, "GET", acct+"/calls", kiosk, ""); a.code != 200 || len(a.raw) < 10 {
		t.Fatalf("kiosk reads calls: %d %s", a.code, a.raw)
	}
	a = jsonDo(t, hs, "POST", acct+"/lines", owner, `{"title":"4242","kind":"fax","mail":"ops@acme-01.test"}`)
	if a.code != 201 || a.body["uid"] != nil || a.header.Get("Location") != acct+"/lines/ln-0003" || a.body["title"] != "4242" || a.body["kind"] != "fax" {
		t.Fatalf("create: want 201, its Location and no uid in the body: %d %v %s", a.code, a.header, a.raw)
	}
	checkError(t, "mail of no user", jsonDo(t, hs, "POST", acct+"/lines", owner, `{"title":"4244","kind":"ivr","mail":"x@example.test"}`), 400, "input_error")
	checkError(t, "seeded mail taken", jsonDo(t, hs, "POST", acct+"/lines", owner, `{"title":"4244","kind":"ivr","mail":"desk@acme-01.test"}`), 400, "email_duplicate")
	checkError(t, "mail taken", jsonDo(t, hs, "POST", acct+"/lines", owner, `{"title":"4243","kind":"ivr","mail":"ops@acme-01.test"}`), 400, "email_duplicate")
	if a := jsonDo(t, hs, "PUT", acct+"/lines/ln-0003", owner, `{"note":"by the door"}`); a.code != 200 || a.body["note"] != "by the door" {
		t.Fatalf("put: %d %s", a.code, a.raw)
	}
	if a := jsonDo(t, hs, "GET", acct+"/lines/ln-0003", owner, ""); a.code != 200 || a.body["mail"] != "ops@acme-01.test" {
		t.Fatalf("get: %d %s", a.code, a.raw)
	}
	if got := s.Created(); !reflect.DeepEqual(got, []string{"account acme-01 line ln-0003 (4242)"}) {
		t.Fatalf("Created after create = %q", got)
	}
	if a := jsonDo(t, hs, "DELETE", acct+"/lines/ln-0003", owner, ""); a.code != 204 || len(a.raw) != 0 {
		t.Fatalf("delete: %d %s", a.code, a.raw)
	}
	if got := s.Created(); len(got) != 0 {
		t.Fatalf("Created after delete = %q", got)
	}
}

func TestVariantLineLimit(t *testing.T) {
	_, hs, _ := newVariantServer(t)
	path := base + "/accounts/acme-01/lines"
	for i := 3; i <= VariantMaxLines; i++ {
		if a := jsonDo(t, hs, "POST", path, owner, `{"title":"1`+string(rune('0'+i))+`","kind":"phone"}`); a.code != 201 {
			t.Fatalf("line %d: %d %s", i, a.code, a.raw)
		}
	}
	checkError(t, "ninth line", jsonDo(t, hs, "POST", path, owner, `{"title":"99","kind":"phone"}`), 400, "limit_exceeded")
}

func TestVariantArchive(t *testing.T) {
	s, hs, _ := newVariantServer(t)
	path := base + "/accounts/acme-01/calls/archive"
	// 20 recordings of 3 MiB are exactly the 60 MiB an archive may hold.
	a := jsonDo(t, hs, "POST", path, owner, `{"from":"2026-03-01","to":"2026-03-20"}`)
	if a.code != 201 || string(a.raw) != "{\"state\":\"preparing\"}\n" || a.header.Get("Location") != path+"/ar-0001" {
		t.Fatalf("request: %d %v %s", a.code, a.header, a.raw)
	}
	checkError(t, "again", jsonDo(t, hs, "POST", path, owner, `{"from":"2026-03-01","to":"2026-03-02"}`), 400, "archive_already_requested")
	if got := s.Created(); !reflect.DeepEqual(got, []string{"account acme-01 archive ar-0001"}) {
		t.Fatalf("Created = %q", got)
	}
	if a := jsonDo(t, hs, "GET", path+"/ar-0001", owner, ""); a.code != 200 {
		t.Fatalf("download: %d %s", a.code, a.raw)
	}
	checkError(t, "downloaded", jsonDo(t, hs, "GET", path+"/ar-0001", owner, ""), 404, "")
	if got := s.Created(); len(got) != 0 {
		t.Fatalf("Created after download = %q", got)
	}
	checkError(t, "21 days", jsonDo(t, hs, "POST", path, owner, `{"from":"2026-03-01","to":"2026-03-21"}`), 400, "records_size_too_large")
}

func multipartBody(t *testing.T, field string, file []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, err := mw.CreateFormFile(field, "prompt.bin")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(file)
	_ = mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func TestVariantUpload(t *testing.T) {
	s, hs, _ := newVariantServer(t)
	path := base + "/accounts/acme-01/media"
	wav := append([]byte("RIFF\x00\x00\x00\x00WAVEfmt "), make([]byte, 100)...)
	mp3 := []byte("ID3\x04\x00rest")

	ct, body := multipartBody(t, "audio", wav)
	a := do(t, hs, "POST", path, owner, ct, body)
	if a.code != 201 || a.body["uid"] != "m-0001" || a.body["bytes"] != float64(len(wav)) {
		t.Fatalf("wav: %d %s", a.code, a.raw)
	}
	ct, body = multipartBody(t, "audio", mp3)
	if a := do(t, hs, "POST", path, owner, ct, body); a.code != 201 || a.body["uid"] != "m-0002" {
		t.Fatalf("mp3: %d %s", a.code, a.raw)
	}
	if got := s.Created(); !reflect.DeepEqual(got, []string{"account acme-01 media m-0001", "account acme-01 media m-0002"}) {
		t.Fatalf("Created = %q", got)
	}

	checkError(t, "raw body", do(t, hs, "POST", path, owner, "audio/wav", wav), 400, "input_error")
	ct, body = multipartBody(t, "sound", wav)
	checkError(t, "wrong part", do(t, hs, "POST", path, owner, ct, body), 400, "input_error")
	ct, body = multipartBody(t, "audio", []byte("just some text, not audio"))
	checkError(t, "text file", do(t, hs, "POST", path, owner, ct, body), 400, "wrong_file")
	ct, body = multipartBody(t, "audio", append(wav, make([]byte, VariantMaxMediaBytes)...))
	checkError(t, "large file", do(t, hs, "POST", path, owner, ct, body), 413, "large_file")

	if a := do(t, hs, "DELETE", path+"/m-0001", owner, "", nil); a.code != 204 {
		t.Fatalf("delete: %d %s", a.code, a.raw)
	}
	if a := do(t, hs, "DELETE", path+"/m-0002", owner, "", nil); a.code != 204 {
		t.Fatalf("delete: %d %s", a.code, a.raw)
	}
	if got := s.Created(); len(got) != 0 {
		t.Fatalf("Created after delete = %q", got)
	}
}

func TestVariantBodyLimit(t *testing.T) {
	_, hs, _ := newVariantServer(t)
	path := base + "/accounts/acme-01/media"
	// Over the limit, before authentication.
	checkError(t, "over by Content-Length", do(t, hs, "POST", path, "", "application/octet-stream", make([]byte, VariantMaxBodyBytes+1)), 413, "")
	// Without a Content-Length the limit is met while reading.
	req, _ := http.NewRequest("POST", hs.URL+path, io.MultiReader(strings.NewReader(""), bytes.NewReader(make([]byte, VariantMaxBodyBytes+1))))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+owner)
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 413 || strings.Contains(string(raw), "status") {
		t.Fatalf("chunked over: %d %s", resp.StatusCode, raw)
	}
	// Exactly 10,000,000 bytes are let through to the resource.
	checkError(t, "at the limit", do(t, hs, "POST", path, owner, "application/octet-stream", make([]byte, VariantMaxBodyBytes)), 400, "input_error")
}

func TestVariantRateLimit(t *testing.T) {
	_, hs, clock := newVariantServer(t)
	clock.Step = 0
	path := base + "/accounts/acme-01"
	for _, tc := range []struct {
		token string
		limit int
	}{{burst, 5}, {owner, 25}, {viewer, 25}, {kiosk, 25}} {
		clock.T = clock.T.Add(time.Second).Truncate(time.Second).Add(300 * time.Millisecond)
		for i := 1; i <= tc.limit; i++ {
			if a := jsonDo(t, hs, "GET", path, tc.token, ""); a.code != 200 {
				t.Fatalf("%s request %d: %d %s", tc.token, i, a.code, a.raw)
			}
		}
		a := jsonDo(t, hs, "GET", path, tc.token, "")
		checkError(t, tc.token+" over", a, 429, "rate_limit_exceeded")
		if ra := a.header.Get("Retry-After"); ra != "1" {
			t.Fatalf("%s: Retry-After %q", tc.token, ra)
		}
		clock.T = clock.T.Add(700 * time.Millisecond) // the next window
		if a := jsonDo(t, hs, "GET", path, tc.token, ""); a.code != 200 {
			t.Fatalf("%s next window: %d %s", tc.token, a.code, a.raw)
		}
	}
	// The partner token is limited too; it answers 400 within its limit.
	clock.T = clock.T.Add(time.Second)
	for i := 0; i < 25; i++ {
		jsonDo(t, hs, "GET", base+"/accounts/@me", partner, "")
	}
	checkError(t, "partner over", jsonDo(t, hs, "GET", base+"/accounts/@me", partner, ""), 429, "rate_limit_exceeded")
}

func TestUnknownProfilePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	New(Seed{Profile: "bogus"})
}
