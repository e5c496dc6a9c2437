package suite

import (
	"fmt"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2"

	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
)

// Env is what a spec runs with. It is built once per run and handed to the
// API's cases: nothing lives in package globals.
type Env struct {
	API        string
	Client     *runner.Client
	Reading    check.Reading
	RequireAll bool
	// Rate, when positive, paces the run in requests a second (--rate),
	// over the configuration's rate.
	Rate       float64
	paced      float64
	Deployment *target.Deployment
	// Observe is applied to every exchange of the run, whatever spec sent
	// it (the content API's rule that any 5xx carries the envelope).
	Observe func(*runner.Exchange) []check.Problem
	// Throttled tells an answer that refuses a request for the rate limit.
	Throttled func(*runner.Exchange) bool
	// fresh gives the values a request's runtime placeholders take when the
	// probe does not pass them.
	fresh          func() map[string]string
	baseline       map[string]Known // known failures by spec id (--baseline)
	strictBaseline bool
	// check judges an answer against a spec's row.
	check func(*Spec, *runner.Exchange, Sent) []check.Problem
}

// pace sets the client's pace: --rate, else the configuration's, shared
// evenly by the processes of a parallel run so together they keep to it.
func (e *Env) pace(configured float64) {
	r := configured
	if e.Rate > 0 {
		r = e.Rate
	}
	if r <= 0 {
		return
	}
	e.paced = r
	cfg, _ := ginkgo.GinkgoConfiguration()
	e.Client.Pace(r / float64(max(1, cfg.ParallelTotal)))
}

// Attach adds an exchange to the spec's report.
func (e *Env) Attach(name string, ex *runner.Exchange) {
	ginkgo.AddReportEntry(name, ex.Transcript()+"\n$ "+ex.Curl(), ginkgo.ReportEntryVisibilityFailureOrVerbose)
}

// Verify fails the spec when problems is not empty, naming each problem.
func (s *Spec) Verify(problems []check.Problem) {
	ginkgo.GinkgoHelper()
	if len(problems) > 0 {
		s.Fail(failure("the answer does not conform", problems))
	}
}

// Setup fails the spec when a request that only prepares it (creating what
// the condition needs) did not answer one of the codes wanted: the condition
// itself was never reached, and the message says so.
func (s *Spec) Setup(what string, ex *runner.Exchange, codes ...int) {
	ginkgo.GinkgoHelper()
	switch {
	case ex.Err != nil:
		s.Fail(fmt.Sprintf("setup (%s) failed: %v", what, ex.Err))
	case !slices.Contains(codes, ex.Status):
		s.Fail(fmt.Sprintf("setup (%s) failed: want HTTP %v, got %d", what, codes, ex.Status))
	}
}

// Need skips the spec when a configuration key it depends on is not set, or
// fails it under --require-all.
func (s *Spec) Need(key string, set bool) {
	ginkgo.GinkgoHelper()
	if set {
		return
	}
	if s.RequireAll {
		s.Fail(fmt.Sprintf("configuration key %s is not set, and --require-all makes that a failure", key))
	}
	ginkgo.Skip(fmt.Sprintf("configuration key %s is not set: this condition cannot be provoked without it", key))
}

// Fail fails the spec with msg under the requirement it checks, as the page
// states it. The message is redacted and its control characters escaped:
// it may quote anything the target sent. The exchanges are in the spec's
// timeline, each with a curl command that reproduces it.
func (s *Spec) Fail(msg string) {
	ginkgo.GinkgoHelper()
	msg = s.Client.Redactor().Clean(s.Requirement() + "\n" + msg)
	if s.known != nil {
		s.knownFailure(msg)
	}
	ginkgo.Fail(msg)
}

// Requirement is the row the spec checks: its title, where the page states
// it, and what it says.
func (s *Spec) Requirement() string {
	return fmt.Sprintf("[requirement] %s (%s, line %d): %s", s.Row.Title(), s.Row.Page, s.Row.Line, s.Row.EN)
}

// failure is a headline and each problem on a line of its own.
func failure(headline string, problems []check.Problem) string {
	var b strings.Builder
	b.WriteString(headline)
	for _, p := range problems {
		fmt.Fprintf(&b, "\n  - %s", p)
	}
	return b.String()
}
