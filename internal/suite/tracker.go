package suite

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/onsi/ginkgo/v2"

	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
)

// tracker holds what one spec created on the target, and removes it after
// the spec, last created first, with each kind's remove_<kind> step. It is
// registered as the spec's one cleanup before the probe runs, so nothing
// registers a cleanup from inside another; once it has started removing
// (the spec ended, or the run was interrupted), no create is sent.
//
// A create is known before it is sent (begin), and what its answer made is
// recorded by the goroutine that sent it (settle), not by the spec's body:
// an interrupt abandons the body at once, and the cleanup then waits, at
// most CreateGrace, for the creates still in flight, removes what they
// made, and names each whose answer never came, with its request.
type tracker struct {
	mu      sync.Mutex
	created []resource
	closed  bool
	pending map[int]inflight // creates sent and not yet answered
	// unanswered are creates that reached the target and got no answer
	// (a timeout, a reset), or none that could be read: what they made,
	// if anything, is not known.
	unanswered []inflight
	next       int
	settled    chan struct{} // closed and replaced whenever a create settles
	ended      chan struct{} // closed when the cleanup begins
	refused    []refusal     // created with an id no path can hold, not yet reported
	// ctx is the cleanup's: Ginkgo ends it when the cleanup's time after
	// an interrupt is up, and a removal waiting out a throttled answer
	// stops waiting then, so what is left is still named.
	ctx context.Context
}

// inflight is a create on the wire.
type inflight struct {
	kind  string
	req   runner.Request
	sent  time.Time
	bound time.Duration // a try sent answers, or fails, within it
	err   error         // why no answer came, once it has failed
}

// refusal is something a create made whose id the suite will not put into
// a path.
type refusal struct {
	r   resource
	why string
}

// CreateGrace bounds how long the cleanup of an interrupted spec waits for
// creates still in flight; Ginkgo gives a cleanup 30 s after an interrupt,
// and the removals need some of it.
const CreateGrace = 20 * time.Second

type resource struct {
	kind, id string
	idSet    bool
	vars     map[string]string // the values the create was filled with
	at       created           // what the create answer said of it (ids.go)
}

// MaxShownID bounds an id as messages and reports show it.
const MaxShownID = 120

func (r resource) String() string {
	switch {
	case r.idSet:
		return r.kind + " " + shortID(r.id)
	case r.at.addressSet:
		return r.kind + " at " + shortID(r.at.address)
	}
	return r.kind + " (the create answer gave no id)"
}

// shortID is an id cut to MaxShownID bytes, on a rune boundary, saying
// how long it was.
func shortID(id string) string {
	if len(id) <= MaxShownID {
		return id
	}
	cut := MaxShownID
	for cut > 0 && !utf8.RuneStart(id[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes in all)", id[:cut], len(id))
}

// unsafeID says why an id cannot be put into a path, or "": a dot
// segment is normalised away by servers and proxies (DELETE …/extension/.
// would name the collection), a separator would name another resource.
func unsafeID(id string) string {
	if id == "" || id == "." || strings.Contains(id, "..") || strings.ContainsAny(id, `/?#\`) {
		return `an id that is empty or ".", or holds "..", /, \, ? or #, is refused`
	}
	if len(id) > MaxID {
		return fmt.Sprintf("an id longer than %d bytes (this one: %d) is refused", MaxID, len(id))
	}
	return ""
}

// MaxID is the longest id the suite puts into a path.
const MaxID = 1024

// begin records a create about to be sent, and returns its ticket for
// settle; 0 when the spec is already ending (the create is not sent).
func (t *tracker) begin(kind string, req runner.Request, bound time.Duration) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return 0
	}
	if t.pending == nil {
		t.pending = map[int]inflight{}
	}
	t.next++
	now := time.Now()
	t.pending[t.next] = inflight{kind: kind, req: req, sent: now, bound: bound}
	return t.next
}

// cancel forgets creates begun and never sent (0 is no ticket).
func (t *tracker) cancel(tickets ...int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ticket := range tickets {
		delete(t.pending, ticket)
	}
	if t.settled != nil {
		close(t.settled)
		t.settled = nil
	}
}

// settle records what a create's answer made, from the goroutine that
// sent it: it calls no Ginkgo function.
func (t *tracker) settle(ticket int, kind string, at created, ex *runner.Exchange, vars map[string]string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pending[ticket]
	delete(t.pending, ticket)
	if t.settled != nil {
		close(t.settled)
		t.settled = nil
	}
	made := ex.Status >= 200 && ex.Status < 300
	named := made && (at.idSet || at.addressSet) // its headers say what it made
	switch {
	case errors.Is(ex.Err, runner.ErrNotRecorded):
		return // a replay: no target was asked, nothing was made
	case ex.Err != nil && ex.RequestHeader != nil && (ex.Status == 0 || made) && !named:
		// Sent, and no answer (or no whole answer) came: the target may
		// have made it.
		p.err = ex.Err
		t.unanswered = append(t.unanswered, p)
		return
	case ex.Err != nil && !named || !made:
		return
	}
	r := resource{kind: kind, vars: vars, at: at, id: at.id, idSet: at.idSet}
	why := at.refused
	if why != "" {
		r.id, r.idSet = at.refusedID, true // named by what it gave, cut short
	} else if r.idSet {
		why = unsafeID(r.id)
	}
	if why != "" {
		t.refused = append(t.refused, refusal{r: r, why: why})
		return
	}
	t.created = append(t.created, r)
}

// cleanup is the cleanup's context, or nil before the cleanup begins.
func (t *tracker) cleanup() context.Context {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ctx
}

// ending tells whether the spec's cleanup has begun.
func (t *tracker) ending() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// ends is closed when the spec's cleanup begins: a create waiting out a
// throttled answer stops waiting, and is not sent again.
func (t *tracker) ends() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended == nil {
		t.ended = make(chan struct{})
		if t.closed {
			close(t.ended)
		}
	}
	return t.ended
}

// claimRefused hands over the refused ids not yet reported.
func (t *tracker) claimRefused() []refusal {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.refused
	t.refused = nil
	return out
}

// await waits until no create is in flight, or for the longest bound of
// those in flight (a try on the wire when the cleanup began ends within
// it; none is sent again), at most CreateGrace.
func (t *tracker) await() {
	start := time.Now()
	limit := start.Add(CreateGrace)
	for {
		t.mu.Lock()
		if len(t.pending) == 0 {
			t.mu.Unlock()
			return
		}
		var longest time.Duration
		for _, p := range t.pending {
			longest = max(longest, p.bound)
		}
		until := start.Add(longest + time.Second) // and the sender's own bookkeeping
		if until.After(limit) {
			until = limit
		}
		if t.settled == nil {
			t.settled = make(chan struct{})
		}
		settled := t.settled
		t.mu.Unlock()
		wait := time.Until(until)
		if wait <= 0 {
			return
		}
		timer := time.NewTimer(wait)
		select {
		case <-settled:
			timer.Stop()
		case <-timer.C:
			return
		}
	}
}

// refuse reports ids the suite will not put into a path, and returns the
// lines of the failure message.
func (s *Spec) refuse(rs []refusal) []string {
	var msgs []string
	for _, f := range rs {
		s.leftover(f.r, fmt.Sprintf("the id %q cannot be put into a path safely", shortID(f.r.id)))
		msgs = append(msgs, fmt.Sprintf("the target answered a create with the id %q: %s; remove the %s by hand", shortID(f.r.id), f.why, f.r.kind))
	}
	return msgs
}

// forget drops a resource the probe removed itself.
func (t *tracker) forget(kind, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.created = slices.DeleteFunc(t.created, func(r resource) bool { return r.kind == kind && r.id == id })
}

// drain removes everything, last created first, and fails the spec with
// what could not be removed. It first waits for creates still in flight
// (an interrupt abandons the spec's body while they are on the wire), and
// names each whose answer never came as possibly left, with its request.
// Removals go InFlight at a time: each batch is the last InFlight still
// there, and starts when the one before it has ended, so nothing is
// removed before what was created after it.
func (t *tracker) drain(ctx context.Context, s *Spec) {
	t.mu.Lock()
	t.ctx = ctx
	t.mu.Unlock()
	s.flush(0)
	defer s.finished()
	t.mu.Lock()
	t.closed = true
	if t.ended != nil {
		close(t.ended)
	}
	t.mu.Unlock()
	t.await()
	t.mu.Lock()
	todo := t.created
	t.created = nil
	lost := t.unanswered
	t.unanswered = nil
	for _, p := range t.pending {
		lost = append(lost, p)
	}
	t.pending = nil
	t.mu.Unlock()
	var failed []string
	for _, f := range t.claimRefused() {
		failed = append(failed, s.leftover(f.r, f.why))
	}
	slices.SortFunc(lost, func(a, b inflight) int { return a.sent.Compare(b.sent) })
	for _, p := range lost {
		failed = append(failed, s.possiblyLeft(p))
	}
	for end := len(todo); end > 0; end -= InFlight {
		batch := slices.Clone(todo[max(0, end-InFlight):end])
		slices.Reverse(batch)
		if msg := s.removeAll(batch); msg != "" {
			failed = append(failed, msg)
		}
	}
	s.flush(0)
	if len(failed) > 0 {
		// Not a verdict on the row: what is left fails the run, and the
		// record names it under the spec that created it.
		ginkgo.Fail(s.Client.Redactor().Clean("cleanup: left on the target, remove by hand:\n  - " + strings.Join(failed, "\n  - ")))
	}
}

// possiblyLeft records a create whose answer never came: the target may
// have made what it asked for, and only a person can tell.
func (s *Spec) possiblyLeft(p inflight) string {
	clean := s.Client.Redactor().Clean
	curl := s.Client.Describe(p.req)
	what := fmt.Sprintf("its answer had not come %s after it was sent (the run was ending)", time.Since(p.sent).Round(time.Millisecond))
	if p.err != nil {
		what = "no answer came: " + p.err.Error()
	}
	why := fmt.Sprintf("possibly left: a create reached the target and %s; check whether it made a %s, and remove it; its request: %s", what, p.kind, curl)
	ginkgo.AddReportEntry(leftoverEntry, record.Leftover{Resource: clean(p.kind + " (unknown: no answer)"), Why: clean(why), Request: curl}, ginkgo.ReportEntryVisibilityAlways)
	return p.kind + " (unknown: no answer): " + why
}

// removeAll sends the removal step of each resource at once and returns
// what went wrong, one line each, or "". Building and judging run on the
// spec's goroutine; only the requests run beside each other.
func (s *Spec) removeAll(rs []resource) string {
	var failed []string
	type removal struct {
		r     resource
		step  target.Step
		key   string
		req   runner.Request
		tries []try
	}
	var todo []*removal
	for _, r := range rs {
		step, key, why := s.removal(r)
		if why != "" {
			failed = append(failed, s.leftover(r, why))
			continue
		}
		rm := &removal{r: r, step: step, key: key}
		vars := []string{}
		for k, v := range r.vars {
			vars = append(vars, k, v)
		}
		if slices.Contains(step.Placeholders(), "id") {
			vars = append(vars, "id", r.id)
		}
		if slices.Contains(step.Placeholders(), "address") {
			vars = append(vars, "address", r.at.address)
		}
		sent := s.Build(step, key, vars...)
		sent.Cleanup = true
		rm.req = sent.Request
		todo = append(todo, rm)
	}
	InParallel(len(todo), func(i int) { todo[i].tries = s.attempts(todo[i].req) })
	for _, rm := range todo {
		s.reportTries(rm.tries, "cleanup")
		ex := rm.tries[len(rm.tries)-1].ex
		if errors.Is(ex.Err, runner.ErrNotRecorded) {
			continue // a replay: the removal was not recorded, and nothing is on any target
		}
		if ex.Err != nil || !slices.Contains(rm.step.Codes, ex.Status) {
			failed = append(failed, s.leftover(rm.r, fmt.Sprintf("%s answered %d, want %v %v", rm.key, ex.Status, rm.step.Codes, errText(ex.Err))))
		}
	}
	return strings.Join(failed, "\n  - ")
}

// removal is the step that removes r, or why there is none.
func (s *Spec) removal(r resource) (target.Step, string, string) {
	step, key, err := s.Deployment.Step(s.Row.ID, "remove_"+r.kind)
	switch {
	case err != nil:
		return step, key, fmt.Sprintf("the suite has no step remove_%s", r.kind)
	case step.Method == "NONE":
		return step, key, key + " says it cannot be removed"
	case slices.Contains(step.Placeholders(), "id") && !r.idSet:
		return step, key, fmt.Sprintf("%s needs {id}, and the create answer gave none in its %s (configure where: the create step's id, ids.%s or id_field)", key, r.at.where, r.kind)
	case slices.Contains(step.Placeholders(), "address") && !r.at.addressSet:
		why := cmp.Or(r.at.addressWhy, "it has no Location header")
		return step, key, fmt.Sprintf("%s needs {address}, the address the create answer gave, and %s", key, why)
	}
	// Building the removal must not end the cleanup half-way: what it
	// needs and the configuration lacks makes the resource a leftover.
	if role := cmp.Or(step.As, "valid"); role != "none" && !s.Deployment.Credentials[role].Set() {
		return step, key, fmt.Sprintf("%s is sent as credentials.%s, which is not set", key, role)
	}
	var fresh map[string]string
	if s.fresh != nil {
		fresh = s.fresh()
	}
	for _, name := range step.Placeholders() {
		_, carried := r.vars[name]
		_, made := fresh[name]
		if _, set := s.Deployment.Var(name); !carried && !made && !set && name != "id" && name != "address" {
			return step, key, fmt.Sprintf("%s needs vars.%s, which is not set", key, name)
		}
	}
	return step, key, ""
}

// leftover records, in the spec's report, something the suite created and
// could not remove, and returns the line for the failure message (the
// removal's exchange is attached to the report already).
func (s *Spec) leftover(r resource, why string) string {
	line := fmt.Sprintf("%s: %s", r, why)
	clean := s.Client.Redactor().Clean
	ginkgo.AddReportEntry(leftoverEntry, record.Leftover{Resource: clean(r.String()), Why: clean(why)}, ginkgo.ReportEntryVisibilityAlways)
	return line
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return "(" + err.Error() + ")"
}

// createdID reads the id of what a create answer made, as the literal text
// the target sent (a number keeps every digit); field may be a dotted path.
func createdID(body []byte, field string) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return "", false
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", false
	}
	for _, part := range strings.Split(field, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		if v, ok = obj[part]; !ok {
			return "", false
		}
	}
	switch id := v.(type) {
	case string:
		return id, true
	case json.Number:
		return id.String(), true
	}
	return "", false
}

// Removed tells the tracker that the probe itself removed what it created.
func (s *Spec) Removed(kind, id string) { s.tracker.forget(kind, id) }
