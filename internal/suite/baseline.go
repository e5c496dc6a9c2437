package suite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/onsi/ginkgo/v2"
	"go.yaml.in/yaml/v3"

	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/runner"
)

// Known is one known failure of a baseline file (--baseline): the spec's
// id, why it fails, and optionally the day from which it counts again.
type Known struct {
	ID      string `yaml:"id"`
	Reason  string `yaml:"reason"`
	Expires string `yaml:"expires"` // YYYY-MM-DD; from that day the failure fails the run again
}

// loadBaseline reads a baseline file: every id must be a spec of cases,
// every entry needs a reason. Expired entries are left out, and said.
func loadBaseline(path string, cases []Case, now time.Time, w io.Writer) (map[string]Known, error) {
	if path == "" {
		return nil, nil
	}
	raw, err := runner.ReadFileBounded(path, runner.MaxFlagFileBytes)
	if err != nil {
		return nil, fmt.Errorf("--baseline: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var entries []Known
	if err := dec.Decode(&entries); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("--baseline %s: %w", path, err)
	}
	ids := map[string]bool{}
	for _, c := range cases {
		ids[c.ID()] = true
	}
	known := map[string]Known{}
	var errs []error
	for i, e := range entries {
		switch {
		case !ids[e.ID]:
			errs = append(errs, fmt.Errorf("--baseline %s: entry %d: %q is not a spec id (--list shows them)", path, i+1, e.ID))
		case e.Reason == "":
			errs = append(errs, fmt.Errorf("--baseline %s: entry %d (%s): reason is required", path, i+1, e.ID))
		case e.Expires != "":
			day, err := time.Parse(time.DateOnly, e.Expires)
			if err != nil {
				errs = append(errs, fmt.Errorf("--baseline %s: entry %d (%s): expires: want YYYY-MM-DD", path, i+1, e.ID))
			} else if !now.Before(day) {
				fmt.Fprintf(w, "baseline: the entry for %s expired on %s: its failure fails the run again\n", e.ID, e.Expires)
			} else {
				known[e.ID] = e
			}
		default:
			known[e.ID] = e
		}
	}
	return known, errors.Join(errs...)
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
