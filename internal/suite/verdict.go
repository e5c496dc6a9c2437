package suite

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/runner"
)

// Report entries a spec leaves for the record (results.go reads them).
const (
	verdictEntry  = "verdict"
	leftoverEntry = "left on the target"
	staleEntry    = "stale baseline"
)

// consoleExchanges is how many failing specs of a process show their
// exchanges on the console, and specExchanges how many of each, the last
// (all with -v): a run where everything fails stays readable, and every
// exchange is in the reports.
const (
	consoleExchanges = 3
	specExchanges    = 2
)

// Attach keeps an exchange for the spec's record; it reaches the report
// when the spec's outcome is known, or after its cleanup.
func (s *Spec) Attach(name string, ex *runner.Exchange) {
	e := record.Exchange{Name: name, Role: ex.Request.Role, Method: ex.Method, URL: s.Client.Redactor().Clean(ex.URL),
		Status: ex.Status, ElapsedMS: float64(ex.Elapsed) / float64(time.Millisecond), Transcript: ex.Transcript(), Curl: ex.Curl()}
	if ex.Err != nil {
		e.Error = s.Client.Redactor().Clean(ex.Err.Error())
	}
	e.Documented = s.documented404(ex)
	s.mu.Lock()
	s.pending = append(s.pending, e)
	s.seen = append(s.seen, e)
	s.mu.Unlock()
	s.live.exchange(s.Row.Code, e)
}

// documented404 names the documented 404 row an answer is, when it is one
// other than the spec's own: the API answered that what the request named
// does not exist (a wrong vars.client, a model the deployment lacks),
// which is not what the spec asked about.
func (s *Spec) documented404(ex *runner.Exchange) string {
	if ex.Status != http.StatusNotFound || s.check == nil {
		return ""
	}
	for _, r := range s.rows {
		// A 404 row without a status or a message of its own is any 404:
		// a router's too, which proves nothing about the API being there.
		if r.Code != http.StatusNotFound || r.Status == "" && r.Message == "" || r.ID == s.Row.ID {
			continue
		}
		as := &Spec{Env: s.Env, Row: r, Variant: s.Variant}
		if len(s.check(as, ex, Sent{Request: ex.Request})) == 0 {
			return r.Title()
		}
	}
	return ""
}

// flush adds the kept exchanges to the spec's report, the last shown of
// them on the console when the spec's failure is (all with -v), the rest
// only recorded. Once the spec's cleanup has ended, its body may still be
// running (an interrupt abandons it): nothing it adds reaches a report,
// which is another spec's by then.
func (s *Spec) flush(shown int) {
	s.mu.Lock()
	pending, done := s.pending, s.done
	s.pending = nil
	s.mu.Unlock()
	if done {
		return
	}
	for i, e := range pending {
		visibility := ginkgo.ReportEntryVisibilityNever
		if s.Verbose || i >= len(pending)-shown {
			visibility = ginkgo.ReportEntryVisibilityFailureOrVerbose
		}
		ginkgo.AddReportEntry(e.Name, e, visibility)
	}
}

// finished marks the end of the spec's cleanup.
func (s *Spec) finished() {
	s.mu.Lock()
	s.done = true
	s.mu.Unlock()
}

// conclude records the spec's verdict, the first one only (a cleanup that
// fails afterwards is not a verdict on the row), and shows the spec's last
// exchanges if show and the console has room for them.
func (s *Spec) conclude(v record.Verdict, show bool) {
	s.mu.Lock()
	first, done := s.verdict == nil, s.done
	if first {
		s.verdict = &v
	}
	s.mu.Unlock()
	if !first || done {
		return
	}
	shown := 0
	if show && (s.Verbose || s.console.Add(-1) >= 0) {
		shown = specExchanges
	}
	s.flush(shown)
	ginkgo.AddReportEntry(verdictEntry, v, ginkgo.ReportEntryVisibilityNever)
}

// Verify ends the spec as not conformant when problems is not empty,
// naming each broken part.
func (s *Spec) Verify(problems []check.Problem) {
	ginkgo.GinkgoHelper()
	s.broken("the answer does not conform", problems)
}

// broken ends the spec as not conformant, or as a known failure of the
// baseline, when problems is not empty.
func (s *Spec) broken(headline string, problems []check.Problem) {
	ginkgo.GinkgoHelper()
	if len(problems) == 0 {
		return
	}
	v := record.Verdict{Outcome: record.NotConformant, Message: headline}
	if s.guess != "" {
		v.Message += " (" + s.guess + ")"
	}
	for _, p := range problems {
		v.Problems = append(v.Problems, record.Problem{Part: p.Part, Text: s.Client.Redactor().Clean(p.Text)})
	}
	v.Detail = s.failureText(v)
	if s.known != nil {
		v.Outcome, v.Baseline = record.KnownFailure, s.known.Reason
		s.conclude(v, false)
		ginkgo.Skip(fmt.Sprintf("%sknown failure (%s): %s", record.BaselinedPrefix, s.known.Reason, v.Detail))
	}
	if cause, ok := s.live.shared(s, v); ok {
		// Most likely not the row's fault: said once at the end, where
		// the record names the cause; the run fails there.
		s.conclude(v, false)
		ginkgo.Skip("likely not the row's fault: " + cause + "\n" + v.Detail)
	}
	s.conclude(v, true)
	ginkgo.Fail(v.Detail)
}

// Prepared ends the spec as not checked when a request that only prepares
// the condition (creating what it needs) did not answer one of codes: the
// condition was never provoked. Where a row judges that answer itself (the
// create's success code), the message points to it.
func (s *Spec) Prepared(step string, ex *runner.Exchange, codes ...int) {
	ginkgo.GinkgoHelper()
	s.unanswered(ex)
	if slices.Contains(codes, ex.Status) {
		return
	}
	v := record.Verdict{Outcome: record.NotChecked, Reason: record.Precondition, Step: step,
		Message: fmt.Sprintf("%s answered %d, want %s: the condition was not provoked", step, ex.Status, codeList(codes))}
	if ex.Err != nil {
		v.Message += " (" + ex.Err.Error() + ")"
	}
	if row, ok := s.successRow(ex.Method); ok && row.ID != s.Row.ID && ex.Status >= 200 && ex.Status < 300 && s.judges(row.ID, step) {
		v.SeeRow = row.Title()
		v.Message += "; " + row.Title() + " judges that answer"
	}
	s.NotChecked(v)
}

func codeList(codes []int) string {
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprint(c)
	}
	return strings.Join(parts, " or ")
}

// Need ends the spec as not checked when a configuration key it depends on
// is not set: a skip, or, under --require-all, a failure of the run.
func (s *Spec) Need(key string, set bool) {
	ginkgo.GinkgoHelper()
	if set {
		return
	}
	s.NotChecked(record.Verdict{Outcome: record.NotChecked, Reason: record.Configuration, Key: key,
		Message: fmt.Sprintf("configuration key %s is not set: this condition cannot be provoked without it", key)})
}

// Defect ends the spec as a bug of the suite's own.
func (s *Spec) Defect(msg string) {
	ginkgo.GinkgoHelper()
	s.NotChecked(record.Verdict{Outcome: record.NotChecked, Reason: record.SuiteDefect, Message: "suite defect: " + msg})
}

// NotChecked ends the spec without a verdict on its row, for the reason v
// gives: a skip when the reason does not fail the run, else a failure.
func (s *Spec) NotChecked(v record.Verdict) {
	ginkgo.GinkgoHelper()
	v.Outcome = record.NotChecked
	v.Message = s.Client.Redactor().Clean(v.Message)
	if v.Reason == record.Configuration && s.RequireAll {
		v.Message += " (--require-all makes that fail the run)"
	}
	v.Detail = s.failureText(v)
	spec := record.Spec{Verdict: v}
	if !spec.FailsRun(&record.Run{Asked: record.Asked{RequireAll: s.RequireAll}}) {
		s.conclude(v, false)
		ginkgo.Skip("not checked: " + v.Message)
	}
	if cause, ok := s.live.shared(s, v); ok && v.Reason == record.Precondition {
		s.conclude(v, false)
		ginkgo.Skip("not checked, likely for a cause many specs share: " + cause)
	}
	s.conclude(v, true)
	ginkgo.Fail(v.Detail)
}

// unanswered ends the spec as not checked when ex got no answer at all: the
// target was unreachable, or the run's time was up. Bytes that are not
// HTTP are an answer, judged like any other.
func (s *Spec) unanswered(ex *runner.Exchange) {
	ginkgo.GinkgoHelper()
	if ex.Status != 0 || ex.Err == nil || strings.Contains(ex.Err.Error(), "malformed HTTP") {
		return
	}
	v := record.Verdict{Reason: record.Unreachable, Message: "no answer: " + ex.Err.Error()}
	switch {
	case errors.Is(ex.Err, runner.ErrNotRecorded):
		// A replay: the recording holds no answer to the request.
		v.Message = ex.Err.Error()
		if ue := (*url.Error)(nil); errors.As(ex.Err, &ue) {
			v.Message = ue.Err.Error()
		}
	case errors.Is(ex.Err, runner.ErrRunDeadline):
		v.Reason, v.Message = record.Interrupted, "the run's time (--run-timeout) was spent: "+ex.Err.Error()
	case errors.Is(ex.Err, runner.ErrTimeout):
		v.Message += " (raise --timeout if the target is slow)"
	}
	s.NotChecked(v)
}

// throttled ends the spec as not checked when the target still throttled
// after retry.attempts, saying which setting would help.
func (s *Spec) throttled(ex *runner.Exchange) {
	ginkgo.GinkgoHelper()
	r := s.Deployment.Retry
	msg := fmt.Sprintf("the target kept throttling after %d tries: no verdict on this row", r.Attempts+1)
	asked := retryAfter(ex, time.Duration(1<<62))
	if d := s.Client.Deadline(); !d.IsZero() && time.Now().Add(min(asked, r.MaxWait)).After(d) {
		msg = fmt.Sprintf("the target throttled, and its Retry-After (%s) outlasts what is left of --run-timeout: no verdict on this row; raise --run-timeout", asked)
	} else if asked > r.MaxWait {
		msg += fmt.Sprintf("; its Retry-After asked for %s, longer than retry.max_wait (%s): raise retry.max_wait", asked, r.MaxWait)
	} else if s.paced > 0 {
		msg += fmt.Sprintf("; lower --rate (%g a second) or raise retry.attempts", s.paced)
	} else {
		msg += "; raise retry.attempts, or pace the run with --rate"
	}
	s.NotChecked(record.Verdict{Reason: record.Precondition, Step: "retry", Message: msg})
}

// failureText is the failure as the console and the JUnit report show it:
// the requirement the spec checks, then the verdict.
func (s *Spec) failureText(v record.Verdict) string {
	head := v.Message
	if v.Outcome == record.NotChecked {
		head = fmt.Sprintf("[not checked: %s] %s", v.Reason, v.Message)
	}
	var b strings.Builder
	b.WriteString(s.Requirement() + "\n" + head)
	for _, p := range v.Problems {
		fmt.Fprintf(&b, "\n  - %s", p)
	}
	return s.Client.Redactor().Clean(b.String())
}

// Requirement is the row the spec checks: its title, where the page states
// it, and what it says.
func (s *Spec) Requirement() string {
	return fmt.Sprintf("[requirement] %s (%s, line %d): %s", s.Row.Title(), s.Row.Page, s.Row.Line, s.Row.EN)
}

// judges tells whether a row's specs send the step (a key such as
// requests.create_extension, or one row's requests.<row>/create_extension),
// and so judge its answer.
func (s *Spec) judges(row, step string) bool {
	name := step[strings.LastIndexAny(step, "./")+1:]
	return slices.Contains(s.rowKeys[row], "requests."+name)
}

// successRow is the catalog's success row of a method (POST 201), which
// judges the code a create answers.
func (s *Spec) successRow(method string) (catalog.Row, bool) {
	for _, r := range s.rows {
		if r.Method != "" && strings.EqualFold(r.Method, cmp.Or(method, "GET")) {
			return r, true
		}
	}
	return catalog.Row{}, false
}

// live is what this process has seen of the run so far, to tell early
// that a failure has a cause many specs share (record.Tally).
type live struct {
	mu    sync.Mutex
	tally record.Tally
}

func (l *live) exchange(row int, e record.Exchange) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tally.Exchange(row, e)
}

func (l *live) judged(s record.Spec) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tally.Judge(s)
}

// shared counts the spec's verdict and names the shared cause that
// explains it, if the run so far shows one.
func (l *live) shared(s *Spec, v record.Verdict) (string, bool) {
	s.mu.Lock()
	spec := record.Spec{Row: s.Row.ID, Code: s.Row.Code, Verdict: v, Exchanges: slices.Clone(s.seen)}
	s.mu.Unlock()
	if v.Outcome != record.NotChecked {
		l.judged(spec)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.tally.Causes(record.Layout{API: s.API, Target: s.Client.Base(), BasePath: s.Deployment.BasePath}) {
		if c.Matches(spec) {
			return c.Message, true
		}
	}
	return "", false
}
