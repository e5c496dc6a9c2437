package suite

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/confsuite/apiconform/internal/record"
)

// results turns Ginkgo's report of a run into the run's record: each
// spec's outcome from the verdict it recorded, or, for one that never
// reached a verdict, from how it ended (interrupted, left out by a filter,
// a failure outside the checks).
func results(run *record.Run, r types.Report, cases []Case) {
	byName := map[string]Case{}
	for _, c := range cases {
		byName[c.Name()] = c
	}
	interrupted := false
	for _, reason := range r.SpecialSuiteFailureReasons {
		if strings.Contains(strings.ToLower(reason), "interrupt") || strings.Contains(reason, "Timeout") {
			interrupted = true
			run.Stopped = "the run was interrupted (" + reason + ") at " + time.Now().Format(time.RFC3339) + ", before it finished"
		}
	}
	selected := filter(r.SuiteConfig)
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			if sr.State.Is(types.SpecStateFailureStates) && !sr.State.Is(types.SpecStateInterrupted) {
				run.Specs = append(run.Specs, record.Spec{ID: "[" + sr.LeafNodeType.String() + "]", Name: "[" + sr.LeafNodeType.String() + "]",
					Verdict: record.Verdict{Outcome: record.NotChecked, Reason: record.SuiteDefect, Message: sr.Failure.Message}})
			}
			continue
		}
		c, ok := byName[sr.LeafNodeText]
		if !ok {
			continue // not one of ours: a spec of the caller's own tree
		}
		s := record.Spec{ID: c.ID(), Row: c.Row.ID, Name: c.Name(), Probe: c.Probe, Variant: c.Variant,
			Labels: sr.Labels(), DurationMS: float64(sr.RunTime.Microseconds()) / 1000}
		var v *record.Verdict
		for _, e := range sr.ReportEntries {
			switch e.Name {
			case verdictEntry:
				if got, ok := entryValue[record.Verdict](e); ok {
					v = &got
				}
			case LeftoverEntry:
				if l, ok := entryValue[record.Leftover](e); ok {
					s.Leftovers = append(s.Leftovers, l)
				}
			case staleEntry, "id":
			default:
				if ex, ok := entryValue[record.Exchange](e); ok && ex.Transcript != "" {
					s.Exchanges = append(s.Exchanges, ex)
				}
			}
		}
		failed := sr.State.Is(types.SpecStateFailureStates)
		switch {
		case sr.State.Is(types.SpecStateInterrupted | types.SpecStateAborted | types.SpecStateTimedout):
			s.Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.Interrupted,
				Message: "the run was interrupted during this spec: " + firstLine(sr.Failure.Message)}
		case sr.State == types.SpecStatePanicked:
			s.Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.SuiteDefect,
				Message: "suite defect: a panic: " + firstLine(sr.Failure.Message)}
		case v != nil:
			s.Verdict = *v
		case sr.State == types.SpecStatePassed || failed && len(s.Leftovers) > 0:
			// A cleanup that failed after the checks passed is not a
			// verdict on the row; the leftovers fail the run.
			s.Verdict = record.Verdict{Outcome: record.Conformant}
		case sr.State == types.SpecStateSkipped && !selected(sr):
			s.Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.Filtered, Message: "left out by " + filterText(r.SuiteConfig)}
		case sr.State == types.SpecStateSkipped && interrupted:
			s.Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.Interrupted, Message: "the run was interrupted before this spec ran"}
		default:
			s.Verdict = record.Verdict{Outcome: record.NotChecked, Reason: record.SuiteDefect,
				Message: fmt.Sprintf("suite defect: the spec ended %s outside the suite's checks: %s", sr.State, firstLine(sr.Failure.Message))}
		}
		if failed {
			if s.Detail == "" {
				s.Detail = sr.Failure.Message
			}
			s.Detail += "\n\nat " + sr.Failure.Location.String()
			for _, af := range sr.AdditionalFailures {
				s.Detail += "\n\nalso: " + af.Failure.Message
			}
		}
		run.Specs = append(run.Specs, s)
	}
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

// filter tells whether the run's filters select a spec (--label-filter,
// --focus, --skip), so a spec that never ran is said to be filtered only
// when a filter the user gave left it out.
func filter(cfg types.SuiteConfig) func(types.SpecReport) bool {
	labels, err := types.ParseLabelFilter(cfg.LabelFilter)
	focus := regexps(cfg.FocusStrings)
	skip := regexps(cfg.SkipStrings)
	return func(sr types.SpecReport) bool {
		if cfg.LabelFilter != "" && err == nil && !labels(sr.Labels()) {
			return false
		}
		text := sr.FullText()
		if len(focus) > 0 && !matchesAny(focus, text) {
			return false
		}
		return !matchesAny(skip, text)
	}
}

func regexps(ss []string) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, s := range ss {
		if re, err := regexp.Compile(s); err == nil {
			out = append(out, re)
		}
	}
	return out
}

func matchesAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// filterText names the filters a run was given.
func filterText(cfg types.SuiteConfig) string {
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
	if len(parts) == 0 {
		return "a filter of the run (--focus-file or a focused spec)"
	}
	return strings.Join(parts, " ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
