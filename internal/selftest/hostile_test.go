package selftest

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/confsuite/apiconform/internal/mutant"
	"github.com/confsuite/apiconform/runner"
	"github.com/confsuite/apiconform/suites"
	reftel "github.com/confsuite/apiconform/suites/telephony/refserver"
)

// Bounds every hostile run gets: the run must end within them, whatever the
// target does.
var hostileBounds = []string{"--timeout=250ms", "--run-timeout=5s"}

// maxRSSKB bounds a suite process's memory against a hostile target.
const maxRSSKB = 300 << 10

type hostile struct {
	name    string
	api     string
	handler http.HandlerFunc
	args    []string
	// why lists words one of which every failure message must contain: the
	// message names the problem.
	why []string
}

func drip(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(400)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	}
}

func endless(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(400)
	chunk := []byte(strings.Repeat(`{"status":"input_error"}`, 1000))
	for r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

func constant(code int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}
}

func reset(w http.ResponseWriter, r *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	conn.Close()
}

var entityBomb = `<?xml version="1.0"?><!DOCTYPE errors [<!ENTITY a "aaaaaaaaaaaaaaaaaaaa">` +
	`<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">` +
	`<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>` +
	`<errors><error message="&e;"/></errors>`

var hostiles = []hostile{
	{name: "accepts and never answers", api: "telephony", handler: func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
		why: []string{"timed out", "--run-timeout"}},
	{name: "drips the body a byte at a time", api: "telephony", handler: drip, why: []string{"timed out", "--run-timeout"}},
	{name: "endless body", api: "telephony", handler: endless, why: []string{"--max-body"}},
	{name: "XML entity bomb", api: "content", handler: constant(401, "application/xml", entityBomb),
		why: []string{"directive <!DOCTYPE>", "not valid JSON", "content type", "answered 401: the fault trigger provoked no 5xx"}},
	{name: "JSON nested a million deep", api: "telephony", args: []string{"--max-body=4194304"},
		handler: constant(400, "application/json", strings.Repeat("[", 1000000)+strings.Repeat("]", 1000000)),
		why:     []string{"nested more than", "code: want HTTP 201, got 400", "answered 400, want 201"}},
	{name: "connection reset after the request", api: "telephony", handler: reset, why: []string{"transport", "unreachable"}},
}

func TestHostileTargetsFailEverySpecWithinBounds(t *testing.T) {
	for _, h := range hostiles {
		t.Run(h.name, func(t *testing.T) {
			r := runSuite(t, h.api, h.handler, nil, append(append([]string{}, hostileBounds...), h.args...)...)
			assertHostileRun(t, r, h.why)
			validateJUnit(t, filepath.Join(r.Reports, h.api+".xml"))
		})
	}
}

func assertHostileRun(t *testing.T, r run, why []string) {
	t.Helper()
	if r.Exit != 1 {
		t.Errorf("want exit 1, got %d", r.Exit)
	}
	if r.Report.Passed != 0 || r.Report.Tests == 0 {
		t.Errorf("want every spec to fail, got %+v", r.Report)
	}
	if strings.Contains(r.Output, "panic:") || strings.Contains(r.Output, "[PANICKED]") {
		t.Errorf("the run panicked\n%s", tail(r.Output))
	}
	if r.MaxRSSKB > maxRSSKB {
		t.Errorf("the suite used %d KiB of memory, more than %d", r.MaxRSSKB, maxRSSKB)
	}
	for _, c := range r.Report.Results {
		named := false
		for _, w := range why {
			named = named || strings.Contains(c.Message, w)
		}
		// A finding, or no spec reaching a verdict, is the run's own
		// summary; the specs it concerns name their problems.
		runLevel := strings.HasPrefix(c.Name, "[finding: ") || c.Name == "[no spec ran]"
		if c.Outcome != "skipped" && !named && !runLevel {
			t.Errorf("%q fails without naming the problem (want one of %q): %q", c.Name, why, c.Message)
		}
	}
}

func TestRedirectElsewhereCarriesNoCredentials(t *testing.T) {
	var elsewhere atomic.Int64
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		if r.Header.Get("Authorization") != "" {
			leaked.Store(true)
		}
	}))
	defer other.Close()
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	for _, a := range suites.All {
		api := a.Name
		t.Run(api, func(t *testing.T) {
			redirect := func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, otherURL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
			}
			r := runSuite(t, api, http.HandlerFunc(redirect), nil, hostileBounds...)
			assertHostileRun(t, r, []string{"code: want", "answered 307"})
			if !strings.Contains(r.Output, "Location: "+otherURL) {
				t.Errorf("the output should show where the target redirected to")
			}
			// Every credential of the default configuration, in any of the
			// spellings the redactor knows.
			secrets := runner.NewRedactor()
			if _, err := a.Load(a.Profiles[0].Config, secrets); err != nil {
				t.Fatal(err)
			}
			if secrets.Redact(r.Output) != r.Output {
				t.Errorf("a credential appears in the output")
			}
		})
	}
	if n := elsewhere.Load(); n != 0 || leaked.Load() {
		t.Fatalf("the other host got %d requests (credentials: %v)", n, leaked.Load())
	}
}

// Bodies that are not one well-formed, judgeable JSON value: every error
// row fails on them, naming why, and nothing panics.
func TestMalformedJSONFailsEveryErrorRow(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func([]byte) []byte
		why    string
	}{
		{"trailing data", func(b []byte) []byte { return append(b, '}') }, "trailing data"},
		{"a second value", func(b []byte) []byte { return append(b, []byte(` {"status":"x"}`)...) }, "trailing data"},
		{"duplicate keys", func(b []byte) []byte { return append([]byte(`{"message":"nonsense",`), b[1:]...) }, "duplicate JSON key"},
		{"a number past float64", func(b []byte) []byte { return append([]byte(`{"size":1e999,`), b[1:]...) }, "float64"},
	} {
		t.Run(c.name, func(t *testing.T) {
			broken := mutant.Rewrite(reftel.New(reftel.DefaultSeed()), func(req mutant.Request, r *mutant.Response) {
				if r.Code >= 400 && len(r.Body) > 1 {
					r.Body = c.change(bytes.TrimSpace(r.Body))
				}
			})
			r := runSuite(t, "telephony", broken, nil)
			if strings.Contains(r.Output, "[PANICKED]") || strings.Contains(r.Output, "panic:") {
				t.Fatalf("the run panicked\n%s", tail(r.Output))
			}
			for _, res := range r.Report.Results {
				errorRow := !strings.Contains(res.Classname, ".get.") && !strings.Contains(res.Classname, ".post.") &&
					!strings.Contains(res.Classname, ".put.") && !strings.Contains(res.Classname, ".delete.")
				if errorRow && res.Outcome != "failed" {
					t.Errorf("%s %s on a body with %s", res.Name, res.Outcome, c.name)
				}
				if errorRow && res.Outcome == "failed" && !strings.Contains(res.Message, c.why) {
					t.Errorf("%s fails without saying %q: %s", res.Name, c.why, res.Message)
				}
			}
		})
	}
}
