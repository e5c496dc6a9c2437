package suite

import (
	"sync/atomic"

	"github.com/onsi/ginkgo/v2"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
)

// Env is what a spec runs with. It is built once per run (NewEnv) and
// handed to the API's cases: nothing lives in package globals.
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
	// rows are the API's catalog rows, for pointing from one to another.
	rows []catalog.Row
	// rowKeys are the configuration keys that steer each row's specs.
	rowKeys map[string][]string
	// Verbose shows every failing spec's exchanges on the console;
	// otherwise console counts down how many more may show them.
	Verbose bool
	console *atomic.Int32
	live    *live
}

// EnvOptions are what a run's settings give its environment; the rest of
// it comes from the API's plan (Cases).
type EnvOptions struct {
	API        string
	Client     *runner.Client
	Reading    check.Reading
	RequireAll bool
	// Rate, when positive, paces the run in requests a second (--rate),
	// over the configuration's rate.
	Rate float64
}

// NewEnv makes the environment of one run: the console has room for the
// exchanges of the first few failing specs, and nothing is tallied yet.
func NewEnv(o EnvOptions) *Env {
	env := &Env{API: o.API, Client: o.Client, Reading: o.Reading, RequireAll: o.RequireAll, Rate: o.Rate, console: new(atomic.Int32), live: &live{}}
	env.console.Store(consoleExchanges)
	return env
}

// UseBaseline gives the run its known failures by spec id (--baseline);
// strict fails a spec whose entry is stale, because the spec now passes
// (--strict-baseline).
func (e *Env) UseBaseline(known map[string]Known, strict bool) {
	e.baseline, e.strictBaseline = known, strict
}

// Paced is the pace of the whole run in requests a second, all processes
// together (--rate, else the configuration's); 0 when unpaced.
func (e *Env) Paced() float64 { return e.paced }

// Lane is this process's place in a parallel run, counted from 1, and how
// many processes the run has: what keeps their fresh values apart.
func Lane() (int, int) {
	cfg, _ := ginkgo.GinkgoConfiguration()
	return max(1, cfg.ParallelProcess), max(1, cfg.ParallelTotal)
}

// pace sets the client's pace: --rate, else the configuration's, shared
// evenly by the processes of a parallel run so together they keep to it.
func (e *Env) pace(d *target.Deployment) {
	configured := d.Rate
	cfg, _ := ginkgo.GinkgoConfiguration()
	for role, r := range d.Rates {
		// Each process paces its share of the credential's rate.
		e.Client.PaceRole(role, r/float64(max(1, cfg.ParallelTotal)))
	}
	r := configured
	if e.Rate > 0 {
		r = e.Rate
	}
	if r <= 0 {
		return
	}
	e.paced = r
	e.Client.Pace(r / float64(max(1, cfg.ParallelTotal)))
}
