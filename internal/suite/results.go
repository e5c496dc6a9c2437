package suite

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/runner"
)

// idEntry starts each attempt of a spec in its report (--flake-attempts
// repeats a spec: only its last attempt counts).
const idEntry = "id"

// Results fills the run's record with its specs, from Ginkgo's report of
// the finished run: each spec's outcome from the verdict it recorded, or,
// for one that never reached a verdict, from how it ended (interrupted,
// never run, a failure outside the checks); an interrupted run is marked
// stopped. Only the cases given are the run's: an embedded suite's report
// holds the caller's own specs too. Every text Ginkgo recorded passes
// through the redactor. It returns the ids of the specs whose failure the
// console did not show (skipped early as likely not the row's fault), for
// the caller to show them if the record keeps them not conformant.
func Results(run *record.Run, r types.Report, cases []Case, redactor *runner.Redactor) (heldBack []string) {
	byName := map[string]Case{}
	for _, c := range cases {
		byName[c.Name()] = c
	}
	interrupted := ""
	for _, reason := range r.SpecialSuiteFailureReasons {
		if strings.Contains(strings.ToLower(reason), "interrupt") || strings.Contains(reason, "Timeout") {
			interrupted = reason
			run.Stopped = "the run was interrupted (" + reason + ") at " + time.Now().Format(time.RFC3339) + ", before it finished"
		}
	}
	failures := r.SpecReports.CountWithState(types.SpecStateFailureStates) > 0
	for _, sr := range r.SpecReports {
		c, ok := byName[sr.LeafNodeText]
		if sr.LeafNodeType != types.NodeTypeIt || !ok {
			continue // not one of this suite's specs
		}
		s := record.Spec{ID: c.ID(), Row: c.Row.ID, Code: c.Row.Code, Name: c.Name(), Probe: c.Probe, Variant: c.Variant,
			Labels: sr.Labels(), DurationMS: float64(sr.RunTime.Microseconds()) / 1000}
		var v *record.Verdict
		ran := false
		for _, e := range sr.ReportEntries {
			switch e.Name {
			case idEntry:
				ran, v, s.Exchanges, s.Leftovers = true, nil, nil, nil
			case verdictEntry:
				if got, ok := entryValue[record.Verdict](e); ok {
					v = &got
				}
			case leftoverEntry:
				if l, ok := entryValue[record.Leftover](e); ok {
					s.Leftovers = append(s.Leftovers, l)
				}
			case staleEntry:
			default:
				if ex, ok := entryValue[record.Exchange](e); ok && ex.Transcript != "" {
					s.Exchanges = append(s.Exchanges, ex)
				}
			}
		}
		failed := sr.State.Is(types.SpecStateFailureStates)
		message := redactor.Clean(firstLine(sr.Failure.Message))
		switch {
		case sr.State.Is(types.SpecStateInterrupted | types.SpecStateAborted | types.SpecStateTimedout):
			s.Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.Interrupted,
				Message: "the run was interrupted during this spec: " + message}
		case sr.State == types.SpecStatePanicked:
			s.Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.SuiteDefect,
				Message: "suite defect: a panic: " + message + " " + redactor.Clean(sr.Failure.ForwardedPanic)}
		case v != nil:
			s.Verdict = *v
			if sr.State == types.SpecStateSkipped && v.Outcome == record.NotConformant {
				heldBack = append(heldBack, s.ID)
			}
		case failed && len(s.Leftovers) > 0:
			// A cleanup that failed after the checks passed is not a
			// verdict on the row; the leftovers fail the run.
			s.Verdict = record.Verdict{Outcome: record.Conformant}
		case !ran && !selected(r, sr):
			s.Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.Filtered, Message: "left out by " + FilterText(r)}
		case !ran && interrupted != "":
			s.Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.Interrupted, Message: "the run was interrupted (" + interrupted + ") before this spec ran"}
		case !ran && r.SuiteConfig.FailFast && failures:
			s.Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.Interrupted, Message: "the run stopped at its first failure (--fail-fast) before this spec ran"}
		case !ran && FilterText(r) != "":
			s.Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.Filtered, Message: "left out by " + FilterText(r)}
		case !ran:
			s.Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.Interrupted,
				Message: "the run ended before this spec ran (a failure outside the specs, such as a BeforeSuite of the tree)"}
		default:
			s.Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.SuiteDefect,
				Message: fmt.Sprintf("suite defect: the spec ended %s outside the suite's checks: %s", sr.State, message)}
		}
		if failed {
			if s.Detail == "" {
				s.Detail = redactor.Clean(sr.Failure.Message)
			}
			s.Detail += "\n\nat " + sr.Failure.Location.String()
			for _, af := range sr.AdditionalFailures {
				s.Detail += "\n\nalso: " + redactor.Clean(af.Failure.Message)
			}
		}
		run.Specs = append(run.Specs, s)
	}
	return heldBack
}

// entryValue is a report entry's value: as added, in the process that
// added it, or decoded from its JSON, in a report merged from ginkgo -p
// processes.
func entryValue[T any](e types.ReportEntry) (T, bool) {
	if v, ok := e.GetRawValue().(T); ok {
		return v, true
	}
	var v T
	return v, e.Value.AsJSON != "" && json.Unmarshal([]byte(e.Value.AsJSON), &v) == nil
}

// selected tells whether the run's label filter, --focus and --skip let
// a spec run, matched as Ginkgo matches them (file filters and focused
// specs are not re-judged: such a spec counts as selected).
func selected(r types.Report, sr types.SpecReport) bool {
	cfg := r.SuiteConfig
	if cfg.LabelFilter != "" {
		if match, err := types.ParseLabelFilter(cfg.LabelFilter); err == nil && !match(sr.Labels()) {
			return false
		}
	}
	text := r.SuiteDescription + " " + sr.FullText()
	matches := func(res []string) bool {
		re, err := regexp.Compile(strings.Join(res, "|"))
		return err == nil && re.MatchString(text)
	}
	if len(cfg.FocusStrings) > 0 && !matches(cfg.FocusStrings) {
		return false
	}
	return len(cfg.SkipStrings) == 0 || !matches(cfg.SkipStrings)
}

// FilterText names what left specs out of a run: the filters given, or a
// focused spec in the tree; "" for none.
func FilterText(r types.Report) string {
	cfg := r.SuiteConfig
	var parts []string
	if cfg.LabelFilter != "" {
		parts = append(parts, "--label-filter="+cfg.LabelFilter)
	}
	for _, f := range cfg.FocusStrings {
		parts = append(parts, "--focus="+f)
	}
	for _, f := range cfg.SkipStrings {
		parts = append(parts, "--skip="+f)
	}
	for _, f := range cfg.FocusFiles {
		parts = append(parts, "--focus-file="+f)
	}
	for _, f := range cfg.SkipFiles {
		parts = append(parts, "--skip-file="+f)
	}
	if r.SuiteHasProgrammaticFocus {
		parts = append(parts, "a focused spec (FIt, FDescribe) in the tree")
	}
	return strings.Join(parts, " ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
