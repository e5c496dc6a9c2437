package selftest

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/suites"
	reftel "github.com/confsuite/apiconform/suites/telephony/refserver"
)

// finishing serves srv the way most real servers do: a request is carried
// out whether or not its client is still there, after a random delay of up
// to most; wait returns once every request received has been carried out.
type finishing struct {
	srv  http.Handler
	most time.Duration
	wg   sync.WaitGroup
}

func (f *finishing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.wg.Add(1)
	defer f.wg.Done()
	time.Sleep(rand.N(f.most + 1))
	f.srv.ServeHTTP(w, r.WithContext(context.Background()))
}

// trial is one interrupted run and what it left.
type trial struct {
	interrupted bool // the record says the run stopped, and it exited non-zero
	finished    bool // the run ended before the signal
	left        int  // resources on the server afterwards
	named       int  // creates the record names as possibly left
	missing     bool // no record
}

// interruptTrial starts a run of the API's suite, sends sig after delay (to the
// whole process group, as a terminal's Ctrl-C does), and reports what it
// left on a server that finishes abandoned requests.
func interruptTrial(t *testing.T, a *suite.API, p suite.Profile, procs int, sig syscall.Signal, delay time.Duration) trial {
	t.Helper()
	api, profile := a.Name, p.Name
	cfg := ""
	if p.Name != a.Profiles[0].Name {
		cfg = configFile(t, p.Config, "")
	}
	srv := p.Server(true)
	f := &finishing{srv: srv, most: 150 * time.Millisecond}
	ts := httptest.NewServer(f)
	defer ts.Close()
	defer ts.CloseClientConnections()
	reports := t.TempDir()
	args := []string{"--target=" + ts.URL, "--reports=" + reports, "--timeout=3s"}
	if cfg != "" {
		args = append(args, "--config="+cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hardLimit)
	defer cancel()
	var cmd *exec.Cmd
	if procs > 1 {
		cmd = exec.CommandContext(ctx, "go", append([]string{"tool", "ginkgo", "-p", "--procs=" + strconv.Itoa(procs), "--no-color", filepath.Join(binDir, api+".test"), "--"}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, filepath.Join(binDir, api+".test"), append(args, "--ginkgo.no-color")...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// The delay counts from the moment the suite's processes catch
	// signals: a signal during the ginkgo CLI's own start-up is the CLI's
	// affair, and one in a process's first moments, before its runtime
	// installs handlers, kills it as it kills any process.
	waitForProcesses(t, filepath.Join(binDir, api+".test"), procs, done)
	var err error
	var tr trial
	select {
	case err = <-done:
		tr.finished = true
	case <-time.After(delay):
		_ = syscall.Kill(-cmd.Process.Pid, sig)
		err = <-done
	}
	f.wg.Wait() // every request the run sent has been carried out
	left := leftovers(srv)
	tr.left = len(left)
	run, rerr := record.Read(record.Path(reports, api))
	if rerr != nil {
		tr.missing = true
		t.Errorf(api+" %s, %d procs, %s after %s: no record: %v\n%s", profile, procs, sig, delay, rerr, tail(out.String()))
		return tr
	}
	for _, sp := range run.Specs {
		for _, l := range sp.Leftovers {
			if l.Request != "" {
				tr.named++
			}
		}
	}
	exit := 0
	if err != nil {
		exit = -1
		if ee, ok := err.(*exec.ExitError); ok {
			exit = ee.ExitCode()
		}
	}
	switch {
	case run.Stopped != "":
		tr.interrupted = true
		tr.finished = false
		if exit == 0 {
			t.Errorf(api+" %s, %d procs, %s after %s: the interrupted run exited 0\n%s", profile, procs, sig, delay, tail(out.String()))
		}
		if !strings.Contains(run.Stopped, "interrupt") {
			t.Errorf(api+" %s, %d procs, %s after %s: the record says %q", profile, procs, sig, delay, run.Stopped)
		}
	case !tr.finished && ended(run):
		// The signal came after the run's last spec and its record:
		// there was nothing left to interrupt.
		tr.finished = true
	case !tr.finished:
		t.Errorf(api+" %s, %d procs, %s after %s: the run was signalled, and its record does not say it stopped (exit %d)\n%s", profile, procs, sig, delay, exit, tail(out.String()))
	}
	if tr.left > tr.named {
		t.Errorf(api+" %s, %d procs, %s after %s: %d left on the server (%v), %d named in the record\n%s", profile, procs, sig, delay, tr.left, left, tr.named, tail(out.String()))
	}
	return tr
}

// waitForProcesses returns once n processes run exe (read from /proc), or
// the command has ended.
// ended tells whether a record is of a run whose every spec reached its
// end: none was interrupted.
func ended(run *record.Run) bool {
	return !slices.ContainsFunc(run.Specs, func(s record.Spec) bool { return s.Reason == record.Interrupted })
}

// catchesSIGINT tells whether the process has a handler for SIGINT (its
// SigCgt mask in /proc): before that, in the first moments of a process,
// the signal kills it as it kills any process, which no code of its own
// can prevent, and the ginkgo CLI reports a process that disappeared.
func catchesSIGINT(pid string) bool {
	status, err := os.ReadFile(filepath.Join("/proc", pid, "status"))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(status), "\n") {
		if mask, ok := strings.CutPrefix(line, "SigCgt:"); ok {
			bits, err := strconv.ParseUint(strings.TrimSpace(mask), 16, 64)
			return err == nil && bits&(1<<(uint(syscall.SIGINT)-1)) != 0
		}
	}
	return false
}

func waitForProcesses(t *testing.T, exe string, n int, done chan error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir("/proc")
		found := 0
		for _, e := range entries {
			if link, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && link == exe && catchesSIGINT(e.Name()) {
				found++
			}
		}
		if found >= n {
			return
		}
		select {
		case err := <-done:
			done <- err
			return
		case <-time.After(2 * time.Millisecond):
		}
	}
	t.Fatalf("%d processes of %s catching signals did not start", n, exe)
}

// Interrupts at random moments, start-up included, against a server that
// finishes abandoned requests, sequentially and under ginkgo -p, both
// suites in every deployment profile, by SIGINT and SIGTERM: nothing is left unnamed,
// every run leaves its record saying it was interrupted, and none exits 0.
// APICONFORM_INTERRUPT_TRIALS sets the trials per suite, profile and mode
// (2: 16 trials in all).
func TestInterruptsAtRandomMomentsLeaveNothing(t *testing.T) {
	trials := 2
	if n, err := strconv.Atoi(os.Getenv("APICONFORM_INTERRUPT_TRIALS")); err == nil && n > 0 {
		trials = n
	}
	var total, interrupted, finished, left, named, missing int
	for _, a := range suites.All {
		for _, p := range a.Profiles {
			for _, procs := range []int{1, 4} {
				for i := range trials {
					sig := []syscall.Signal{syscall.SIGINT, syscall.SIGTERM}[i%2]
					// The first trial of each falls in the start-up (the
					// configuration load, the preflight), the rest anywhere in
					// the first 1.5 s of the run, counted from the moment every
					// process of the suite catches signals.
					delay := rand.N(1500 * time.Millisecond)
					if i == 0 {
						delay = rand.N(60 * time.Millisecond)
					}
					tr := interruptTrial(t, a, p, procs, sig, delay)
					total++
					if tr.interrupted {
						interrupted++
					}
					if tr.finished {
						finished++
					}
					if tr.missing {
						missing++
					}
					left += tr.left
					named += tr.named
				}
			}
		}
	}
	t.Logf("%d trials: %d interrupted mid-run, %d finished before the signal; %d resources left, %d named as possibly left; %d records missing",
		total, interrupted, finished, left, named, missing)
	if interrupted == 0 {
		t.Errorf("no trial interrupted a run: the test proves nothing")
	}
}

// A signal during start-up (here: the preflight, which the target holds)
// leaves a record saying the run was interrupted, in place of an earlier
// one, and a non-zero exit code.
func TestInterruptDuringStartUpLeavesAReport(t *testing.T) {
	reached := make(chan struct{}, 1)
	hold := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case reached <- struct{}{}:
		default:
		}
		<-r.Context().Done()
	})
	ts := httptest.NewServer(hold)
	defer ts.Close()
	defer ts.CloseClientConnections()
	reports := t.TempDir()
	// An earlier run's record.
	good := runSuite(t, "telephony", reftel.New(reftel.DefaultSeed()), nil, "--ginkgo.label-filter=tel.get.200")
	raw, err := os.ReadFile(record.Path(good.Reports, "telephony"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(record.Path(reports, "telephony"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		cmd := suiteCommand(t, "telephony", "--target="+ts.URL, "--reports="+reports, "--timeout=20s")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		<-reached
		_ = cmd.Process.Signal(sig)
		err := cmd.Wait()
		if err == nil {
			t.Errorf("%s during the preflight: exit 0\n%s", sig, out.String())
		}
		run, rerr := record.Read(record.Path(reports, "telephony"))
		if rerr != nil || !strings.Contains(run.Stopped, "interrupted") || !strings.Contains(run.Stopped, "start-up") {
			t.Errorf("%s during the preflight: want a record saying the run was interrupted during start-up, got %+v %v\n%s", sig, run, rerr, out.String())
		}
	}
}

// --run-timeout reached while creates are in flight on a server that
// carries them out anyway: each create gets its own bound to answer, what
// it made is removed, and nothing is left.
func TestRunTimeoutWithCreatesInFlightLeavesNothing(t *testing.T) {
	srv := reftel.New(reftel.DefaultSeed())
	f := &finishing{srv: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			time.Sleep(1500 * time.Millisecond) // answers past the run's deadline
		}
		srv.ServeHTTP(w, r)
	})}
	r := runSuite(t, "telephony", f, nil, "--ginkgo.label-filter=tel.400.limit_exceeded || tel.post.201", "--run-timeout=1s", "--timeout=5s")
	f.wg.Wait()
	if r.Exit == 0 {
		t.Fatalf("the run that ran out of time exited 0\n%s", tail(r.Output))
	}
	if left := srv.Created(); len(left) > 0 {
		t.Errorf("left behind after --run-timeout with creates in flight: %v\n%s", left, tail(r.Output))
	}
	run, err := record.Read(record.Path(r.Reports, "telephony"))
	if err != nil || !strings.Contains(run.Stopped, "--run-timeout") {
		t.Errorf("the record does not say the run's time ran out: %v", err)
	}
}

// A create that reached the target and got no answer within its bound, on
// a server that makes it anyway, is named in the record as possibly left,
// with its request, and fails the run.
func TestCreateWithoutAnswerIsNamedWithItsRequest(t *testing.T) {
	srv := reftel.New(reftel.DefaultSeed())
	f := &finishing{srv: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/extension/") {
			time.Sleep(1500 * time.Millisecond) // past --timeout; made all the same
		}
		srv.ServeHTTP(w, r)
	})}
	r := runSuite(t, "telephony", f, nil, "--ginkgo.label-filter=tel.post.201", "--timeout=1s")
	f.wg.Wait()
	left := srv.Created()
	run, err := record.Read(record.Path(r.Reports, "telephony"))
	if err != nil {
		t.Fatal(err)
	}
	named := 0
	for _, sp := range run.Specs {
		for _, l := range sp.Leftovers {
			if strings.Contains(l.Request, "curl") && strings.Contains(l.Request, "/extension/") && strings.Contains(l.Why, "possibly left") {
				named++
			}
		}
	}
	if len(left) == 0 {
		t.Fatalf("the server made nothing: the test proves nothing\n%s", tail(r.Output))
	}
	if named < len(left) || r.Exit == 0 || !strings.Contains(r.Output, "possibly left") {
		t.Errorf("%d made and left, %d named with their request in the record, exit %d\n%s", len(left), named, r.Exit, tail(r.Output))
	}
}
