package suite

import (
	"fmt"

	"github.com/onsi/ginkgo/v2"

	"github.com/confsuite/apiconform/internal/record"
)

// Known is one known failure of a baseline file (--baseline): the spec's
// id, why it fails, and optionally the day from which it counts again.
type Known struct {
	ID      string `yaml:"id"`
	Reason  string `yaml:"reason"`
	Expires string `yaml:"expires"` // YYYY-MM-DD; from that day the failure fails the run again
}

// passedDespiteBaseline records a baseline entry the spec no longer needs;
// under --strict-baseline it fails the run, and the row still reads
// conformant.
func (s *Spec) passedDespiteBaseline() {
	ginkgo.GinkgoHelper()
	msg := fmt.Sprintf("the baseline entry for %s is stale: the spec passes; remove it from the baseline", s.id)
	s.conclude(record.Verdict{Outcome: record.StaleBaseline, Baseline: s.known.Reason, Message: msg}, s.strictBaseline)
	ginkgo.AddReportEntry(staleEntry, msg, ginkgo.ReportEntryVisibilityAlways)
	if s.strictBaseline {
		ginkgo.Fail(msg + " (--strict-baseline)")
	}
}
