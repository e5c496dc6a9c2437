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

// Tally counts what the findings look at. Only answers a row does not
// document count: a 404 to a 404 row, a throttled try and a cleanup's
// removal say nothing about where the API is or whose credential works.
type Tally struct {
	Valid, Refused, Granted int // answers to requests sent as credentials.valid; of them 401 or 403; of them 2xx
	Answered, Missing       int // answers; of them 404 not the API's own
	Absent                  int // answers that are the API's own documented 404
	absentRow               string
	Judged, Unlike          int // specs judged; of them with neither code nor body right
	Succeeded               int // specs of a success row (2xx) that were conformant
}

// Exchange counts one exchange of a spec of the row with HTTP code row.
func (t *Tally) Exchange(row int, ex Exchange) {
	if ex.Status == 0 || ex.Name == "cleanup" || strings.HasPrefix(ex.Name, "throttled") {
		return
	}
	t.Answered++
	switch {
	case ex.Documented != "":
		t.Absent++
		t.absentRow = ex.Documented
	case ex.Status == 404 && row != 404:
		t.Missing++
	}
	if ex.Role == "valid" {
		t.Valid++
		switch {
		case (ex.Status == 401 || ex.Status == 403) && row != ex.Status:
			t.Refused++
		case ex.Status >= 200 && ex.Status < 300:
			t.Granted++
		}
	}
}

// Judge counts one spec that reached a verdict on its row.
func (t *Tally) Judge(s Spec) {
	t.Judged++
	if foreign(s) {
		t.Unlike++
	}
	if s.Code >= 200 && s.Code < 300 && (s.Outcome == Conformant || s.Outcome == StaleBaseline) {
		t.Succeeded++
	}
}

// Cause is a cause shared by many specs, and which specs it concerns.
type Cause struct {
	Finding
	Key     string // what to check
	Matches func(Spec) bool
}

// Causes are the shared causes the tally shows. The valid credential is
// refused when most of its answers are refusals, or when some are and
// none granted anything (a small run); a target that is not this API is
// told only when no success row passed.
func (t Tally) Causes(l Layout) []Cause {
	var causes []Cause
	if systemic(t.Refused, t.Valid) || t.Refused > 0 && t.Granted == 0 {
		causes = append(causes, Cause{
			Finding: Finding{Cause: "credentials", Message: fmt.Sprintf(
				"the target refuses credentials.valid: %d of %d answers to requests sent with it are 401 or 403 where the row documents neither, and %d granted anything; check credentials.valid and auth (header, value)", t.Refused, t.Valid, t.Granted)},
			Key: "credentials.valid",
			// When the valid credential is refused, a refusal of any other
			// is as likely the way they are sent (auth) as the row's fault.
			Matches: func(s Spec) bool {
				return slices.ContainsFunc(s.Exchanges, func(ex Exchange) bool {
					return ex.Role != "" && (ex.Status == 401 || ex.Status == 403) && s.Code != ex.Status
				})
			},
		})
	}
	if systemic(t.Absent, t.Answered) {
		causes = append(causes, Cause{
			Finding: Finding{Cause: "absent", Message: fmt.Sprintf(
				"%d of %d answers are the API's own 404 (%s): the API is there, but what the configuration names is not; check the vars that name resources (client, model_id …)", t.Absent, t.Answered, t.absentRow)},
			Key: "vars",
			Matches: func(s Spec) bool {
				return slices.ContainsFunc(s.Exchanges, func(ex Exchange) bool { return ex.Documented != "" })
			},
		})
	}
	unlike := systemic(t.Unlike, t.Judged) && t.Succeeded == 0
	if !unlike && systemic(t.Missing, t.Answered) {
		msg := fmt.Sprintf("%d of %d answers are 404: the API is not where base_path %q puts it under --target %s", t.Missing, t.Answered, l.BasePath, l.Target)
		if bp := strings.TrimSuffix(l.BasePath, "/"); bp != "" && strings.HasSuffix(strings.TrimSuffix(l.TargetPath, "/"), bp) {
			msg += fmt.Sprintf("; the target's path %q already ends with base_path, so requests go to %s%s/…: give --target without %q, or set base_path: \"\"", l.TargetPath, strings.TrimSuffix(l.TargetPath, "/"), bp, bp)
		} else {
			msg += "; check base_path and the --target URL"
		}
		causes = append(causes, Cause{
			Finding: Finding{Cause: "base_path", Message: msg},
			Key:     "base_path",
			// A 404 row's own 404 proves nothing either when the API is
			// elsewhere: the resource it asked for was never reached.
			Matches: func(s Spec) bool {
				return slices.ContainsFunc(s.Exchanges, func(ex Exchange) bool { return ex.Status == 404 })
			},
		})
	}
	if unlike {
		causes = append(causes, Cause{
			Finding: Finding{Cause: "not_this_api", Message: fmt.Sprintf(
				"the target does not look like the %s API: %d of %d specs got answers with neither the documented code nor the documented body, and no success row passed; check --target", l.API, t.Unlike, t.Judged)},
			Key:     "--target",
			Matches: func(Spec) bool { return true },
		})
	}
	return causes
}

// blamed tells whether a cause could have kept the spec from a verdict:
// it is not conformant, or its precondition was refused.
func blamed(s Spec) bool {
	return s.Outcome == NotConformant || s.Outcome == KnownFailure || s.Outcome == NotChecked && s.Reason == Precondition
}

// Diagnose looks for a cause shared by many specs (the valid credential
// refused, a wrong base path, a target that is not this API), turns every
// spec that cause kept from a verdict into not checked, naming it (no row
// is called not conformant for it), and records the cause as a Finding
// when it concerned any spec. A finding fails the run.
func (r *Run) Diagnose(l Layout) {
	var t Tally
	for _, s := range r.Specs {
		for _, ex := range s.Exchanges {
			t.Exchange(s.Code, ex)
		}
		if s.Outcome == Conformant || s.Outcome == NotConformant || s.Outcome == KnownFailure || s.Outcome == StaleBaseline {
			t.Judge(s)
		}
	}
	l.API = r.API
	attributed := map[int]bool{}
	for _, c := range t.Causes(l) {
		for i := range r.Specs {
			s := &r.Specs[i]
			if attributed[i] || !blamed(*s) || !c.Matches(*s) {
				continue
			}
			attributed[i] = true
			v := s.Verdict
			v.Outcome, v.Reason, v.Key, v.Message = NotChecked, Precondition, c.Key, c.Message
			if s.Outcome == NotChecked {
				v.Message += "; this spec: " + s.Message
			}
			s.Verdict = v
			c.Specs++
		}
		if c.Specs > 0 {
			r.Findings = append(r.Findings, c.Finding)
		}
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
