package selftest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/confsuite/apiconform/internal/junit"
	"github.com/confsuite/apiconform/internal/mutant"
	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/suites"
	reftel "github.com/confsuite/apiconform/suites/telephony/refserver"
)

// The variant profile differs from the defaults wherever the pages allow
// (paths, ids, multipart uploads, @me, a partner role, wording left open, a
// rate limit on every credential, an archive removed by downloading it);
// configured only through its configuration (fixtures/<api>-variant.yaml),
// every row passes and nothing is left on the server, twice in a row
// against the same server: every API's every profile other than the
// default.
func TestVariantProfilePassesEveryRowWithRequireAll(t *testing.T) {
	for _, a := range suites.All {
		for _, p := range a.Profiles[1:] {
			t.Run(a.Name+"/"+p.Name, func(t *testing.T) {
				server := p.Server(true)
				args := profileArgs(t, a, p)
				for run := 1; run <= 2; run++ {
					r := runSuite(t, a.Name, server, nil, args...)
					if r.Exit != 0 || r.Report.Failures+r.Report.Errors+r.Report.Skipped != 0 || r.Report.Passed == 0 {
						t.Fatalf("run %d: exit %d, report %+v\n%s", run, r.Exit, r.Report, tail(r.Output))
					}
					validateJUnit(t, filepath.Join(r.Reports, a.Name+".xml"))
				}
				if left := leftovers(server); len(left) > 0 {
					t.Errorf("the suite left behind on the %s profile: %v", p.Name, left)
				}
			})
		}
	}
}

// A removal the target refuses fails the spec that created the resource,
// naming it and what to remove by hand, in the report.
func TestRemovalThatFailsIsReportedOnTheCreatingSpec(t *testing.T) {
	srv := reftel.New(reftel.DefaultSeed())
	broken := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/sound/") {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		srv.ServeHTTP(w, r)
	})
	r := runSuite(t, "telephony", acceptingUploads(broken), nil, "--ginkgo.label-filter=tel.400.wrong_file")
	if r.Exit == 0 || r.Report.Failures != 1 {
		t.Fatalf("want the one spec failed: exit %d %+v\n%s", r.Exit, r.Report, tail(r.Output))
	}
	var msg string
	for _, c := range r.Report.Results {
		if c.Outcome == "failed" {
			msg = c.Message
		}
	}
	for _, want := range []string{"remove by hand", "sound ", "requests.remove_sound answered 500"} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure message lacks %q:\n%s", want, msg)
		}
	}
	report, _ := os.ReadFile(filepath.Join(r.Reports, "telephony.xml"))
	if !bytes.Contains(report, []byte("left on the target")) {
		t.Errorf("the report has no leftover entry")
	}
	validateJUnit(t, filepath.Join(r.Reports, "telephony.xml"))
}

// acceptingUploads answers every sound upload 201 with a fresh id, as a
// target that wrongly takes a file that is not audio.
func acceptingUploads(next http.Handler) http.Handler {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/sound/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"id":"s%d"}`, n.Add(1))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// When --run-timeout runs out after a spec created something, the removal
// still goes out (it has a grace of its own), and nothing is left.
func TestCleanupOutlivesTheRunTimeout(t *testing.T) {
	srv := reftel.New(reftel.DefaultSeed())
	created := make(chan struct{}, 1)
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/extension/7") {
			select { // the read outlasts the run's bound
			case <-r.Context().Done():
			case <-time.After(hardLimit):
			}
			return
		}
		srv.ServeHTTP(w, r)
		if r.Method == http.MethodPost {
			select {
			case created <- struct{}{}:
			default:
			}
		}
	})
	r := runSuite(t, "telephony", slow, nil, "--ginkgo.label-filter=tel.get.200", "--run-timeout=1s")
	if len(created) == 0 {
		t.Fatalf("nothing was created: the test proves nothing\n%s", tail(r.Output))
	}
	if r.Exit == 0 || !strings.Contains(r.Output, "run-timeout") {
		t.Fatalf("want the spec failed on --run-timeout: exit %d\n%s", r.Exit, tail(r.Output))
	}
	if left := srv.Created(); len(left) > 0 {
		t.Errorf("left behind after --run-timeout: %v", left)
	}
}

// SIGINT during a spec that created something: the run ends, the removal is
// sent, and the report says the run was interrupted.
func TestInterruptRemovesWhatTheSpecCreated(t *testing.T) {
	srv := reftel.New(reftel.DefaultSeed())
	reading := make(chan struct{}, 1)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/extension/7") {
			select {
			case reading <- struct{}{}:
			default:
			}
			<-r.Context().Done()
			return
		}
		srv.ServeHTTP(w, r)
	})
	ts := httptest.NewServer(handler)
	defer ts.Close()
	defer ts.CloseClientConnections()
	reports := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), hardLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "telephony.test"), "--target="+ts.URL, "--reports="+reports,
		"--ginkgo.no-color", "--ginkgo.label-filter=tel.get.200 || http-401", "--timeout=3s")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reading:
	case <-ctx.Done():
		t.Fatalf("the spec never reached its read\n%s", tail(out.String()))
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if err == nil {
		t.Fatalf("an interrupted run exited 0\n%s", tail(out.String()))
	}
	if left := srv.Created(); len(left) > 0 {
		t.Errorf("left behind after SIGINT: %v\n%s", left, tail(out.String()))
	}
	if strings.Contains(out.String(), "DeferCleanup cannot be called") {
		t.Errorf("a cleanup was registered from inside a cleanup\n%s", tail(out.String()))
	}
	s, rerr := junit.Read(filepath.Join(reports, "telephony.xml"))
	if rerr != nil || len(s) != 1 || s[0].Passed == s[0].Tests {
		t.Errorf("want a report of the interrupted run, got %+v %v", s, rerr)
	}
	// What the interrupt stopped reads interrupted, never filtered, and
	// never not conformant; only what the filter left out reads filtered.
	run, err := record.Read(record.Path(reports, "telephony"))
	if err != nil {
		t.Fatal(err)
	}
	if run.Stopped == "" {
		t.Errorf("the record does not say the run was interrupted")
	}
	for _, sp := range run.Specs {
		selected := sp.Row == "tel.get.200" || sp.Row == "tel.401.none"
		switch {
		case sp.Row == "tel.get.200" && (sp.Outcome != record.NotChecked || sp.Reason != record.Interrupted):
			t.Errorf("the interrupted spec %s reads %s", sp.ID, sp.Verdict)
		case selected && (sp.Reason == record.Filtered || sp.Outcome == record.NotConformant):
			t.Errorf("%s, selected by the filter, reads %s", sp.ID, sp.Verdict)
		case !selected && (sp.Reason != record.Filtered || !strings.Contains(sp.Message, "--label-filter=tel.get.200 || http-401")):
			t.Errorf("%s, left out by the filter, reads %s", sp.ID, sp.Verdict)
		}
	}
}

// A throttled answer met by a spec that does not test the rate limit is
// waited out and sent again; one that never stops throttling fails the
// spec, which never passes on it.
func TestThrottledAnswersAreWaitedOutNeverPassed(t *testing.T) {
	var seen atomic.Int64
	once := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "Bearer tel-admin-token" && seen.Add(1)%3 == 1 {
				w.Header().Set("Retry-After", "0")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = w.Write([]byte(`{"status":"rate_limit_exceeded"}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	srv := reftel.New(reftel.DefaultSeed())
	r := runSuite(t, "telephony", once(srv), nil)
	if r.Exit != 0 || r.Report.Failures+r.Report.Errors != 0 {
		t.Fatalf("throttled answers were not waited out: exit %d %+v\n%s", r.Exit, r.Report, tail(r.Output))
	}
	if left := srv.Created(); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}

	always := mutant.Rewrite(reftel.New(reftel.DefaultSeed()), func(req mutant.Request, resp *mutant.Response) {
		resp.Code = http.StatusTooManyRequests
		resp.Header.Set("Retry-After", "0")
		resp.Body = []byte(`{"status":"rate_limit_exceeded"}`)
	})
	r = runSuite(t, "telephony", always, nil)
	for _, c := range r.Report.Results {
		if c.Outcome == "passed" && c.Classname != "telephony.tel.429.rate_limit_exceeded" {
			t.Errorf("%s passed on a throttled answer", c.Name)
		}
	}
	if !strings.Contains(r.Output, "kept throttling") {
		t.Errorf("no spec says the target kept throttling\n%s", tail(r.Output))
	}
}

// Configuration may pin a placeholder the page leaves open; a pinned value
// the target does not send fails the row, and only that row.
func TestPinnedExpectationIsEnforced(t *testing.T) {
	raw, err := os.ReadFile("../../fixtures/content.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pinned := string(raw) + `requests:
  xml_declared_json: {expect: [{value: text/plain, parameterName: Content-Type}]}
`
	path := filepath.Join(t.TempDir(), "content.yaml")
	if err := os.WriteFile(path, []byte(pinned), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runSuite(t, "content", reference("content"), nil, "--config="+path, "--ginkgo.label-filter=con.422.not-supported")
	failed := r.failedRows()
	if len(failed["con.422.not-supported"]) != 3 || len(failed) != 1 || r.Report.Passed != 3 {
		t.Fatalf("want the three XML-as-JSON specs failed and the other three passed: %v %+v\n%s", failed, r.Report, tail(r.Output))
	}
}
