package suite

import (
	"fmt"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2"

	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/runner"
)

// Env is what a spec runs with. It is built once per run and handed to the
// API's cases: nothing lives in package globals.
type Env struct {
	API        string
	Client     *runner.Client
	Reading    check.Reading
	RequireAll bool
	// Observe is applied to every exchange of the run, whatever spec sent
	// it (the content API's rule that any 5xx carries the envelope).
	Observe func(*runner.Exchange) []check.Problem
}

// Send performs a request, attaches the exchange to the spec's report, and
// applies Observe.
func (e *Env) Send(req runner.Request) *runner.Exchange {
	ginkgo.GinkgoHelper()
	ex := e.Client.Do(req)
	e.Attach("exchange", ex)
	if e.Observe != nil {
		if p := e.Observe(ex); len(p) > 0 {
			ginkgo.Fail(failure("an answer seen during this spec breaks a rule that holds for every answer", ex, p))
		}
	}
	return ex
}

// Attach adds an exchange sent without Send to the spec's report.
func (e *Env) Attach(name string, ex *runner.Exchange) {
	ginkgo.AddReportEntry(name, ex.Transcript()+"\n$ "+ex.Curl(), ginkgo.ReportEntryVisibilityFailureOrVerbose)
}

// Verify fails the spec when problems is not empty, showing each problem,
// the exchange, and a curl command that reproduces it.
func (e *Env) Verify(ex *runner.Exchange, problems []check.Problem) {
	ginkgo.GinkgoHelper()
	if len(problems) > 0 {
		ginkgo.Fail(failure("the answer does not conform", ex, problems))
	}
}

// Setup fails the spec when a request that only prepares it (creating what
// the condition needs) did not answer one of the codes wanted: the condition
// itself was never reached, and the message says so.
func (e *Env) Setup(what string, ex *runner.Exchange, codes ...int) {
	ginkgo.GinkgoHelper()
	switch {
	case ex.Err != nil:
		ginkgo.Fail(failure(fmt.Sprintf("setup (%s) failed: %v", what, ex.Err), ex, nil))
	case !slices.Contains(codes, ex.Status):
		ginkgo.Fail(failure(fmt.Sprintf("setup (%s) failed: want HTTP %v, got %d", what, codes, ex.Status), ex, nil))
	}
}

// Need skips the spec when a configuration key it depends on is not set, or
// fails it under --require-all.
func (e *Env) Need(key string, set bool) {
	ginkgo.GinkgoHelper()
	if set {
		return
	}
	if e.RequireAll {
		ginkgo.Fail(fmt.Sprintf("configuration key %s is not set, and --require-all makes that a failure", key))
	}
	ginkgo.Skip(fmt.Sprintf("configuration key %s is not set: this condition cannot be provoked without it", key))
}

// Burst sends req again and again until the target refuses it (any answer
// but 200, or none) or max requests were sent, and returns the refusal. Only
// the last exchange is attached to the report; a burst never refused fails
// the spec, naming maxKey, the configuration key that bounds it.
func (e *Env) Burst(req runner.Request, max int, maxKey string) *runner.Exchange {
	ginkgo.GinkgoHelper()
	for i := 1; ; i++ {
		ex := e.Client.Do(req)
		if ex.Err != nil || ex.Status != 200 || i >= max {
			e.Attach(fmt.Sprintf("request %d of the burst", i), ex)
			if ex.Err == nil && ex.Status == 200 {
				ginkgo.Fail(failure(fmt.Sprintf("no request was refused after %d requests (%s)", i, maxKey), ex, nil))
			}
			return ex
		}
	}
}

// Cleanup registers a request that removes something the spec created. It
// runs after the spec, also when the spec fails, last created first
// removed; a removal that does not answer one of codes fails the spec.
func (e *Env) Cleanup(what string, req runner.Request, codes ...int) {
	ginkgo.GinkgoHelper()
	ginkgo.DeferCleanup(func() {
		ex := e.Client.Do(req)
		e.Attach("cleanup", ex)
		if ex.Err != nil || !slices.Contains(codes, ex.Status) {
			ginkgo.Fail(failure(fmt.Sprintf("cleanup: could not remove %s (want HTTP %v, got %d %v); remove it by hand", what, codes, ex.Status, ex.Err), ex, nil))
		}
	})
}

func failure(headline string, ex *runner.Exchange, problems []check.Problem) string {
	var b strings.Builder
	b.WriteString(headline)
	for _, p := range problems {
		fmt.Fprintf(&b, "\n  - %s", p)
	}
	fmt.Fprintf(&b, "\n\n%s\nreproduce:\n  %s\n", ex.Transcript(), ex.Curl())
	return b.String()
}
