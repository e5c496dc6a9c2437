package selftest

// Issue 15: the edges a hostile or unlucky run finds. Nothing left,
// nothing leaked, nothing crashes.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/suites"
	reftel "github.com/confsuite/apiconform/suites/telephony/refserver"
)

// edgeSecrets are secrets a WSGI or Django target mangles when it echoes
// them: a quote (Python's html.escape writes &#x27;), a double quote, and
// non-ASCII letters (decoded as Latin-1 and encoded again as UTF-8); long
// enough that a 40-byte excerpt would cut them.
var edgeSecrets = map[string]string{
	"valid":           `Vx'Q"w-ünï-SECRET-valid-0123456789abcdefghijklmn`,
	"expired":         `Ex'p"d-ünï-SECRET-expired-0123456789abcdefghijkl`,
	"blocked_user":    `Bl'k"u-ünï-SECRET-blocked-0123456789abcdefghijkl`,
	"low_user_access": `Lo'u"a-ünï-SECRET-lowuser-0123456789abcdefghijkl`,
	"low_app_access":  `Lo'a"a-ünï-SECRET-lowapp-0123456789abcdefghijklm`,
	"rate_limit":      `Ra'l"i-ünï-SECRET-ratelim-0123456789abcdefghijkl`,
	"invalid":         `In'v"a-ünï-SECRET-invalid-0123456789abcdefghijkl`,
}

// spellAll writes every character of s as a numeric character reference.
func spellAll(s, format string) string {
	var b strings.Builder
	for _, c := range s {
		fmt.Fprintf(&b, format, c)
	}
	return b.String()
}

// latin1 is what a server that reads header bytes as Latin-1 makes of s,
// written again as UTF-8.
func latin1(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}

// assertNoSecretPart fails when any 12 bytes in a row of a secret's
// distinctive part appear anywhere: a prefix shown is a leak too.
func assertNoSecretPart(t *testing.T, r run, secrets map[string]string) {
	t.Helper()
	assertNoSecret(t, r, secrets)
	parts := map[string]string{}
	for role, s := range secrets {
		core := s[strings.Index(s, "SECRET-"):]
		for i := 0; i+12 <= len(core); i++ {
			parts[core[i:i+12]] = role
		}
	}
	for where, text := range r.texts() {
		for part, role := range parts {
			if strings.Contains(text, part) {
				t.Errorf("part %q of credentials.%s appears in %s", part, role, where)
				break
			}
		}
	}
}

// The target echoes every credential back in the forms real servers use:
// Python's and Django's HTML escaping, numeric character references in
// every spelling, the Latin-1 mojibake of the UTF-8 bytes, and, after the
// JSON value, the raw secret a failure message quotes a 40-byte excerpt of.
// None reaches the output, the reports, or Ginkgo's own reports.
func TestEchoedSecretFormsStayRedactedEverywhere(t *testing.T) {
	cfg, env := secretConfig(t, "telephony.yaml", edgeSecrets, "prompt.wav", "not-audio.txt")
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		python := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#x27;").Replace(token)
		moji, _ := json.Marshal(latin1(token))
		w.Header().Set("X-Echo", latin1(token))
		w.Header().Set("X-Echo-Html", python)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = fmt.Fprintf(w, `{"status":"%s","a":"%s","b":"%s","c":"%s","d":%s} %s`,
			python, spellAll(token, "&#%05d;"), spellAll(token, "&#X%X;"), spellAll(token, "&#x%04x;"), moji, token)
	})
	ginkgoReports := t.TempDir()
	r := runSuite(t, "telephony", echo, env, "--config="+cfg, "--ginkgo.v",
		"--ginkgo.junit-report="+filepath.Join(ginkgoReports, "ginkgo-junit.xml"),
		"--ginkgo.json-report="+filepath.Join(ginkgoReports, "ginkgo.json"))
	if r.Exit == 0 || r.Report.Failures+r.Report.Errors == 0 {
		t.Fatalf("the echoing target passed\n%s", tail(r.Output))
	}
	if !strings.Contains(r.Output, "trailing data") {
		t.Fatalf("no failure quotes the trailing data: the excerpt is not tested\n%s", tail(r.Output))
	}
	assertNoSecretPart(t, r, edgeSecrets)
	assertNoSecretPart(t, run{Reports: ginkgoReports}, edgeSecrets)
}

// dripSlowly sends its headers at once, then the body a byte a second,
// for ever (until the client leaves).
func dripSlowly(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	for {
		if _, err := w.Write([]byte(" ")); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// A target that sends its headers and then drips every body is as
// unreachable as a silent one: a request that reaches its timeout counts
// toward --max-transport-failures whether or not its headers came, and
// both suites end within 3 × --timeout plus a few seconds, every spec
// failing or not checked, none passing.
func TestDrippingTargetIsBounded(t *testing.T) {
	timeout := 2 * time.Second // APICONFORM_DRIP_TIMEOUT=10s measures the default
	if d, err := time.ParseDuration(os.Getenv("APICONFORM_DRIP_TIMEOUT")); err == nil && d > 0 {
		timeout = d
	}
	for _, a := range suites.All {
		api := a.Name
		t.Run(api, func(t *testing.T) {
			r := runSuite(t, api, http.HandlerFunc(dripSlowly), nil, "--timeout="+timeout.String(), fmt.Sprintf("--max-transport-failures=%d", unansweredBeforeUnreachable(t, a)))
			t.Logf("%s against a dripping target: %s, %d requests", api, r.Elapsed.Round(100*time.Millisecond), r.Requests)
			if bound := 3*timeout + 5*time.Second; r.Elapsed > bound {
				t.Errorf("took %s, more than %s", r.Elapsed, bound)
			}
			if r.Exit == 0 || r.Report.Passed != 0 {
				t.Errorf("exit %d, %d passed\n%s", r.Exit, r.Report.Passed, tail(r.Output))
			}
			if !strings.Contains(r.Output, "unreachable") {
				t.Errorf("no spec says the target is unreachable\n%s", tail(r.Output))
			}
		})
	}
}

// Configuration the load once accepted and the run then choked on, hung
// on or crashed with stops at load: exit 2, naming the key, within a
// second, without a panic, and with no request sent.
func TestConfigurationThatCannotWorkStopsAtLoad(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("../../fixtures/telephony.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fixture := string(raw)
	var requests atomic.Int64
	target := newServer(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { requests.Add(1) }))
	for _, c := range []struct{ name, extra, key string }{
		{"/dev/zero as the upload", "requests: {upload_large_file: {body: {file: /dev/zero}}}\n", "body.file"},
		{"a FIFO as the upload", "requests: {upload_large_file: {body: {file: " + fifo + "}}}\n", "body.file"},
		{"max_rate_requests of 4e9", "limits: {max_rate_requests: 4000000000}\n", "limits.max_rate_requests"},
		{"max_rate_requests of maxint64", "limits: {max_rate_requests: 9223372036854775807}\n", "limits.max_rate_requests"},
		{"retry without end", "retry: {attempts: 1000000000, max_wait: 100000h}\n", "retry.attempts"},
		{"rate .nan", "rate: .nan\n", "rate"},
		{"a second document", "---\nrate: 1\n", "second YAML document"},
		{"CRLF in auth.value", "auth: {header: Authorization, value: \"Bearer {secret}\\r\\nX-Injected: 1\"}\n", "auth.value"},
		{"CRLF in a header value", "requests: {blocked_user: {headers: {X-Note: \"a\\r\\nX-Injected: 1\"}}}\n", "requests.blocked_user.headers.X-Note"},
		{"a var that makes a path name a host", "requests: {blocked_user: {path: \"/{foreign_client}/\"}}\n", "vars.foreign_client"},
		{"a dot segment in a path", "requests: {blocked_user: {path: \"/client/../admin/\"}}\n", "requests.blocked_user.path"},
		{"a backslash in a path", "requests: {blocked_user: {path: \"/client\\\\admin/\"}}\n", "requests.blocked_user.path"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := fixture
			if c.key == "vars.foreign_client" {
				cfg = strings.Replace(cfg, "base_path: /api/ver1.0", "base_path: \"\"", 1)
				cfg = replaceKey(t, cfg, "foreign_client", "\"/evil.invalid\"")
			}
			path := filepath.Join(t.TempDir(), "telephony.yaml")
			if err := os.WriteFile(path, []byte(cfg+c.extra), 0o600); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			cmd := suiteCommand(t, "telephony", "--target="+target, "--config="+path, "--reports="+t.TempDir())
			out, _ := cmd.CombinedOutput()
			elapsed := time.Since(start)
			if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(out), c.key) || strings.Contains(string(out), "panic") {
				t.Errorf("want exit 2 naming %s, got %d\n%s", c.key, code, tail(string(out)))
			}
			if elapsed > time.Second+500*time.Millisecond { // the process's own start included
				t.Errorf("took %s", elapsed)
			}
		})
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests were sent", n)
	}
}

// A deployment served at the root (base_path: /) works: every request goes
// to /<path>, none names a host.
func TestDeploymentAtTheRoot(t *testing.T) {
	raw, err := os.ReadFile("../../fixtures/telephony.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(raw), "base_path: /api/ver1.0", "base_path: /", 1)
	dir := t.TempDir()
	copyFile(t, "../../fixtures/files/prompt.wav", filepath.Join(dir, "files", "prompt.wav"))
	copyFile(t, "../../fixtures/files/not-audio.txt", filepath.Join(dir, "files", "not-audio.txt"))
	path := filepath.Join(dir, "telephony.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := reftel.New(reftel.DefaultSeed())
	atRoot := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.URL.Path = "/api/ver1.0" + r.URL.Path
		srv.ServeHTTP(w, r)
	})
	r := runSuite(t, "telephony", atRoot, nil, "--config="+path, "--ginkgo.label-filter=tel.get.200 || tel.post.201 || http-401")
	if r.Exit != 0 || r.Report.Passed == 0 || strings.Contains(r.Output, "names a host") {
		t.Fatalf("a deployment at the root: exit %d %+v\n%s", r.Exit, r.Report, tail(r.Output))
	}
}

// A create answered with the id "." or a 512 KB id: the id is refused (no
// removal goes to …/extension/., which a server normalising dot segments
// reads as the collection), named in the record as left, and shown cut:
// the reports stay small.
func TestDotAndHugeIDsAreRefusedAndShownCut(t *testing.T) {
	for _, c := range []struct{ name, id string }{{"dot", "."}, {"dot segment", "a/./b"}, {"huge", strings.Repeat("7", 1<<19)}} {
		t.Run(c.name, func(t *testing.T) {
			srv := reftel.New(reftel.DefaultSeed())
			var dotRequests atomic.Int64
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/.") || strings.Contains(r.URL.Path, "/./") {
					dotRequests.Add(1)
				}
				if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/extension/") {
					rec := httptest.NewRecorder()
					srv.ServeHTTP(rec, r)
					body, _ := json.Marshal(map[string]string{"id": c.id})
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(rec.Code)
					_, _ = w.Write(body)
					return
				}
				srv.ServeHTTP(w, r)
			})
			r := runSuite(t, "telephony", h, nil, "--ginkgo.label-filter=tel.post.201")
			if r.Exit == 0 || dotRequests.Load() != 0 {
				t.Fatalf("exit %d, %d requests with a dot segment\n%s", r.Exit, dotRequests.Load(), tail(r.Output))
			}
			run, err := record.Read(record.Path(r.Reports, "telephony"))
			if err != nil {
				t.Fatal(err)
			}
			named := false
			for _, sp := range run.Specs {
				named = named || len(sp.Leftovers) > 0
			}
			if !named {
				t.Errorf("the refused id is not named as left")
			}
			var size int64
			_ = filepath.WalkDir(r.Reports, func(p string, d os.DirEntry, err error) error {
				if info, e := d.Info(); e == nil && !d.IsDir() {
					size += info.Size()
				}
				return nil
			})
			if size > 512<<10 || len(r.Output) > 256<<10 {
				t.Errorf("reports of %d bytes, output of %d bytes", size, len(r.Output))
			}
		})
	}
}
