package record

import (
	"slices"
	"strconv"
	"strings"

	"github.com/confsuite/apiconform/internal/catalog"
)

// Row is one documented row's verdict, which follows from its specs: not
// conformant if any spec is; a known failure if any is and none is not
// conformant; conformant only when every spec ran and was conformant;
// otherwise not checked, with the reasons.
type Row struct {
	Row        catalog.Row
	Outcome    Outcome // Conformant, NotConformant, KnownFailure or NotChecked
	Reasons    []string
	Specs      []Spec
	Conformant int // specs conformant (a stale baseline entry included)
}

// Rows are the verdicts of the catalog's rows, in page order.
func (r *Run) Rows(cat *catalog.Catalog) []Row {
	out := make([]Row, 0, len(cat.Rows))
	for _, cr := range cat.Rows {
		row := Row{Row: cr}
		for _, s := range r.Specs {
			if s.Row == cr.ID {
				row.Specs = append(row.Specs, s)
			}
		}
		row.Outcome = NotChecked
		var known, not bool
		for _, s := range row.Specs {
			switch s.Outcome {
			case Conformant, StaleBaseline:
				row.Conformant++
			case NotConformant:
				not = true
			case KnownFailure:
				known = true
			case NotChecked:
				if why := s.Why(); !slices.Contains(row.Reasons, why) {
					row.Reasons = append(row.Reasons, why)
				}
			}
		}
		switch {
		case not:
			row.Outcome = NotConformant
		case known:
			row.Outcome = KnownFailure
		case len(row.Specs) > 0 && row.Conformant == len(row.Specs):
			row.Outcome = Conformant
		case len(row.Specs) == 0:
			row.Reasons = []string{"no spec in this run"}
		}
		out = append(out, row)
	}
	return out
}

// Why is a not-checked spec's reason as a row verdict gives it: short, and
// saying what would let it be checked.
func (s Spec) Why() string {
	switch s.Reason {
	case Configuration:
		if s.Key != "" {
			return "set " + s.Key
		}
	case Filtered:
		return "filtered out"
	case Interrupted:
		return "interrupted"
	case Unreachable:
		return "unreachable"
	case SuiteDefect:
		return "suite defect"
	case Precondition:
		if s.Key != "" {
			return "check " + s.Key
		}
		why := "precondition"
		if s.Step != "" {
			why += ": " + s.Step
		}
		if s.SeeRow != "" {
			why += ", see " + s.SeeRow
		}
		return why
	}
	return string(s.Reason)
}

// Summary is a row verdict as one phrase: "conformant", "NOT CONFORMANT",
// "not checked: set credentials.rate_limit".
func (row Row) Summary() string {
	switch row.Outcome {
	case Conformant:
		for _, s := range row.Specs {
			if s.Outcome == StaleBaseline {
				return "conformant (its --baseline entry is stale: remove it)"
			}
		}
		return "conformant"
	case NotConformant:
		return "NOT CONFORMANT"
	case KnownFailure:
		return "known failure (baseline)"
	}
	s := "not checked: " + strings.Join(row.Reasons, "; ")
	if row.Conformant > 0 {
		s += " (" + strconv.Itoa(row.Conformant) + " of " + strconv.Itoa(len(row.Specs)) + " specs conformant)"
	}
	return s
}
