// Package record is a run's results record, reports/<api>.json: what the
// run was asked (target, configuration, reading, filters, baseline) and,
// for every spec, one outcome with its reason, the broken parts and the
// exchanges, redacted. Every output people read is rendered from records:
// the JUnit report, the console's row verdicts, index.html and
// summary.json (docs/reports.md documents the shape).
package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/confsuite/apiconform/internal/catalog"
)

// SchemaVersion is the version of the record's shape; it changes only when
// a field is removed or changes meaning.
const SchemaVersion = 2

// Outcome is how one spec ended. Exactly one per spec.
type Outcome string

// The outcomes.
const (
	// Conformant: the target answered the documented condition as the
	// page says.
	Conformant Outcome = "conformant"
	// NotConformant: the target's answer broke the page's rule; Problems
	// lists the broken parts.
	NotConformant Outcome = "not_conformant"
	// NotChecked: the suite could not provoke the condition or judge the
	// answer; Reason says why and Message what to do.
	NotChecked Outcome = "not_checked"
	// KnownFailure: not conformant, and listed in --baseline.
	KnownFailure Outcome = "known_failure"
	// StaleBaseline: conformant, though --baseline lists it as a known
	// failure.
	StaleBaseline Outcome = "stale_baseline"
)

// BaselinedPrefix starts the skip message of a known failure (--baseline):
// the suite skips the spec with it, and the JUnit report, rendered from
// the record, writes and recognises it, so both say it the same way.
const BaselinedPrefix = "[baselined] "

// Reason is why a spec was not checked: a closed set.
type Reason string

// The reasons.
const (
	// Configuration: a key the spec needs is unset (Key names it).
	Configuration Reason = "configuration"
	// Precondition: a preparatory request's answer kept the suite from
	// provoking the condition (Step names it; SeeRow, the row that covers
	// that answer, if one does).
	Precondition Reason = "precondition"
	// Unreachable: the transport failed; no answer came.
	Unreachable Reason = "unreachable"
	// Interrupted: a signal or --run-timeout stopped the spec, or the run
	// before it.
	Interrupted Reason = "interrupted"
	// Filtered: a filter the user gave left the spec out (Message names it).
	Filtered Reason = "filtered"
	// SuiteDefect: the suite itself failed: a bug of ours.
	SuiteDefect Reason = "suite_defect"
)

// Problem is one broken part of an answer.
type Problem struct {
	Part string `json:"part"` // transport, code, content type, body, schema, status, message
	Text string `json:"text"`
}

func (p Problem) String() string { return p.Part + ": " + p.Text }

// Exchange is one request a spec sent and what came back, redacted.
type Exchange struct {
	// Name says what the request was for: "exchange" (judged against the
	// row), "setup", "cleanup", a throttled try, a burst's request.
	Name   string `json:"name"`
	Role   string `json:"role,omitempty"` // the credential role sent, "" for none
	Method string `json:"method"`
	URL    string `json:"url"`
	Status int    `json:"status"` // 0: no answer
	// ElapsedMS is from sending to the last body byte, in milliseconds.
	ElapsedMS float64 `json:"elapsed_ms"`
	Error     string  `json:"error,omitempty"`
	// Documented names the documented 404 row this answer is, when it is
	// one other than the spec's own: the API answered, and what the
	// request named does not exist there.
	Documented string `json:"documented,omitempty"`
	Transcript string `json:"transcript"`
	Curl       string `json:"curl"`
}

// String is the exchange as the console's timeline shows it.
func (e Exchange) String() string { return e.Transcript + "\n$ " + e.Curl }

// Leftover is something a spec created on the target and could not
// remove: remove it by hand.
type Leftover struct {
	Resource string `json:"resource"`
	Why      string `json:"why"`
	// Request is the create whose answer never came, as a curl command,
	// when what it made is not known: check whether it made anything.
	Request string `json:"request,omitempty"`
}

// Verdict is what a spec decided about itself while it ran; the spec's
// record adds what only the end of the run knows (filters, interrupts).
type Verdict struct {
	Outcome  Outcome   `json:"outcome"`
	Reason   Reason    `json:"reason,omitempty"`
	Message  string    `json:"message,omitempty"`
	Key      string    `json:"key,omitempty"`     // configuration: the unset key
	Step     string    `json:"step,omitempty"`    // precondition: the step whose answer stopped it
	SeeRow   string    `json:"see_row,omitempty"` // precondition: the row that judges that answer
	Problems []Problem `json:"problems,omitempty"`
	Baseline string    `json:"baseline,omitempty"` // known failure or stale: the entry's reason
	// Detail is the failure as the console printed it, with the
	// requirement the spec checks and where in the suite it failed.
	Detail string `json:"detail,omitempty"`
}

// String is the verdict as one line and its problems.
func (v Verdict) String() string {
	s := string(v.Outcome)
	if v.Reason != "" {
		s += " (" + string(v.Reason) + ")"
	}
	if v.Message != "" {
		s += ": " + v.Message
	}
	for _, p := range v.Problems {
		s += "\n  - " + p.String()
	}
	return s
}

// Spec is one spec's record.
type Spec struct {
	ID      string   `json:"id"` // row id/probe[/variant], as docs/specs.md lists it
	Row     string   `json:"row"`
	Code    int      `json:"code"` // the row's HTTP code
	Name    string   `json:"name"` // the row as the page writes it, the probe, the variant
	Probe   string   `json:"probe"`
	Variant string   `json:"variant,omitempty"`
	Labels  []string `json:"labels"`
	Verdict
	Exchanges  []Exchange `json:"exchanges,omitempty"`
	Leftovers  []Leftover `json:"leftovers,omitempty"`
	DurationMS float64    `json:"duration_ms"`
}

// FailsRun tells a spec whose outcome fails the run: not conformant, and
// every reason the suite could not check a row it was asked to, except a
// key left unset (unless --require-all) and a filter the user gave.
func (s Spec) FailsRun(run *Run) bool {
	switch s.Outcome {
	case NotConformant:
		return true
	case StaleBaseline:
		return run.StrictBaseline
	case NotChecked:
		switch s.Reason {
		case Filtered:
			return false
		case Configuration:
			return run.RequireAll
		}
		return true
	}
	return false
}

// Finding is a cause shared by many specs, said once at the top of every
// output.
type Finding struct {
	Cause   string `json:"cause"` // credentials, absent, base_path, not_this_api
	Message string `json:"message"`
	Specs   int    `json:"specs"` // how many specs it kept from a verdict
}

// Asked is what a run was asked and when it ran: every output that shows
// a run shows these.
type Asked struct {
	Version        string    `json:"version"`
	Catalog        string    `json:"catalog"` // the catalog's hash
	Target         string    `json:"target"`
	Config         string    `json:"config"`
	Reading        string    `json:"reading"`
	Rate           string    `json:"rate"`
	Proxy          string    `json:"proxy"`
	LabelFilter    string    `json:"label_filter,omitempty"`
	Focus          string    `json:"focus,omitempty"`
	Baseline       string    `json:"baseline,omitempty"`
	RequireAll     bool      `json:"require_all"`
	StrictBaseline bool      `json:"strict_baseline"`
	Insecure       bool      `json:"insecure"`
	Started        time.Time `json:"started"`
	Finished       time.Time `json:"finished"`
	// Recording is the HAR file the run wrote every exchange to
	// (--record); Replay, the recording a replayed run judged instead of
	// a target (--replay).
	Recording string  `json:"recording,omitempty"`
	Replay    *Replay `json:"replay,omitempty"`
}

// Run is one run of one API's suite: reports/<api>.json.
type Run struct {
	SchemaVersion int    `json:"schema_version"`
	API           string `json:"api"`
	// Documented is the API's catalog the run was judged against: the
	// page and its rows, so the record reads alone, on any build.
	Documented *catalog.Catalog `json:"documented,omitempty"`
	Asked
	// Stopped says why the run could not start or did not finish
	// (a configuration error, an interrupt); "" for a run that did.
	Stopped  string    `json:"stopped,omitempty"`
	Findings []Finding `json:"findings,omitempty"`
	Specs    []Spec    `json:"specs"`
}

// Replay says which recording a replayed run judged: the file, when its
// first request was sent, by which version of the suite (or which tool)
// and against which target.
type Replay struct {
	File     string    `json:"file"`
	Recorded time.Time `json:"recorded"`
	Version  string    `json:"version"`
	Target   string    `json:"target"`
}

// String names the recording for a person.
func (r *Replay) String() string {
	return fmt.Sprintf("replay of %s (recorded %s by %s against %s)", r.File, r.Recorded.UTC().Format(time.RFC3339), r.Version, r.Target)
}

// Failed tells whether the run fails: a spec failing it, something left on
// the target, a cause shared by many specs, a run that could not start or
// did not finish, or no spec verified at all.
func (r *Run) Failed() bool {
	if r.Stopped != "" || len(r.Findings) > 0 || !r.Verified() {
		return true
	}
	for _, s := range r.Specs {
		if s.FailsRun(r) || len(s.Leftovers) > 0 {
			return true
		}
	}
	return false
}

// Verified tells whether any spec reached a verdict on its row.
func (r *Run) Verified() bool {
	for _, s := range r.Specs {
		if s.Outcome != NotChecked {
			return true
		}
	}
	return false
}

// Unverified says why no spec reached a verdict: each reason, how many
// specs it kept from one, and the first such spec's message.
func (r *Run) Unverified() string {
	var reasons []Reason
	count := map[Reason]int{}
	first := map[Reason]string{}
	for _, s := range r.Specs {
		if s.Outcome != NotChecked {
			continue
		}
		if count[s.Reason] == 0 {
			reasons = append(reasons, s.Reason)
			first[s.Reason] = s.Message
		}
		count[s.Reason]++
	}
	parts := []string{}
	for _, reason := range reasons {
		parts = append(parts, fmt.Sprintf("%s, %d specs (%s)", reason, count[reason], first[reason]))
	}
	return "no spec ran to a verdict on its row, so nothing was verified: " + strings.Join(parts, "; ")
}

// Path is where a run of api writes its record in the reports folder.
func Path(reports, api string) string { return filepath.Join(reports, api+".json") }

// Write writes the record to path atomically, so a reader never finds
// half a record, nor an earlier run's. Its text passes through redact
// first, which must leave it JSON.
func Write(path string, redact func(string) string, r *Run) error {
	r.SchemaVersion = SchemaVersion
	// Not HTML-escaped: a secret's & < > stay as written, where the
	// redactor knows them.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("record %s: %w", path, err)
	}
	raw := []byte(redact(buf.String()))
	if !json.Valid(raw) {
		return fmt.Errorf("record %s: redaction broke the JSON", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("record %s: %w", path, err)
	}
	if err := WriteFile(path, raw); err != nil {
		return fmt.Errorf("record %s: %w", path, err)
	}
	return nil
}

// WriteFile writes data beside path and renames it into place, so a
// reader never finds half a file, nor an earlier run's under a new name:
// how every output of a run is written.
func WriteFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".apiconform-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// Read reads a record written by Write.
func Read(path string) (*Run, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", path, err)
	}
	var r Run
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("record %s: %w", path, err)
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("record %s: schema_version %d, this suite reads %d", path, r.SchemaVersion, SchemaVersion)
	}
	return &r, nil
}
