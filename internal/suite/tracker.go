package suite

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/onsi/ginkgo/v2"

	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
)

// tracker holds what one spec created on the target, and removes it after
// the spec, last created first, with each kind's remove_<kind> step. It is
// registered as the spec's one cleanup before the probe runs, so nothing
// registers a cleanup from inside another; once it has started removing
// (the spec ended, or the run was interrupted), what is still created is
// removed at once.
type tracker struct {
	mu      sync.Mutex
	created []resource
	closed  bool
}

type resource struct {
	kind, id string
	idSet    bool
	vars     map[string]string // the values the create was filled with
	at       created           // what the create answer said of it (ids.go)
}

func (r resource) String() string {
	switch {
	case r.idSet:
		return r.kind + " " + r.id
	case r.at.addressSet:
		return r.kind + " at " + r.at.address
	}
	return r.kind + " (the create answer gave no id)"
}

// add records what a create answer made, and returns why the spec must
// fail, or "": the caller fails it once everything created is recorded.
func (t *tracker) add(s *Spec, step target.Step, ex *runner.Exchange, vars map[string]string) string {
	ginkgo.GinkgoHelper()
	kind := step.Creates
	r := resource{kind: kind, vars: vars, at: s.createdBy(step, ex)}
	r.id, r.idSet = r.at.id, r.at.idSet
	if r.at.refused != "" {
		s.leftover(r, r.at.refused)
		return fmt.Sprintf("the target answered a create with %s; remove the %s by hand", r.at.refused, kind)
	}
	t.mu.Lock()
	closed := t.closed
	if !closed {
		t.created = append(t.created, r)
	}
	t.mu.Unlock()
	if closed {
		s.removeAll([]resource{r}) // a leftover is in the report already
	}
	return ""
}

// forget drops a resource the probe removed itself.
func (t *tracker) forget(kind, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.created = slices.DeleteFunc(t.created, func(r resource) bool { return r.kind == kind && r.id == id })
}

// drain removes everything, last created first, and fails the spec with
// what could not be removed. Removals go InFlight at a time: each batch is
// the last InFlight still there, and starts when the one before it has
// ended, so nothing is removed before what was created after it.
func (t *tracker) drain(s *Spec) {
	s.flush(0)
	defer s.finished()
	t.mu.Lock()
	t.closed = true
	todo := t.created
	t.created = nil
	t.mu.Unlock()
	var failed []string
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
