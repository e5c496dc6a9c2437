// Package junit writes a Ginkgo report as JUnit XML that strict consumers
// accept: the Maven Surefire shape that Jenkins' xUnit plugin validates
// against (testdata/junit-10.xsd). Ginkgo's own JUnit output carries
// attributes and elements that schema rejects.
package junit

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/confsuite/apiconform/internal/record"
)

type testsuites struct {
	XMLName  xml.Name    `xml:"testsuites"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Time     string      `xml:"time,attr"`
	Suites   []testsuite `xml:"testsuite"`
}

type testsuite struct {
	Name       string     `xml:"name,attr"`
	Tests      int        `xml:"tests,attr"`
	Failures   int        `xml:"failures,attr"`
	Errors     int        `xml:"errors,attr"`
	Skipped    int        `xml:"skipped,attr"`
	Time       string     `xml:"time,attr"`
	Timestamp  string     `xml:"timestamp,attr"`
	Properties []property `xml:"properties>property"`
	Cases      []testcase `xml:"testcase"`
}

type property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type testcase struct {
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	Time      string   `xml:"time,attr"`
	Skipped   *outcome `xml:"skipped"`
	Failure   *outcome `xml:"failure"`
	Error     *outcome `xml:"error"`
	SystemOut *cdata   `xml:"system-out"`
}

type cdata struct {
	Text string `xml:",cdata"`
}

type outcome struct {
	Type    string `xml:"type,attr"`
	Message string `xml:"message,attr"`
	Text    string `xml:",cdata"`
}

// Case is one test case as a report shows it, whatever produced it.
type Case struct {
	Name      string
	Classname string
	Duration  time.Duration
	State     types.SpecState
	Message   string // failure or skip reason
	Detail    string // failure location, exchanges, captured output
}

// Suite is one named group of cases with run-level properties.
type Suite struct {
	Name       string
	Started    time.Time
	Duration   time.Duration
	Properties map[string]string
	Cases      []Case
}

// FilteredPrefix starts the skip message of a spec the run's filters left
// out.
const FilteredPrefix = "[not checked: filtered] "

// FromRecord renders a run's record as a JUnit suite, one case per spec:
// not conformant is a failure; not checked is an error when it fails the
// run (an interrupt, a refused precondition, an unreachable target …) and
// a skip when it does not (a key left unset, a filter); a known failure is
// a skip; conformant passes, unless what it created was left on the
// target. Causes shared by many specs, a run that could not start or
// finish, and a run that verified nothing come first, as cases of their
// own.
func FromRecord(run *record.Run) Suite {
	s := Suite{Name: run.API, Started: run.Started, Duration: run.Finished.Sub(run.Started), Properties: map[string]string{
		"target": run.Target, "config": run.Config, "reading": run.Reading, "require-all": strconv.FormatBool(run.RequireAll),
		"insecure": strconv.FormatBool(run.Insecure), "rate": run.Rate, "label-filter": run.LabelFilter, "version": run.Version,
		"catalog": run.Catalog, "proxy": run.Proxy, "baseline": run.Baseline,
	}}
	if s.Duration < 0 {
		s.Duration = 0
	}
	if run.Recording != "" {
		s.Properties["recording"] = run.Recording
	}
	if r := run.Replay; r != nil {
		s.Properties["replay"], s.Properties["replay-recorded"] = r.File, r.Recorded.UTC().Format(time.RFC3339)
		s.Properties["replay-version"], s.Properties["replay-target"] = r.Version, r.Target
	}
	if run.Stopped != "" {
		s.Cases = append(s.Cases, Case{Name: "[run]", Classname: run.API, State: types.SpecStateAborted, Message: run.Stopped, Detail: run.Stopped})
	}
	for _, f := range run.Findings {
		msg := fmt.Sprintf("%s (%d specs not checked for it)", f.Message, f.Specs)
		s.Cases = append(s.Cases, Case{Name: "[finding: " + f.Cause + "]", Classname: run.API, State: types.SpecStateAborted, Message: msg, Detail: msg})
	}
	for _, sp := range run.Specs {
		c := Case{Name: sp.Name, Classname: run.API, Duration: time.Duration(sp.DurationMS * float64(time.Millisecond)), State: types.SpecStatePassed}
		if sp.Row != "" {
			c.Classname += "." + sp.Row
		}
		var detail strings.Builder
		switch {
		case sp.Outcome == record.NotConformant:
			c.State, c.Message = types.SpecStateFailed, sp.Detail
		case sp.Outcome == record.KnownFailure:
			c.State, c.Message = types.SpecStateSkipped, fmt.Sprintf("%sknown failure (%s): %s", record.BaselinedPrefix, sp.Baseline, sp.Detail)
		case sp.Outcome == record.NotChecked:
			c.State = types.SpecStateSkipped
			if sp.FailsRun(run) {
				c.State = types.SpecStateAborted
			}
			c.Message = fmt.Sprintf("[not checked: %s] %s", sp.Reason, sp.Message)
			for _, p := range sp.Problems {
				c.Message += "\n  - " + p.String()
			}
		case sp.Outcome == record.StaleBaseline && sp.FailsRun(run):
			c.State, c.Message = types.SpecStateAborted, sp.Message+" (--strict-baseline)"
		}
		if len(sp.Leftovers) > 0 {
			var left []string
			for _, l := range sp.Leftovers {
				left = append(left, l.Resource+": "+l.Why)
			}
			msg := "left on the target, remove by hand: " + strings.Join(left, "; ")
			if c.State == types.SpecStatePassed || c.State == types.SpecStateSkipped {
				c.State, c.Message = types.SpecStateAborted, msg+" (the row's answer was "+strings.ReplaceAll(string(sp.Outcome), "_", " ")+")"
			} else {
				c.Message = summary(c.Message) + "\nalso: " + msg
			}
		}
		if sp.Detail != "" && c.Message != sp.Detail {
			fmt.Fprintf(&detail, "%s\n", sp.Detail)
		} else if c.State != types.SpecStatePassed {
			fmt.Fprintf(&detail, "%s\n", c.Message)
		}
		for _, ex := range sp.Exchanges {
			fmt.Fprintf(&detail, "\n--- %s\n%s\n", ex.Name, ex.String())
		}
		c.Detail = detail.String()
		s.Cases = append(s.Cases, c)
	}
	if !run.Verified() && run.Stopped == "" {
		s.Cases = append(s.Cases, Case{Name: "[no spec ran]", Classname: run.API, State: types.SpecStateAborted, Message: run.Unverified()})
	}
	return s
}

// Write renders the suites to path, passing every piece of text through
// redact first: a report is the one place everything ends up.
func Write(path string, redact func(string) string, suites ...Suite) error {
	doc := testsuites{Name: "apiconform"}
	var total time.Duration
	for _, s := range suites {
		ts := testsuite{
			Name:      redact(s.Name),
			Time:      seconds(s.Duration),
			Timestamp: s.Started.UTC().Format("2006-01-02T15:04:05"),
		}
		keys := make([]string, 0, len(s.Properties))
		for k := range s.Properties {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ts.Properties = append(ts.Properties, property{Name: k, Value: redact(s.Properties[k])})
		}
		for _, c := range s.Cases {
			tc := testcase{Name: redact(c.Name), Classname: redact(c.Classname), Time: seconds(c.Duration)}
			o := &outcome{Type: c.State.String(), Message: redact(clean(summary(c.Message))), Text: redact(clean(c.Detail))}
			switch {
			case c.State.Is(types.SpecStateSkipped | types.SpecStatePending):
				tc.Skipped = o
				ts.Skipped++
			case c.State == types.SpecStateFailed:
				tc.Failure = o
				ts.Failures++
			case c.State.Is(types.SpecStateFailureStates):
				tc.Error = o
				ts.Errors++
			default:
				if c.Detail != "" {
					tc.SystemOut = &cdata{Text: redact(clean(c.Detail))}
				}
			}
			ts.Tests++
			ts.Cases = append(ts.Cases, tc)
		}
		doc.Tests += ts.Tests
		doc.Failures += ts.Failures
		doc.Errors += ts.Errors
		total += s.Duration
		doc.Suites = append(doc.Suites, ts)
	}
	doc.Time = seconds(total)
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("junit %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("junit %s: %w", path, err)
	}
	if err := record.WriteFile(path, append([]byte(xml.Header), append(out, '\n')...)); err != nil {
		return fmt.Errorf("junit %s: %w", path, err)
	}
	return nil
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// summary is a failure message up to its first blank line: the problems,
// without the exchange that follows them.
func summary(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n\n")
	return s
}

// clean drops characters XML 1.0 cannot carry, which a hostile target's
// body may well contain.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF):
			return '\uFFFD'
		}
		return r
	}, s)
}

// Summary counts one written report's test cases.
type Summary struct {
	Suite                                    string
	Timestamp                                string // when the run started, as written (UTC)
	Properties                               map[string]string
	Tests, Failures, Errors, Skipped, Passed int
	Failed                                   []string // names of failed and errored cases
	Results                                  []Result
}

// Result is one test case's outcome in a written report.
type Result struct {
	Name, Classname string
	Outcome         string // passed, failed, error or skipped
	Message         string
	// Detail is the outcome's text: a failure's exchanges and curl
	// commands, or what a passing case wrote.
	Detail string
}

// Read summarises a report written by Write.
func Read(path string) ([]Summary, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("junit %s: %w", path, err)
	}
	var doc testsuites
	if err := xml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("junit %s: %w", path, err)
	}
	var out []Summary
	for _, ts := range doc.Suites {
		s := Summary{Suite: ts.Name, Timestamp: ts.Timestamp, Properties: map[string]string{},
			Tests: ts.Tests, Failures: ts.Failures, Errors: ts.Errors, Skipped: ts.Skipped}
		s.Passed = s.Tests - s.Failures - s.Errors - s.Skipped
		for _, p := range ts.Properties {
			s.Properties[p.Name] = p.Value
		}
		for _, tc := range ts.Cases {
			r := Result{Name: tc.Name, Classname: tc.Classname, Outcome: "passed"}
			switch {
			case tc.Failure != nil:
				r.Outcome, r.Message, r.Detail = "failed", tc.Failure.Message, tc.Failure.Text
			case tc.Error != nil:
				r.Outcome, r.Message, r.Detail = "error", tc.Error.Message, tc.Error.Text
			case tc.Skipped != nil:
				r.Outcome, r.Message, r.Detail = "skipped", tc.Skipped.Message, tc.Skipped.Text
				switch {
				case strings.HasPrefix(r.Message, FilteredPrefix):
					r.Outcome = "filtered"
				case strings.HasPrefix(r.Message, record.BaselinedPrefix):
					r.Outcome = "baselined"
				}
			case tc.SystemOut != nil:
				r.Detail = tc.SystemOut.Text
			}
			if r.Outcome == "failed" || r.Outcome == "error" {
				s.Failed = append(s.Failed, tc.Name)
			}
			s.Results = append(s.Results, r)
		}
		out = append(out, s)
	}
	return out, nil
}
