package record

import (
	"fmt"
	"slices"
	"strings"
)

// A cause is systemic when it holds for more than half the answers it
// concerns, and at least this many: a few refusals are rows' own.
const systemicMinimum = 4

// Layout is what the findings need to know of the deployment: where its
// API lives, as configured and as given.
type Layout struct {
	API        string
	Target     string // --target
	BasePath   string // base_path
	TargetPath string // the path of --target
}

// Tally counts what the findings look at: the answers to requests sent
// with the valid credential, the answers that are 404, and the specs whose
// answers have neither the documented code nor the documented body. A run
// keeps one as it goes, to tell early that a failure has a shared cause.
type Tally struct {
	Valid, Refused    int // answers to requests sent as credentials.valid; of them 401 or 403
	Answered, Missing int // answers; of them 404
	Judged, Unlike    int // specs judged; of them with neither code nor body right
}

// Exchange counts one exchange.
func (t *Tally) Exchange(ex Exchange) {
	if ex.Status == 0 {
		return
	}
	t.Answered++
	if ex.Status == 404 {
		t.Missing++
	}
	if ex.Role == "valid" {
		t.Valid++
		if ex.Status == 401 || ex.Status == 403 {
			t.Refused++
		}
	}
}

// Judge counts one spec that reached a verdict on its row.
func (t *Tally) Judge(s Spec) {
	t.Judged++
	if foreign(s) {
		t.Unlike++
	}
}

// Cause is a cause shared by many specs, and which specs it concerns.
type Cause struct {
	Finding
	Key     string // what to check
	Matches func(Spec) bool
}

// Causes are the shared causes the tally shows.
func (t Tally) Causes(l Layout) []Cause {
	var causes []Cause
	if systemic(t.Refused, t.Valid) {
		causes = append(causes, Cause{
			Finding: Finding{Cause: "credentials", Message: fmt.Sprintf(
				"the target refuses credentials.valid: %d of %d answers to requests sent with it are 401 or 403; check credentials.valid and auth (header, value)", t.Refused, t.Valid)},
			Key: "credentials.valid",
			Matches: func(s Spec) bool {
				return slices.ContainsFunc(s.Exchanges, func(ex Exchange) bool {
					return ex.Role == "valid" && (ex.Status == 401 || ex.Status == 403)
				})
			},
		})
	}
	if systemic(t.Missing, t.Answered) {
		msg := fmt.Sprintf("%d of %d answers are 404: the API is not where base_path %q puts it under --target %s", t.Missing, t.Answered, l.BasePath, l.Target)
		if bp := strings.TrimSuffix(l.BasePath, "/"); bp != "" && strings.HasSuffix(strings.TrimSuffix(l.TargetPath, "/"), bp) {
			msg += fmt.Sprintf("; the target's path %q already ends with base_path, so requests go to %s%s/…: give --target without %q, or set base_path: \"\"", l.TargetPath, strings.TrimSuffix(l.TargetPath, "/"), bp, bp)
		} else {
			msg += "; check base_path and the --target URL"
		}
		causes = append(causes, Cause{
			Finding: Finding{Cause: "base_path", Message: msg},
			Key:     "base_path",
			Matches: func(s Spec) bool {
				return slices.ContainsFunc(s.Exchanges, func(ex Exchange) bool { return ex.Status == 404 })
			},
		})
	}
	if len(causes) == 0 && systemic(t.Unlike, t.Judged) {
		// No verdict on any row holds for a target that is not this API.
		causes = append(causes, Cause{
			Finding: Finding{Cause: "not_this_api", Message: fmt.Sprintf(
				"the target does not look like the %s API: %d of %d specs got answers with neither the documented code nor the documented body; check --target", l.API, t.Unlike, t.Judged)},
			Key:     "--target",
			Matches: func(Spec) bool { return true },
		})
	}
	return causes
}

// Blamed tells whether a cause could have kept the spec from a verdict:
// it is not conformant, or its precondition was refused.
func Blamed(s Spec) bool {
	return s.Outcome == NotConformant || s.Outcome == KnownFailure || s.Outcome == NotChecked && s.Reason == Precondition
}

// Diagnose looks for a cause shared by many specs (the valid credential
// refused, a wrong base path, a target that is not this API), records
// each as a Finding, and turns every spec that cause kept from a verdict
// into not checked, naming it: no row is called not conformant for it.
// A finding fails the run.
func (r *Run) Diagnose(l Layout) {
	var t Tally
	for _, s := range r.Specs {
		for _, ex := range s.Exchanges {
			t.Exchange(ex)
		}
		if s.Outcome == Conformant || s.Outcome == NotConformant || s.Outcome == KnownFailure || s.Outcome == StaleBaseline {
			t.Judge(s)
		}
	}
	l.API = r.API
	for _, c := range t.Causes(l) {
		for i := range r.Specs {
			s := &r.Specs[i]
			if !Blamed(*s) || !c.Matches(*s) {
				continue
			}
			msg := c.Message
			if s.Outcome == NotChecked {
				msg += "; this spec: " + s.Message
			}
			s.Verdict = Verdict{Outcome: NotChecked, Reason: Precondition, Key: c.Key, Step: s.Step, Message: msg, Problems: s.Problems, Detail: s.Detail}
			c.Specs++
		}
		r.Findings = append(r.Findings, c.Finding)
	}
}

func systemic(part, whole int) bool { return part >= systemicMinimum && 2*part > whole }

// foreign tells a spec not conformant in both its code and its body: an
// answer that is not this API's.
func foreign(s Spec) bool {
	return s.Outcome == NotConformant && s.broke("code") && (s.broke("content type") || s.broke("body") || s.broke("schema"))
}

// broke tells whether the spec's problems name part.
func (s Spec) broke(part string) bool {
	return slices.ContainsFunc(s.Problems, func(p Problem) bool { return p.Part == part })
}
