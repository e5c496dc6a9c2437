package selftest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/confsuite/apiconform/internal/junit"
	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/suites"
	reftel "github.com/confsuite/apiconform/suites/telephony/refserver"
)

// A target that accepts connections and never answers: after
// --max-transport-failures requests in a row got nothing, the remaining
// specs fail at once, saying since when the target is unreachable, instead
// of each waiting out its --timeout.
// unansweredBeforeUnreachable is how many requests in a row may go
// unanswered before the API's run counts the target unreachable, in the
// tests that prove the rest then fail at once: 3, or fewer for an API
// with so few specs that some must be left to fail at once.
func unansweredBeforeUnreachable(t *testing.T, a *suite.API) int {
	return max(1, min(3, len(plannedCases(t, a))-1))
}

func TestUnreachableTargetFailsTheRestAtOnce(t *testing.T) {
	for _, a := range suites.All {
		api := a.Name
		t.Run(api, func(t *testing.T) {
			var requests atomic.Int64
			never := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				<-r.Context().Done()
			})
			most := unansweredBeforeUnreachable(t, a)
			r := runSuite(t, api, never, nil, "--timeout=250ms", "--run-timeout=1m", fmt.Sprintf("--max-transport-failures=%d", most))
			assertHostileRun(t, r, []string{"timed out"})
			if n := requests.Load(); n > int64(most) {
				t.Errorf("the target got %d requests; after %d without an answer none should be sent", n, most)
			}
			if !strings.Contains(r.Output, "target unreachable since") {
				t.Errorf("no spec says since when the target is unreachable\n%s", tail(r.Output))
			}
		})
	}
}

// Nothing that speaks HTTP: one clear line and exit 2 before any spec.
func TestPreflightStopsTheRunWhenNothingSpeaksHTTP(t *testing.T) {
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedURL := "http://" + refused.Addr().String()
	refused.Close()
	garbage, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer garbage.Close()
	go func() {
		for {
			conn, err := garbage.Accept()
			if err != nil {
				return
			}
			_, _ = conn.Write([]byte("\x16\x03\x01 this is not HTTP\r\n\r\n"))
			conn.Close()
		}
	}()
	for _, c := range []struct{ name, url, want string }{
		{"connection refused", refusedURL, "cannot connect to"},
		{"bytes that are not HTTP", "http://" + garbage.Addr().String(), "does not speak HTTP"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runBinary(t, "telephony", c.url, nil, nil, hostileBounds...)
			if r.Exit != 2 || !strings.Contains(r.Output, c.want) || strings.Contains(r.Output, "Will run") {
				t.Fatalf("want exit 2 saying %q before any spec, got exit %d\n%s", c.want, r.Exit, tail(r.Output))
			}
			if r.Report.Errors != 1 || !strings.Contains(r.Report.Results[0].Message, c.want) {
				t.Errorf("the report should say %q: %+v", c.want, r.Report)
			}
		})
	}
}

// A 101 (or any 1xx) as the final answer holds no request past its bounds.
func TestSwitchingProtocolsHoldsNoRequest(t *testing.T) {
	switching := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n")
		_ = buf.Flush()
		_, _ = io.Copy(io.Discard, conn) // holds the connection until the client lets go
	})
	r := runSuite(t, "telephony", switching, nil, "--timeout=250ms", "--run-timeout=5s")
	assertHostileRun(t, r, []string{"101", "unreachable"})
}

// A target that echoes every credential it gets, in a status, a message
// and a header: no secret reaches the output, the project's report or
// Ginkgo's own reports.
func TestEchoedCredentialsStayRedactedEverywhere(t *testing.T) {
	_, cfg, env := secretDeployment(t)
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		token := strings.TrimPrefix(auth, "Bearer ")
		w.Header().Set("X-Echo", auth)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		// Also as numeric character references, hexadecimal and decimal
		// with leading zeros (edges_test.go has every other form).
		_, _ = w.Write([]byte(`{"status":"` + token + `","message":"token \u001b[2K` + strings.ReplaceAll(token, "-", `\u002d`) +
			`","refs":"` + spellAll(token, "&#x%X;") + " " + spellAll(token, "&#%04d;") + `"}`))
	})
	ginkgoReports := t.TempDir()
	r := runSuite(t, "telephony", echo, env, "--config="+cfg, "--ginkgo.v",
		"--ginkgo.junit-report="+filepath.Join(ginkgoReports, "ginkgo-junit.xml"),
		"--ginkgo.json-report="+filepath.Join(ginkgoReports, "ginkgo.json"),
		"--ginkgo.teamcity-report="+filepath.Join(ginkgoReports, "teamcity.txt"))
	if r.Exit == 0 || r.Report.Failures+r.Report.Errors == 0 {
		t.Fatalf("the echoing target passed\n%s", tail(r.Output))
	}
	assertNoSecret(t, r, telephonySecrets)
	assertNoSecret(t, run{Reports: ginkgoReports}, telephonySecrets)
	if strings.Contains(r.Output, "\x1b[2K") {
		t.Errorf("a control sequence the target sent reached the console")
	}
}

// A run that cannot start leaves a report saying so in place of an earlier
// run's passing one, and an unwritable --reports stops it before any request.
func TestEveryRunReplacesTheEarlierReport(t *testing.T) {
	srv := reftel.New(reftel.DefaultSeed())
	good := runSuite(t, "telephony", srv, nil)
	if good.Exit != 0 {
		t.Fatalf("reference run failed\n%s", tail(good.Output))
	}
	report := filepath.Join(good.Reports, "telephony.xml")
	passing, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--tagret=http://x"}, {"--timeout=abc"}, {"--reading=loose"}} {
		t.Run(args[0], func(t *testing.T) {
			if err := os.WriteFile(report, passing, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := suiteCommand(t, "telephony", append([]string{"--target=http://127.0.0.1:1", "--reports=" + good.Reports}, args...)...)
			out, _ := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != 2 {
				t.Errorf("want exit 2, got %d", code)
			}
			s, err := junit.Read(report)
			if err != nil || len(s) != 1 || s[0].Errors != 1 || s[0].Passed != 0 {
				t.Errorf("the earlier passing report survived %v: %+v %v\n%s", args, s, err, tail(string(out)))
			}
		})
	}
	t.Run("unwritable reports", func(t *testing.T) {
		var requests atomic.Int64
		file := filepath.Join(t.TempDir(), "a-file")
		if err := os.WriteFile(file, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		counting := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) })
		ts := newServer(t, counting)
		cmd := suiteCommand(t, "telephony", "--target="+ts, "--reports="+filepath.Join(file, "reports"))
		out, err := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != 2 || requests.Load() != 0 || !bytes.Contains(out, []byte("--reports")) {
			t.Errorf("want exit 2 naming --reports and no request, got %v, %d requests\n%s", err, requests.Load(), out)
		}
	})
}

// A target URL with a query, a fragment or user information is refused
// without being repeated.
func TestTargetWithSecretsInItIsRefusedUnrepeated(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:1/?key=SECRET-in-query", "http://127.0.0.1:1/#SECRET-in-fragment", "http://user:SECRET-in-userinfo@127.0.0.1:1/"} {
		cmd := suiteCommand(t, "telephony", "--target="+u, "--reports="+t.TempDir())
		out, _ := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != 2 || bytes.Contains(out, []byte("SECRET-in")) {
			t.Errorf("%s: want exit 2 without repeating the URL, got %d\n%s", u, cmd.ProcessState.ExitCode(), out)
		}
	}
}

// go test never serves a conformance run from its cache: whether the
// target comes from the environment or from flags after -args, a second
// run sends its requests again, and fails once the target is gone.
func TestGoTestNeverServesARunFromItsCache(t *testing.T) {
	for _, given := range []string{"environment", "flags"} {
		t.Run(given, func(t *testing.T) {
			srv := httptest.NewServer(reftel.New(reftel.DefaultSeed()))
			reports := t.TempDir()
			goTest := func() (string, error) {
				args := []string{"test", "../../suites/telephony"}
				env := os.Environ()
				if given == "flags" {
					args = append(args, "-args", "--target="+srv.URL, "--reports="+reports)
				} else {
					env = append(env, "APICONFORM_TARGET="+srv.URL, "APICONFORM_REPORTS="+reports)
				}
				cmd := exec.CommandContext(t.Context(), "go", args...)
				cmd.Env = env
				out, err := cmd.CombinedOutput()
				return string(out), err
			}
			if out, err := goTest(); err != nil {
				srv.Close()
				t.Fatalf("the first run failed: %v\n%s", err, tail(out))
			}
			srv.Close()
			out, err := goTest()
			if err == nil || strings.Contains(out, "(cached)") {
				t.Fatalf("the second run, with the target stopped, passed: %v\n%s", err, tail(out))
			}
		})
	}
}

// A cause many specs share is said once, at the top of the row verdicts
// and in the record, the run fails, no row reads not conformant for it,
// and the output stays short: the wrong credential, a --target that
// repeats base_path, a server that is not this API at all.
func TestSharedCauseIsSaidOnceAndBlamesNoRow(t *testing.T) {
	cfg, env := secretConfig(t, "telephony.yaml", map[string]string{"valid": "not-the-admin-token"}, "prompt.wav", "not-audio.txt")
	noClient := filepath.Join(filepath.Dir(cfg), "no-client.yaml")
	raw, err := os.ReadFile("../../fixtures/telephony.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(noClient, []byte(strings.Replace(string(raw), `client: "1001"`, `client: "1002"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	reference := httptest.NewServer(reftel.New(reftel.DefaultSeed()))
	defer reference.Close()
	// As python3 -m http.server answers: HTML, 404 to reads, 501 to the rest.
	static := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html;charset=utf-8")
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			w.WriteHeader(http.StatusNotFound)
		} else {
			w.WriteHeader(http.StatusNotImplemented)
		}
		_, _ = io.WriteString(w, "<!DOCTYPE HTML>\n<html><body><h1>Error response</h1></body></html>\n")
	}))
	defer static.Close()
	for _, c := range []struct {
		name, target string
		env, args    []string
		cause, says  string
	}{
		{"a wrong credentials.valid", reference.URL, env, []string{"--config=" + cfg}, "credentials", "the target refuses credentials.valid"},
		{"a --target that repeats base_path", reference.URL + "/api/ver1.0", nil, nil, "base_path", `already ends with base_path, so requests go to /api/ver1.0/api/ver1.0/`},
		{"a server that is not this API", static.URL, nil, nil, "not_this_api", "the target does not look like the telephony API"},
		{"a vars.client the deployment lacks", reference.URL, nil, []string{"--config=" + noClient}, "absent", "answers are the API's own 404 (404 client_not_found)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runBinary(t, "telephony", c.target, nil, c.env, c.args...)
			if r.Exit != 1 {
				t.Errorf("want exit 1, got %d", r.Exit)
			}
			if strings.Count(r.Output, c.says) != 1 || !strings.Contains(r.Output, "FIRST: ") {
				t.Errorf("the output should say %q once, at the top of the verdicts\n%s", c.says, tail(r.Output))
			}
			if strings.Contains(r.Output, "NOT CONFORMANT") {
				t.Errorf("a row reads NOT CONFORMANT for a cause it does not own\n%s", tail(r.Output))
			}
			if lines := strings.Count(r.Output, "\n"); lines > 200 {
				t.Errorf("%d lines of output for one shared cause\n%s", lines, tail(r.Output))
			}
			run, err := record.Read(record.Path(r.Reports, "telephony"))
			if err != nil {
				t.Fatal(err)
			}
			if len(run.Findings) != 1 || run.Findings[0].Cause != c.cause || !run.Failed() {
				t.Errorf("want one finding %q that fails the run, got %+v", c.cause, run.Findings)
			}
		})
	}
}
