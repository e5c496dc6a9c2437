package launch

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/runner"
)

// ExitInterrupted is the exit code of a run a signal stopped before
// Ginkgo's own handler took over (it exits 1 itself afterwards).
const ExitInterrupted = 1

// startup catches SIGINT and SIGTERM from the start of a standalone run
// until RunSpecs installs Ginkgo's handler: a signal during the loading of
// the configuration or the preflight would otherwise take Go's default
// action, killing the process with no report, or leaving an earlier
// run's. Until handOver, a signal replaces the API's reports with ones
// saying the run was interrupted during start-up, and when, and exits
// ExitInterrupted. No spec has run then, so nothing was created. Under
// ginkgo -p a process may not exit before it reports to the CLI (process
// 1 would then fail to gather the run's record): there the signal is
// kept, and raised again at handOver, when Ginkgo's handler is installed
// and stops the run as it stops any interrupted run.
type startup struct {
	mu      sync.Mutex
	handed  bool
	api     *suite.API
	reports string
	// redactor is the run's once the configuration is loaded.
	redactor *runner.Redactor
	first    bool
	parallel bool      // under ginkgo -p
	quiet    bool      // a command that touches no report (--list …)
	deferred os.Signal // a signal kept until handOver, under ginkgo -p
	ch       chan os.Signal
}

func catchStartup(api *suite.API, reports string, first, parallel bool) *startup {
	earlyMu.Lock()
	st := early[api.Name]
	earlyMu.Unlock()
	if st != nil {
		st.mu.Lock()
		st.reports, st.first, st.parallel = reports, first, parallel
		st.mu.Unlock()
		return st
	}
	st = &startup{api: api, reports: reports, first: first, parallel: parallel, redactor: runner.NewRedactor(), ch: make(chan os.Signal, 1)}
	signal.Notify(st.ch, os.Interrupt, syscall.SIGTERM)
	go st.watch()
	return st
}

var (
	earlyMu sync.Mutex
	early   = map[string]*startup{}
)

// CatchSignalsEarly acts on SIGINT and SIGTERM while the process
// initialises, before its flags are parsed: call it from a package-level
// var of a suite's test file (`var _ = launch.CatchSignalsEarly(api,
// early.Signals)`), which Go runs before the test binary's main; signals
// is a channel already registered with signal.Notify (package early does
// it in the process's first moments), or nil to register one now. Until
// Standalone knows better, the report goes where the command line's
// --reports (or APICONFORM_REPORTS, or the default) says, from process 1
// only.
func CatchSignalsEarly(api *suite.API, signals chan os.Signal) bool {
	args := os.Args[1:]
	reports := reportsFlag(args, defaultReports())
	if dir := os.Getenv("APICONFORM_REPORTS"); dir != "" && reports == defaultReports() {
		reports = dir
	}
	first, parallel := true, false
	for _, a := range args {
		a = strings.TrimLeft(a, "-")
		if v, ok := strings.CutPrefix(a, "ginkgo.parallel.process="); ok && v != "1" {
			first = false
		}
		if v, ok := strings.CutPrefix(a, "ginkgo.parallel.total="); ok && v != "1" {
			parallel = true
		}
	}
	st := &startup{api: api, reports: reports, first: first, parallel: parallel, redactor: runner.NewRedactor(), ch: signals}
	if st.ch == nil {
		st.ch = make(chan os.Signal, 1)
		signal.Notify(st.ch, os.Interrupt, syscall.SIGTERM)
	}
	go st.watch()
	earlyMu.Lock()
	early[api.Name] = st
	earlyMu.Unlock()
	return true
}

func (st *startup) watch() {
	for sig := range st.ch {
		st.mu.Lock()
		if st.handed {
			st.mu.Unlock()
			continue // Ginkgo's handler has it too, and acts on it
		}
		if st.parallel && !st.quiet {
			if st.deferred == nil {
				st.deferred = sig
				fmt.Fprintf(os.Stderr, "%s conformance was interrupted (%s) during start-up: it stops before its first spec\n", st.api.Name, sig)
			}
			st.mu.Unlock()
			continue
		}
		msg := fmt.Sprintf("%s conformance was interrupted (%s) during start-up, at %s, before any spec ran; no request that creates anything was sent",
			st.api.Name, sig, time.Now().Format(time.RFC3339))
		fmt.Fprintln(os.Stderr, msg)
		if st.first && !st.quiet {
			refuse(st.api, &Options{Settings: Settings{Reports: st.reports}}, st.redactor, msg)
		}
		os.Exit(ExitInterrupted) // the lock is held: nothing else starts
	}
}

// withRedactor lets a start-up report redact the configuration's secrets.
func (st *startup) withRedactor(r *runner.Redactor) {
	st.mu.Lock()
	st.redactor = r
	st.mu.Unlock()
}

// handOver leaves signals to Ginkgo's handler, which RunSpecs installs.
func (st *startup) handOver() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.handed {
		return
	}
	st.handed = true
	if st.deferred != nil {
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			_ = p.Signal(st.deferred) // now Ginkgo's to act on
		}
	}
}

// hold keeps a signal from ending the process while f writes a report.
func (st *startup) hold(f func()) {
	st.mu.Lock()
	defer st.mu.Unlock()
	f()
}

// quietStartup keeps a signal caught early from writing a report: the
// command (--list, --version …) touches none.
func quietStartup(api string) {
	earlyMu.Lock()
	st := early[api]
	earlyMu.Unlock()
	if st != nil {
		st.mu.Lock()
		st.quiet = true
		st.mu.Unlock()
	}
}
