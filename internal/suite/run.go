package suite

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/junit"
	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/internal/report"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
)

// Case is one spec: a catalog row provoked one way, in one variant.
type Case struct {
	Row     catalog.Row
	Probe   string   // how the row is provoked, from the catalog
	Variant string   // a further split: a format, a resource; "" for none
	Labels  []string // besides the API, the row's id and its HTTP code
	// Serial keeps the spec from running beside any other under ginkgo -p
	// (Probe.Serial); Group keeps it apart from the specs of its group only
	// (Probe.Group); Weight orders the start of specs (Probe.Weight).
	Serial bool
	Group  string
	Weight int
	Run    func(*Spec)
	// Keys are the configuration keys that steer the spec's requests.
	Keys []string
	// Sends is the request of a one-request probe whose step the
	// configuration overrides ("" when it sends the default): the name
	// shows it. Guess says why the default request is the suite's guess
	// and which key overrides it ("" when the page names the condition's
	// request, or the step is overridden).
	Sends, Guess string
	item         Item
	vary         Variant
	steps        []string // the steps its probe declares
}

// ID is the case's stable identifier: row id, probe and variant.
func (c Case) ID() string {
	id := c.Row.ID + "/" + slug(c.Probe)
	if c.Variant != "" {
		id += "/" + slug(c.Variant)
	}
	return id
}

// Name is the spec's text: the row as the page writes it, then the probe,
// then the variant in brackets.
func (c Case) Name() string {
	name := c.Row.Title() + ": " + c.Probe
	if c.Variant != "" {
		name += " [" + c.Variant + "]"
	}
	if c.Sends != "" {
		name += " (configured: " + c.Sends + ")"
	}
	return name
}

// AllLabels are the spec's Ginkgo labels: the API's (from its container),
// the row id, the HTTP code, and the case's own.
func (c Case) AllLabels() []string {
	return append([]string{Label(c.Row.ID), "http-" + strconv.Itoa(c.Row.Code)}, c.Labels...)
}

var nonSlug = regexp.MustCompile(`[^a-z0-9@_.]+`)

func slug(s string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

var nonLabel = regexp.MustCompile(`[&|!,()/:\s]+`)

// Label makes s usable as a Ginkgo label.
func Label(s string) string { return nonLabel.ReplaceAllString(s, "-") }

// Register adds the cases to the Ginkgo tree. Every spec sits in a
// container named for the API (its label too); the containers are split by
// weight, each with that SpecPriority, because Ginkgo orders specs by
// priority only across its outermost containers (without --randomize-all):
// so under ginkgo -p the heaviest specs start first and the light ones fill
// in at the end. The cases of one group go, heaviest first, into one
// Ordered container (ContinueOnFailure: a failure does not skip the
// others): they run in sequence on one process, beside everything else.
// A Serial case runs alone, after all the others. Call it before
// RunSpecs, from Main or from your own suite.
func Register(env *Env, cases []Case) bool {
	type unit struct {
		cases  []Case
		weight int
	}
	var units []*unit
	groups := map[string]*unit{}
	for _, c := range cases {
		w := max(1, c.Weight)
		if c.Group == "" {
			units = append(units, &unit{cases: []Case{c}, weight: w})
			continue
		}
		u, ok := groups[c.Group]
		if !ok {
			u = &unit{}
			groups[c.Group] = u
			units = append(units, u)
		}
		u.cases = append(u.cases, c)
		u.weight += w // its cases run one after another
	}
	for _, u := range groups {
		slices.SortStableFunc(u.cases, func(a, b Case) int { return cmp.Compare(max(1, b.Weight), max(1, a.Weight)) })
	}
	var weights []int
	for _, u := range units {
		if !slices.Contains(weights, u.weight) {
			weights = append(weights, u.weight)
		}
	}
	slices.SortFunc(weights, func(a, b int) int { return cmp.Compare(b, a) })
	for _, w := range weights {
		ginkgo.Describe(env.API, ginkgo.Label(env.API), ginkgo.SpecPriority(w), func() {
			for _, u := range units {
				switch {
				case u.weight != w:
				case len(u.cases) == 1 && u.cases[0].Group == "":
					spec(env, u.cases[0])
				default:
					ginkgo.Describe(u.cases[0].Group, ginkgo.Ordered, ginkgo.ContinueOnFailure, func() {
						for _, c := range u.cases {
							spec(env, c)
						}
					})
				}
			}
		})
	}
	return true
}

// spec adds one case as a Ginkgo spec.
func spec(env *Env, c Case) {
	decorators := []any{ginkgo.Label(c.AllLabels()...)}
	if c.Serial {
		decorators = append(decorators, ginkgo.Serial)
	}
	ginkgo.It(c.Name(), append(decorators, func() {
		ginkgo.AddReportEntry(idEntry, c.ID(), ginkgo.ReportEntryVisibilityNever)
		s := &Spec{Env: env, Row: c.Row, Item: c.item, Variant: c.vary, tracker: &tracker{}, name: c.Name(), id: c.ID(), guess: c.Guess, steps: c.steps}
		if k, ok := env.baseline[c.ID()]; ok {
			s.known = &k
		}
		// The cleanup takes a context so that an interrupt arriving while it
		// removes gives it Ginkgo's grace period (30 s) to finish, instead
		// of abandoning it at once; it ignores the context, and its own
		// waits are bounded (CreateGrace, each removal's --timeout).
		ginkgo.DeferCleanup(func(ctx ginkgo.SpecContext) { s.tracker.drain(ctx, s) })
		c.Run(s)
		if s.known != nil {
			s.passedDespiteBaseline()
		}
		s.conclude(record.Verdict{Outcome: record.Conformant}, false)
		env.live.judged(record.Spec{Code: c.Row.Code, Verdict: record.Verdict{Outcome: record.Conformant}})
	})...)
}

// Probe is how a catalog row is provoked. Most probes are data: one step,
// sent and checked against the row, or one spec per configured item; a
// probe that needs several requests is a small function.
type Probe struct {
	Step  string        // the step a one-request probe sends
	Run   func(*Spec)   // a probe of several requests
	Items func() []Item // split into one spec per configured item
	// Serial: the probe conflicts with specs it cannot name, or with most
	// of them (it fills a limit every create counts toward), so under
	// ginkgo -p it runs alone, after all the others (Ginkgo's Serial).
	Serial bool
	// Group names state the probe shares with some other probes and no
	// others (a pending archive): the specs of one group run one after
	// another on one process (an Ordered container), beside all the rest.
	Group string
	// Weight is about how many round trips the probe waits for one after
	// another (0 counts as 1). Under ginkgo -p the heaviest specs (a
	// group: the sum of its specs) start first, so no long spec starts
	// last; the order never changes what a spec checks.
	Weight int
	// Uses are the configuration keys a probe of several requests reads:
	// its steps (requests.<step>) and limits; listed in docs/specs.md.
	Uses []string
	// Guess says why the probe's default request is the suite's guess (the
	// page names no way to provoke the row): --list and a failure say so,
	// with the key that overrides it.
	Guess string
}

// Item is one configured request a probe is split by (a resource and a
// method it does not support, an object that does not exist).
type Item struct {
	Name string
	Key  string // its configuration key, for messages
	Step target.Step
}

// Variant is a way every probe of an API runs (the content API's formats).
type Variant struct {
	Name   string
	Labels []string
	Apply  func(*runner.Request) // changes every request the spec sends
	Kind   string                // what the API's check needs to know of it
}

// Plan is one API's suite for one deployment: its probes by the names the
// catalog uses, how its answers are judged, and its variants.
type Plan struct {
	Deployment *target.Deployment
	Probes     map[string]Probe
	Variants   []Variant // none: one spec per probe
	// Labels gives a row's own labels besides its id and code.
	Labels    func(catalog.Row) []string
	Check     func(*Spec, *runner.Exchange, Sent) []check.Problem
	Throttled func(*runner.Exchange) bool
	Observe   func(*runner.Exchange) []check.Problem
	// Fresh gives new values for the runtime placeholders of every request
	// (a name no run has used), unless the probe passes its own.
	Fresh func() map[string]string
}

// Cases pairs every catalog row with its probes, each split by its items
// and the plan's variants, and wires the plan into env.
func Cases(env *Env, cat *catalog.Catalog, p Plan) ([]Case, error) {
	rows := map[string]bool{}
	for _, row := range cat.Rows {
		rows[row.ID] = true
	}
	for _, id := range p.Deployment.RowScoped() {
		if !rows[id] {
			return nil, fmt.Errorf("config: requests.%s/…: %s is not a row of the %s catalog (docs/specs.md lists them)", id, id, env.API)
		}
	}
	if err := checkNames(env.API, cat, p); err != nil {
		return nil, err
	}
	env.Deployment, env.check, env.Throttled, env.Observe, env.fresh = p.Deployment, p.Check, p.Throttled, p.Observe, p.Fresh
	env.rows, env.rowKeys = cat.Rows, map[string][]string{}
	variants := p.Variants
	if len(variants) == 0 {
		variants = []Variant{{}}
	}
	var cases []Case
	for _, row := range cat.Rows {
		var labels []string
		if p.Labels != nil {
			labels = p.Labels(row)
		}
		for _, name := range row.Probes {
			probe := p.Probes[name] // checkNames holds every name to a probe
			items := []Item{{}}
			if probe.Items != nil {
				items = probe.Items()
			}
			for _, it := range items {
				for _, v := range variants {
					keys, writes := probe.keys(p.Deployment, row.ID, it)
					caseLabels := append(slices.Clone(labels), v.Labels...)
					if writes {
						caseLabels = append(caseLabels, WritesLabel)
					}
					c := Case{Row: row, Probe: name, Labels: caseLabels, Serial: probe.Serial,
						Group: probe.Group, Weight: probe.Weight, Run: probe.run(), Keys: keys, item: it, vary: v, steps: probe.steps()}
					c.Sends, c.Guess = probe.sends(p.Deployment, row.ID)
					switch {
					case it.Name != "" && v.Name != "":
						c.Probe, c.Variant = name+" "+it.Name, v.Name
					case it.Name != "":
						c.Variant = it.Name
					default:
						c.Variant = v.Name
					}
					cases = append(cases, c)
					env.rowKeys[row.ID] = append(env.rowKeys[row.ID], keys...)
				}
			}
		}
	}
	return cases, unsentOverrides(p, cases)
}

// checkNames holds a plan to its catalog and its defaults, so that a name
// mistyped in an API's code fails its plan (and so the API's tests) before
// any run: every probe a row names exists, every probe is named by a row,
// and every step a probe names (Step, and requests.<step> in Uses) is a
// step of the configuration.
func checkNames(api string, cat *catalog.Catalog, p Plan) error {
	var errs []error
	named := map[string]bool{}
	for _, row := range cat.Rows {
		for _, name := range row.Probes {
			named[name] = true
			if _, ok := p.Probes[name]; !ok {
				errs = append(errs, fmt.Errorf("catalog %s: row %s names probe %q, which %s does not define", api, row.ID, name, cat.Dir))
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Probes)) {
		probe := p.Probes[name]
		if !named[name] {
			errs = append(errs, fmt.Errorf("%s: probe %q is named by no row of the catalog", cat.Dir, name))
		}
		if probe.Step == "" && probe.Run == nil && probe.Items == nil {
			errs = append(errs, fmt.Errorf("%s: probe %q has no Step, Run or Items", cat.Dir, name))
		}
		for _, step := range probe.steps() {
			if _, _, err := p.Deployment.Step("", step); err != nil {
				errs = append(errs, fmt.Errorf("%s: probe %q sends step %q, which the configuration's defaults (config.yaml, requests) do not define", cat.Dir, name, step))
			}
		}
	}
	return errors.Join(errs...)
}

// steps are the steps the probe declares it sends: its Step, and the
// requests.<step> keys among its Uses.
func (p Probe) steps() []string {
	var out []string
	if p.Step != "" {
		out = append(out, p.Step)
	}
	for _, k := range p.Uses {
		if name, ok := strings.CutPrefix(k, "requests."); ok {
			out = append(out, name)
		}
	}
	return out
}

// unsentOverrides refuses a row's override of a step that none of the
// row's probes sends (requests.<row id>/<step>): it would change nothing.
func unsentOverrides(p Plan, cases []Case) error {
	sent := map[string]bool{}
	for _, c := range cases {
		for _, k := range c.Keys {
			sent[k] = true
		}
	}
	var errs []error
	for _, key := range slices.Sorted(maps.Keys(p.Deployment.Requests)) {
		row, step, scoped := strings.Cut(key, "/")
		if scoped && !sent["requests."+key] {
			errs = append(errs, fmt.Errorf("config: requests.%s: no probe of row %s sends the step %s, so the override would change nothing (docs/specs.md lists the keys each spec reads)", key, row, step))
		}
	}
	return errors.Join(errs...)
}

// WritesLabel marks a spec that sends a request meant to create, change or
// delete something (any method but GET, HEAD and OPTIONS), even one the
// target should refuse: --label-filter='!writes' checks a production
// deployment without touching it.
const WritesLabel = "writes"

// keys are the configuration keys that steer a probe's requests for a row:
// its steps, and the removal of what they create; and whether any of its
// steps writes.
func (p Probe) keys(d *target.Deployment, row string, it Item) ([]string, bool) {
	var steps []target.Step
	var keys []string
	add := func(step target.Step, key string) {
		steps, keys = append(steps, step), append(keys, key)
	}
	for _, k := range append([]string{"requests." + p.Step}, p.Uses...) {
		if name, ok := strings.CutPrefix(k, "requests."); ok && name != "" {
			if step, key, err := d.Step(row, name); err == nil {
				add(step, key)
			}
		} else if k != "requests." {
			keys = append(keys, k)
		}
	}
	if it.Key != "" {
		add(it.Step, it.Key)
	}
	for _, st := range steps {
		if st.Creates != "" {
			if _, key, err := d.Step(row, "remove_"+st.Creates); err == nil && !slices.Contains(keys, key) {
				keys = append(keys, key)
			}
		}
	}
	var values []string
	for _, st := range steps {
		if st.As != "none" {
			values = append(values, "credentials."+cmp.Or(st.As, "valid"))
		}
		for _, name := range st.Placeholders() {
			if _, ok := d.Vars[name]; ok {
				values = append(values, "vars."+name)
			}
		}
	}
	slices.Sort(values)
	writes := slices.ContainsFunc(steps, func(st target.Step) bool {
		return !slices.Contains([]string{"GET", "HEAD", "OPTIONS"}, st.Method)
	})
	return append(keys, slices.Compact(values)...), writes
}

// sends is what a one-request probe sends when the configuration overrides
// its step (METHOD path, and the credential when not valid's), and else
// why its default request is a guess, if it is one.
func (p Probe) sends(d *target.Deployment, row string) (sends, guess string) {
	if p.Step == "" {
		// A probe of several requests names the steps configured.
		var steps []string
		for _, k := range p.Uses {
			name, ok := strings.CutPrefix(k, "requests.")
			_, all := d.Requests[name]
			_, scoped := d.Requests[row+"/"+name]
			if ok && (all || scoped) {
				steps = append(steps, name)
			}
		}
		if len(steps) > 0 {
			return "steps " + strings.Join(steps, ", "), ""
		}
		return "", ""
	}
	step, key, err := d.Step(row, p.Step)
	_, all := d.Requests[p.Step]
	_, scoped := d.Requests[row+"/"+p.Step]
	if err != nil || !all && !scoped {
		if p.Guess != "" {
			return "", fmt.Sprintf("this row's request is the suite's guess: %s; override %s", p.Guess, key)
		}
		return "", ""
	}
	sends = step.Method + " " + step.Path
	if step.RawQuery != "" {
		sends += "?" + step.RawQuery
	}
	if step.As != "" && step.As != "valid" {
		sends += " as " + step.As
	}
	return sends, ""
}

// run is what the probe does: its function, or its data.
func (p Probe) run() func(*Spec) {
	switch {
	case p.Run != nil:
		return p.Run
	case p.Step != "":
		step := p.Step
		return func(s *Spec) {
			sent := s.Request(step)
			s.Judge(s.Send(sent), sent)
		}
	default:
		return func(s *Spec) {
			sent := s.Build(s.Item.Step, s.Item.Key)
			s.Judge(s.Send(sent), sent)
		}
	}
}

// Embed registers an API's suite in a Ginkgo tree the caller runs (the
// public package conform calls it), with options as the standalone flags
// would give them; unset ones take the flags' defaults. A suite that cannot
// start registers one failing spec saying why, so the caller's own report
// shows it, and sends nothing. After the run it prints the row verdicts;
// with o.Reports set, it writes the run's record, its JUnit report and the
// HTML pages there, as a standalone run does.
func Embed(a *API, s Settings) bool {
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
	return Register(p.env, p.cases)
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
func Standalone(a *API, o *Options) (run bool) {
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
		var known map[string]Known
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
	Register(env, p.cases)
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
func finish(a *API, o *Options, p *prepared, r ginkgo.Report, embedded bool) {
	api, env := a.Name, p.env
	run := &record.Run{API: api, Asked: record.Asked{Version: Version, Catalog: a.Version(), Target: env.Client.Base(), Config: p.src.Name,
		Reading: string(env.Reading), Rate: strconv.FormatFloat(env.Paced(), 'g', -1, 64), Proxy: env.Client.ProxyFor(),
		LabelFilter: r.SuiteConfig.LabelFilter, Focus: strings.Join(r.SuiteConfig.FocusStrings, " "), Baseline: o.Baseline,
		RequireAll: env.RequireAll, StrictBaseline: o.StrictBaseline, Insecure: o.Insecure, Started: r.StartTime, Finished: r.EndTime}}
	heldBack := Results(run, r, p.cases, env.Client.Redactor())
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
func targetPath(env *Env) string {
	u, err := url.Parse(env.Client.Base())
	if err != nil {
		return ""
	}
	return u.Path
}

// repeatedBasePath warns when the --target URL already ends with
// base_path, which every request path repeats.
func repeatedBasePath(env *Env) string {
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
	env   *Env
	src   target.Source
	cases []Case
	rec   *recording
}

// prepare checks the options, makes the client, reads the configuration
// and builds the API's cases; it sends nothing.
func prepare(a *API, o *Options, redactor *runner.Redactor) (*prepared, error) {
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
	env := NewEnv(EnvOptions{API: api, Client: client, Reading: reading, RequireAll: o.RequireAll, Rate: o.Rate})
	cases, err := a.Setup(env, src)
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
func stop(a *API, o *Options, redactor *runner.Redactor, err error) {
	msg := redactor.Clean(fmt.Sprintf("%s conformance cannot start: %v", a.Name, err))
	fmt.Fprintln(os.Stderr, msg)
	refuse(a, o, redactor, msg)
	os.Exit(ExitConfig)
}

// refuseFlags replaces the API's reports with ones saying the command line
// could not be parsed; the flag package has printed why and exits 2.
func refuseFlags(a *API, reports, why string) {
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
func refuse(a *API, o *Options, redactor *runner.Redactor, msg string) {
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
