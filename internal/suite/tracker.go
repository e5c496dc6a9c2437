package suite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/onsi/ginkgo/v2"

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
}

func (r resource) String() string {
	if !r.idSet {
		return r.kind + " (the create answer gave no id)"
	}
	return r.kind + " " + r.id
}

// add records what a create answer made.
func (t *tracker) add(s *Spec, kind string, ex *runner.Exchange, vars map[string]string) {
	ginkgo.GinkgoHelper()
	r := resource{kind: kind, vars: vars}
	r.id, r.idSet = createdID(ex.Body, s.Deployment.IDField)
	if r.idSet && (strings.ContainsAny(r.id, "/?#") || strings.Contains(r.id, "..") || r.id == "") {
		s.leftover(r, fmt.Sprintf("the id %q cannot be put into a path safely", r.id))
		s.Fail(fmt.Sprintf("the target answered a create with the id %q: an id holding /, ?, # or .. is refused; remove the %s by hand", r.id, kind))
	}
	t.mu.Lock()
	closed := t.closed
	if !closed {
		t.created = append(t.created, r)
	}
	t.mu.Unlock()
	if closed {
		s.remove(r)
	}
}

// forget drops a resource the probe removed itself.
func (t *tracker) forget(kind, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.created = slices.DeleteFunc(t.created, func(r resource) bool { return r.kind == kind && r.id == id })
}

// drain removes everything, last created first, and fails the spec with
// what could not be removed.
func (t *tracker) drain(s *Spec) {
	t.mu.Lock()
	t.closed = true
	todo := t.created
	t.created = nil
	t.mu.Unlock()
	var failed []string
	for i := len(todo) - 1; i >= 0; i-- {
		if msg := s.remove(todo[i]); msg != "" {
			failed = append(failed, msg)
		}
	}
	if len(failed) > 0 {
		s.Fail("cleanup: not removed, remove by hand:\n  - " + strings.Join(failed, "\n  - "))
	}
}

// remove sends the kind's removal step and returns what went wrong, or "".
func (s *Spec) remove(r resource) string {
	step, key, err := s.Deployment.Step(s.Row.ID, "remove_"+r.kind)
	if err != nil {
		return s.leftover(r, fmt.Sprintf("the suite has no step remove_%s", r.kind))
	}
	if step.Method == "NONE" {
		return s.leftover(r, key+" says it cannot be removed")
	}
	vars := []string{}
	for k, v := range r.vars {
		vars = append(vars, k, v)
	}
	if slices.Contains(step.Placeholders(), "id") {
		if !r.idSet {
			return s.leftover(r, fmt.Sprintf("%s needs {id}, and the create answer has no %q field (id_field)", key, s.Deployment.IDField))
		}
		vars = append(vars, "id", r.id)
	}
	sent := s.Build(step, key, vars...)
	sent.Cleanup = true
	ex := s.patiently(sent.Request)
	s.Attach("cleanup", ex)
	if ex.Err != nil || !slices.Contains(step.Codes, ex.Status) {
		return s.leftover(r, fmt.Sprintf("%s answered %d, want %v %v", key, ex.Status, step.Codes, errText(ex.Err)))
	}
	return ""
}

// leftover records, in the spec's report, something the suite created and
// could not remove, and returns the line for the failure message (the
// removal's exchange is attached to the report already).
func (s *Spec) leftover(r resource, why string) string {
	line := fmt.Sprintf("%s: %s", r, why)
	ginkgo.AddReportEntry(LeftoverEntry, s.Client.Redactor().Clean(fmt.Sprintf("%s (row %s): %s", r, s.Row.ID, why)), ginkgo.ReportEntryVisibilityAlways)
	return line
}

// LeftoverEntry names the report entry of a resource left on the target.
const LeftoverEntry = "left on the target"

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

// CreatedID is the id a create answer carries in id_field, as the target
// wrote it.
func (s *Spec) CreatedID(ex *runner.Exchange) (string, bool) {
	return createdID(ex.Body, s.Deployment.IDField)
}

// Removed tells the tracker that the probe itself removed what it created.
func (s *Spec) Removed(kind, id string) { s.tracker.forget(kind, id) }
