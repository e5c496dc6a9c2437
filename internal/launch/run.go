package launch

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/junit"
	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/internal/report"
	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
)

// Embed registers an API's suite in a Ginkgo tree the caller runs (the
// public package conform calls it), with options as the standalone flags
// would give them; unset ones take the flags' defaults. A suite that cannot
// start registers one failing spec saying why, so the caller's own report
// shows it, and sends nothing. After the run it prints the row verdicts;
// with o.Reports set, it writes the run's record, its JUnit report and the
// HTML pages there, as a standalone run does.
func Embed(a *suite.API, s Settings) bool {
	api := a.Name
	o := Options{Settings: s}
	o.fillDefaults()
	redactor := runner.NewRedactor()
	p, err := prepare(a, &o, redactor)
	if err != nil {
		msg := redactor.Clean(fmt.Sprintf("%s conformance cannot start: %v", api, err))
		if o.Reports != "" && ginkgo.GinkgoParallelProcess() == 1 {
			refuse(a, &o, redactor, msg)
		}
		return ginkgo.Describe(api, ginkgo.Label(api), func() {
			ginkgo.It("[configuration]", func() { ginkgo.Fail(msg) })
		})
	}
	if o.Reports != "" && ginkgo.GinkgoParallelProcess() == 1 {
		if err := replaceable(o.Reports, api); err != nil {
			msg := fmt.Sprintf("%s conformance cannot start: Reports: %v", api, err)
			return ginkgo.Describe(api, ginkgo.Label(api), func() {
				ginkgo.It("[configuration]", func() { ginkgo.Fail(msg) })
			})
		}
	}
	ginkgo.ReportAfterSuite(api+" results", func(r ginkgo.Report) {
		if !r.SuiteConfig.DryRun {
			finish(a, &o, p, r, true)
		}
	})
	return suite.Register(p.env, p.cases)
}

// Exit codes of a run, documented in the README.
const (
	ExitConfig = 2 // bad flags, configuration or catalog: no request was sent
)

// Standalone prepares one API's suite to run as a Go test (`ginkgo
// ./suites/<api> -- --target=URL`, `go test`, or a compiled test binary):
// it checks the options and configuration, registers the specs and the
// reports, and leaves RunSpecs to the caller, which runs them when it
// returns true; --version, --help-conformance and --list print and return
// false. A run that cannot start exits with ExitConfig before any request.
func Standalone(a *suite.API, o *Options) (run bool) {
	api := a.Name
	if o.Version || o.PrintDefaults || o.Help || o.List {
		quietStartup(api) // these touch no report
	}
	switch {
	case o.Version:
		fmt.Println(versionLine(a))
		return printedOnly()
	case o.PrintDefaults:
		defaults, err := a.Defaults()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(ExitConfig)
		}
		_, _ = os.Stdout.Write(defaults)
		return printedOnly()
	case o.Help:
		fmt.Printf("%s: the %s suite's own flags (Ginkgo's are listed by --help):\n", versionLine(a), api)
		o.PrintFlags(os.Stdout)
		return printedOnly()
	case o.List:
		list(a, o)
		return printedOnly()
	}
	o.fromEnvironment()
	o.resolvePaths()
	redactor := runner.NewRedactor()
	suiteConfig, reporterConfig := ginkgo.GinkgoConfiguration()
	first := ginkgo.GinkgoParallelProcess() == 1
	signals := catchStartup(a, o.Reports, first && !suiteConfig.DryRun, suiteConfig.ParallelTotal > 1)
	// Signals are Ginkgo's once its handler is surely installed: at the
	// first report node RunSpecs runs (ReportBeforeSuite, on process 1
	// before any process starts a spec), or before a process's first spec.
	// Until then no spec has run, and the start-up's handler acts.
	ginkgo.ReportBeforeSuite(func(ginkgo.Report) { signals.handOver() })
	ginkgo.ReportBeforeEach(func(ginkgo.SpecReport) { signals.handOver() })
	// An earlier run's reports must never pass for this run's; a dry run
	// writes none, and leaves them.
	if !suiteConfig.DryRun && first {
		if err := replaceable(o.Reports, api); err != nil {
			fmt.Fprintf(os.Stderr, "%s conformance cannot start: --reports: %v\n", api, err)
			os.Exit(ExitConfig)
		}
	}
	signals.withRedactor(redactor)
	p, err := prepare(a, o, redactor)
	if err == nil {
		var known map[string]suite.Known
		known, err = loadBaseline(o.Baseline, p.cases, time.Now(), os.Stdout)
		p.env.UseBaseline(known, o.StrictBaseline)
	}
	if err != nil {
		signals.hold(func() {
			if p != nil {
				p.rec.discard(o)
			}
			stop(a, o, redactor, err)
		})
	}
	env := p.env
	env.Verbose = reporterConfig.Verbose || reporterConfig.VeryVerbose
	if !terminal(os.Stdout) && suiteConfig.ParallelTotal <= 1 {
		// Colour codes only garble a log file or a CI page.
		_ = flag.Set("ginkgo.no-color", "true")
	}
	announce := func() {
		banner(os.Stdout, a, env, o, p.src.Name, o.Reports)
		if o.Replay != "" {
			fmt.Printf("  replay:  %s: the recorded answers are judged, no request leaves this machine\n", o.Replay)
		}
		if o.Config == "" && o.Replay == "" {
			warnBuiltInConfig(os.Stdout, env.Client.Base())
		}
		if o.Insecure {
			fmt.Println("WARNING: --insecure: the target's TLS certificate is not verified")
		}
		if w := repeatedBasePath(env); w != "" {
			fmt.Println("WARNING: " + w)
		}
	}
	switch {
	case suiteConfig.ParallelTotal > 1:
		// The ginkgo CLI shows a parallel process's own output only when
		// it fails; a report node's output it shows, once, from process 1.
		ginkgo.ReportBeforeSuite(func(ginkgo.Report) { announce() })
	case first:
		announce()
	}
	if !suiteConfig.DryRun && !env.Client.Replaying() {
		if err := env.Client.Preflight(env.Deployment.BasePath + "/"); err != nil {
			signals.hold(func() {
				p.rec.discard(o)
				stop(a, o, redactor, fmt.Errorf("--target: %w", err))
			})
		}
	}
	suite.Register(env, p.cases)
	ginkgo.ReportAfterSuite("results "+record.Path(o.Reports, api), func(r ginkgo.Report) {
		if !r.SuiteConfig.DryRun {
			finish(a, o, p, r, false)
		}
	})
	return true
}

// printedOnly ends a run that only printed (--version, --list …): a
// compiled suite exits at once, so nothing follows what it printed (the
// testing package would add PASS, which breaks --print-defaults > file);
// under go test, which forbids exiting 0 inside a test, it returns.
func printedOnly() bool {
	if f := flag.Lookup("test.paniconexit0"); f != nil && f.Value.String() == "true" {
		return false
	}
	os.Exit(0)
	return false
}

// finish writes the run's record, renders the JUnit report, the console's
// row verdicts and the HTML pages from it, and fails the run when the
// record says it fails (nothing verified, a cause shared by many specs,
// something left on the target) though every spec passed or skipped.
func finish(a *suite.API, o *Options, p *prepared, r ginkgo.Report, embedded bool) {
	api, env := a.Name, p.env
	run := &record.Run{API: api, Asked: record.Asked{Version: Version, Catalog: a.Version(), Target: env.Client.Base(), Config: p.src.Name,
		Reading: string(env.Reading), Rate: strconv.FormatFloat(env.Paced(), 'g', -1, 64), Proxy: env.Client.ProxyFor(),
		LabelFilter: r.SuiteConfig.LabelFilter, Focus: strings.Join(r.SuiteConfig.FocusStrings, " "), Baseline: o.Baseline,
		RequireAll: env.RequireAll, StrictBaseline: o.StrictBaseline, Insecure: o.Insecure, Started: r.StartTime, Finished: r.EndTime}}
	heldBack := suite.Results(run, r, p.cases, env.Client.Redactor())
	runDeadline(run, env.Client.Deadline(), o.RunTimeout)
	run.Diagnose(record.Layout{Target: env.Client.Base(), BasePath: env.Deployment.BasePath, TargetPath: targetPath(env)})
	recorded := p.rec.conclude(run, o, env.Client.Redactor())
	showHeldBack(os.Stdout, run, heldBack)
	if cat, err := a.Catalog(); err == nil {
		run.Documented = cat
		verdicts(os.Stdout, run, cat)
	}
	if o.Reports != "" {
		gomega.Expect(publish(o.Reports, env.Client.Redactor(), run)).To(gomega.Succeed())
		fmt.Printf("reports: %s (record), %s (JUnit), %s\n", record.Path(o.Reports, api), filepath.Join(o.Reports, api+".xml"), filepath.Join(o.Reports, "index.html"))
	}
	if recorded != "" {
		fmt.Println(recorded)
	}
	uncacheable()
	// In the caller's own tree, a filter that leaves out every spec of
	// this suite is the caller's choice, not a failed run.
	filteredOut := embedded && !slices.ContainsFunc(run.Specs, func(s record.Spec) bool { return s.Reason != record.Filtered })
	if run.Failed() && r.SuiteSucceeded && !filteredOut {
		ginkgo.Fail(failedReason(run))
	}
}

// runDeadline says the run stopped when --run-timeout ran out before every
// spec reached a verdict: those it stopped read not checked (interrupted).
func runDeadline(run *record.Run, deadline time.Time, bound time.Duration) {
	if run.Stopped != "" || deadline.IsZero() || time.Now().Before(deadline) {
		return
	}
	for _, sp := range run.Specs {
		if sp.Reason == record.Interrupted {
			run.Stopped = fmt.Sprintf("the run's time (--run-timeout %s) ran out at %s, before it finished", bound, deadline.Format(time.RFC3339))
			return
		}
	}
}

// showHeldBack prints the failures of specs skipped early as likely not
// their row's fault (by id), when the end of the run found no cause many
// specs share for them after all: the record keeps them not conformant.
func showHeldBack(w io.Writer, run *record.Run, heldBack []string) {
	for _, id := range heldBack {
		for _, s := range run.Specs {
			if s.ID == id && s.Outcome == record.NotConformant {
				fmt.Fprintf(w, "\nNOT CONFORMANT (its failure was held back as likely shared; it was not): %s\n%s\n", s.Name, s.Detail)
			}
		}
	}
}

// uncacheable keeps go test from serving a conformance run from its
// cache, however the target was given: go test caches a result unless a
// file inside the module that the test read changed moments ago, and a
// conformance run must ask its target every time. Only under go test
// (which passes -test.testlogfile when it may cache), inside this module.
func uncacheable() {
	logging := flag.Lookup("test.testlogfile")
	root := moduleRoot()
	if logging == nil || logging.Value.String() == "" || root == "" {
		return
	}
	stamp := filepath.Join(root, "reports", ".go-test-run")
	if os.MkdirAll(filepath.Dir(stamp), 0o755) == nil && os.WriteFile(stamp, []byte(time.Now().String()+"\n"), 0o644) == nil {
		_, _ = os.ReadFile(stamp)
	}
}

// publish writes the record, reads it back, and renders every other
// output from what was read: the JUnit report, index.html and
// summary.json.
func publish(dir string, redactor *runner.Redactor, run *record.Run) error {
	path := record.Path(dir, run.API)
	if err := record.Write(path, redactor.Redact, run); err != nil {
		return err
	}
	written, err := record.Read(path)
	if err != nil {
		return err
	}
	if err := junit.Write(filepath.Join(dir, run.API+".xml"), redactor.Redact, junit.FromRecord(written)); err != nil {
		return err
	}
	return report.Write(dir)
}

// failedReason says why a run whose specs all passed or skipped fails,
// pointing to the row verdicts, which say it in full.
func failedReason(run *record.Run) string {
	switch {
	case !run.Verified():
		return run.Unverified()
	case len(run.Findings) > 0:
		return "the run fails: a cause many specs share kept them from a verdict (FIRST, above)"
	case run.Stopped != "":
		return "the run fails: it stopped before it finished (STOPPED, above)"
	}
	var failing []string
	for _, s := range run.Specs {
		switch {
		case len(s.Leftovers) > 0:
			failing = append(failing, s.ID+" left something on the target (LEFT ON THE TARGET, above)")
		case s.FailsRun(run):
			failing = append(failing, fmt.Sprintf("%s is %s", s.ID, strings.ReplaceAll(string(s.Outcome), "_", " ")))
		}
	}
	return "the run fails: " + strings.Join(failing, "; ")
}

// targetPath is the path of the --target URL.
func targetPath(env *suite.Env) string {
	u, err := url.Parse(env.Client.Base())
	if err != nil {
		return ""
	}
	return u.Path
}

// repeatedBasePath warns when the --target URL already ends with
// base_path, which every request path repeats.
func repeatedBasePath(env *suite.Env) string {
	bp := strings.TrimSuffix(env.Deployment.BasePath, "/")
	tp := strings.TrimSuffix(targetPath(env), "/")
	if bp == "" || !strings.HasSuffix(tp, bp) {
		return ""
	}
	return fmt.Sprintf("the --target URL's path %q already ends with base_path %q: requests go to %s%s/…; give --target without it, or set base_path: \"\" in the configuration", tp, bp, tp, bp)
}

// terminal tells whether f is a terminal.
func terminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// replaceable removes an earlier run's record and JUnit report of the API
// and proves the folder takes new ones, before any request is sent.
func replaceable(dir, api string) error {
	for _, path := range []string{record.Path(dir, api), filepath.Join(dir, api+".xml")} {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot remove the earlier report: %w", err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	probe, err := os.CreateTemp(dir, ".apiconform-*")
	if err != nil {
		return fmt.Errorf("the report folder cannot be written: %w", err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// prepared is a suite ready to register: its environment, the
// configuration it read, its cases, and its --record or --replay.
type prepared struct {
	env   *suite.Env
	src   target.Source
	cases []suite.Case
	rec   *recording
}

// prepare checks the options, makes the client, reads the configuration
// and builds the API's cases; it sends nothing.
func prepare(a *suite.API, o *Options, redactor *runner.Redactor) (*prepared, error) {
	api := a.Name
	reading, err := o.validate()
	if err != nil {
		return nil, err
	}
	rec := &recording{}
	opts := runner.Options{
		Target: o.Target, Timeout: o.Timeout, MinUploadRate: o.MinUploadRate, MaxBody: o.MaxBody, CAFile: o.CAFile, Insecure: o.Insecure,
		Redactor: redactor, Deadline: time.Now().Add(o.RunTimeout), MaxTransportFailures: o.MaxTransportFailures,
		Proxy: o.Proxy, Recorder: rec.record,
	}
	if o.Replay != "" {
		if opts.Target, err = rec.openReplay(api, o.Replay, redactor); err != nil {
			return nil, fmt.Errorf("--replay: %w", err)
		}
		opts.Replay = rec.replay
	}
	client, err := runner.New(opts)
	if err != nil {
		return nil, err
	}
	var src target.Source
	if o.Config != "" {
		src = target.FileSource(o.Config)
	} else if def, err := a.Profile(""); err == nil {
		src = def.Config
		src.Name = "built-in " + src.Name
	} else {
		return nil, fmt.Errorf("--config: required: %s has no built-in configuration", api)
	}
	check.Conceal(redactor.Redact)
	env := suite.NewEnv(suite.EnvOptions{API: api, Client: client, Reading: reading, RequireAll: o.RequireAll, Rate: o.Rate})
	cases, err := a.Cases(env, src)
	if err == nil {
		err = rec.start(o, cases, redactor)
	}
	if err != nil {
		return nil, err
	}
	return &prepared{env: env, src: src, cases: cases, rec: rec}, nil
}

// stop ends a run that cannot start, leaving a record and a report that
// say why, so a CI job never finds them silently missing.
func stop(a *suite.API, o *Options, redactor *runner.Redactor, err error) {
	msg := redactor.Clean(fmt.Sprintf("%s conformance cannot start: %v", a.Name, err))
	fmt.Fprintln(os.Stderr, msg)
	refuse(a, o, redactor, msg)
	os.Exit(ExitConfig)
}

// refuseFlags replaces the API's reports with ones saying the command line
// could not be parsed; the flag package has printed why and exits 2.
func refuseFlags(a *suite.API, reports, why string) {
	refuse(a, &Options{Settings: Settings{Reports: reports}}, runner.NewRedactor(), a.Name+" conformance cannot start: the command line could not be parsed ("+why+"); no request was sent")
}

// shownTarget is --target as a report may show it: never one holding user
// information, a query or a fragment, which is refused unrepeated.
func shownTarget(target string, redactor *runner.Redactor) string {
	u, err := url.Parse(target)
	if err != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "(not shown: refused)"
	}
	return redactor.Clean(target)
}

// refuse writes the reports of a run that could not start, with what it
// was given.
func refuse(a *suite.API, o *Options, redactor *runner.Redactor, msg string) {
	now := time.Now()
	run := &record.Run{API: a.Name, Stopped: msg, Specs: []record.Spec{}, Asked: record.Asked{Version: Version, Catalog: a.Version(), Started: now, Finished: now,
		Target: shownTarget(o.Target, redactor), Config: o.Config, Reading: o.Reading, Baseline: o.Baseline, RequireAll: o.RequireAll}}
	if cat, err := a.Catalog(); err == nil {
		run.Documented = cat
	}
	if err := publish(o.Reports, redactor, run); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}
