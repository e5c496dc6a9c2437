package suite

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/onsi/ginkgo/v2"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/record"
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
// RunSpecs (package launch does, standalone or embedded).
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

// planCases pairs every catalog row with its probes, each split by its items
// and the plan's variants, and wires the plan into env.
func planCases(env *Env, cat *catalog.Catalog, p Plan) ([]Case, error) {
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
