// Package report renders the results records runs wrote
// (reports/<api>.json, reports/<profile>/<api>.json) as what people and
// dashboards read: one self-contained index.html (the verdict of each API
// in each profile, the causes shared by many specs, runs that stopped,
// what was left on the target, then every row that is not conformant or
// not checked with the requirement it checks, its specs and their
// exchanges, then the matrix of rows × variants) and summary.json, the
// same roll-up in a versioned shape (docs/reports.md). Everything comes
// from the records, which are already redacted, and from the catalog;
// each record is shown as its own run, never merged with another.
package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/record"
)

// SchemaVersion is the version of summary.json's shape; it changes only
// when a field is removed or changes meaning.
const SchemaVersion = 2

// DefaultProfile is the profile of the records in the folder itself; a
// record in a subfolder has the folder's name as its profile.
const DefaultProfile = "default"

// Summary is every record of a reports folder: summary.json as written.
type Summary struct {
	SchemaVersion int `json:"schema_version"`
	// Runs are the records read, by API, then profile (default first).
	Runs []Run `json:"runs"`
	// Unreadable are the records that could not be read: another
	// schema_version, not JSON, not a record.
	Unreadable []Unreadable `json:"unreadable"`
}

// Unreadable is a file that should hold a record and does not.
type Unreadable struct {
	Record  string `json:"record"` // the file, relative to the summary when inside its folder
	API     string `json:"api"`    // from the file's name
	Profile string `json:"profile"`
	Error   string `json:"error"`
}

// Run is one record: one run of one API's suite in one profile.
type Run struct {
	API     string `json:"api"`
	Profile string `json:"profile"`
	Record  string `json:"record"`         // the file, relative to the summary when inside its folder
	Page    string `json:"page,omitempty"` // the documentation page, a path in this project

	// What the run was asked, as the record has it.
	record.Asked

	// Verdict is the API's in this run, from its rows: not_conformant if
	// any row is; else not_checked if any row is; else known_failure if
	// any row is; else conformant.
	Verdict record.Outcome `json:"verdict"`
	// FailsRun tells whether the run failed (its exit status): also for a
	// finding, a stop, a leftover, a strict stale baseline entry, or
	// nothing verified.
	FailsRun   bool         `json:"fails_run"`
	RowCounts  RowCounts    `json:"row_counts"`
	SpecCounts SpecCounts   `json:"spec_counts"`
	NotChecked ReasonCounts `json:"not_checked"` // specs not checked, by reason

	Stopped   string           `json:"stopped"`
	Findings  []record.Finding `json:"findings"`
	Leftovers []Leftover       `json:"leftovers"`
	Rows      []Row            `json:"rows"`
	// Specs are the specs whose outcome is not conformant, in row order:
	// not conformant, not checked, known failure, stale baseline.
	Specs []Spec `json:"specs"`

	rec  *record.Run
	cat  *catalog.Catalog // nil for a record that carries no catalog
	rows []record.Row
}

// RowCounts are documented rows by verdict.
type RowCounts struct {
	Rows          int `json:"rows"`
	Conformant    int `json:"conformant"`
	NotConformant int `json:"not_conformant"`
	NotChecked    int `json:"not_checked"`
	KnownFailure  int `json:"known_failure"`
}

// SpecCounts are specs by outcome.
type SpecCounts struct {
	Specs         int `json:"specs"`
	Conformant    int `json:"conformant"`
	NotConformant int `json:"not_conformant"`
	NotChecked    int `json:"not_checked"`
	KnownFailure  int `json:"known_failure"`
	StaleBaseline int `json:"stale_baseline"`
}

// ReasonCounts are specs not checked, by reason.
type ReasonCounts struct {
	Configuration int `json:"configuration"`
	Precondition  int `json:"precondition"`
	Unreachable   int `json:"unreachable"`
	Interrupted   int `json:"interrupted"`
	Filtered      int `json:"filtered"`
	SuiteDefect   int `json:"suite_defect"`
}

// Leftover is something a spec created on the target and could not
// remove.
type Leftover struct {
	Spec     string `json:"spec"`
	Resource string `json:"resource"`
	Why      string `json:"why"`
}

// Row is one documented row's verdict in one run.
type Row struct {
	ID      string         `json:"id"`
	Code    int            `json:"code"`
	Title   string         `json:"title"`
	Line    int            `json:"line"`
	Verdict record.Outcome `json:"verdict"`
	Summary string         `json:"summary"` // as the console says it
	Reasons []string       `json:"reasons"` // not checked: why, and what would let it be
	Specs   int            `json:"specs"`
	// Conformant are its specs that were conformant (a stale baseline
	// entry included).
	Conformant int `json:"conformant"`
}

// Spec is one spec whose outcome is not conformant: not conformant, not
// checked, a known failure, a stale baseline entry.
type Spec struct {
	ID       string           `json:"id"`
	Row      string           `json:"row"`
	Name     string           `json:"name"`
	Outcome  record.Outcome   `json:"outcome"`
	Reason   record.Reason    `json:"reason,omitempty"`
	Message  string           `json:"message,omitempty"`
	Key      string           `json:"key,omitempty"`
	Step     string           `json:"step,omitempty"`
	SeeRow   string           `json:"see_row,omitempty"`
	Problems []record.Problem `json:"problems,omitempty"`
	Baseline string           `json:"baseline,omitempty"`
}

// Read reads every record in dir (the default profile) and in its
// subfolders (a profile each, named for the folder). A file that cannot
// be read is listed as unreadable; it never keeps the others from being
// shown.
func Read(dir string) *Summary {
	s := &Summary{SchemaVersion: SchemaVersion, Runs: []Run{}, Unreadable: []Unreadable{}}
	s.read(dir, "", DefaultProfile)
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if e.IsDir() {
				s.read(dir, e.Name(), e.Name())
			}
		}
	}
	slices.SortStableFunc(s.Runs, func(a, b Run) int {
		return cmp.Or(cmp.Compare(a.API, b.API), cmp.Compare(profileOrder(a.Profile), profileOrder(b.Profile)))
	})
	return s
}

// read reads the records in dir/sub, in name order.
func (s *Summary) read(dir, sub, profile string) {
	entries, err := os.ReadDir(filepath.Join(dir, sub))
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") || e.Name() == "summary.json" {
			continue // summary.json: a roll-up, also the one a run writes in a profile's folder
		}
		file := filepath.Join(dir, sub, e.Name())
		name := path.Join(sub, e.Name()) // relative to dir, as summary.json names it
		rec, err := record.Read(file)
		if err != nil {
			// The record's error starts with the path, said here already.
			msg := strings.TrimPrefix(err.Error(), "record "+file+": ")
			s.Unreadable = append(s.Unreadable, Unreadable{Record: name, API: strings.TrimSuffix(e.Name(), ".json"), Profile: profile, Error: msg})
			continue
		}
		s.Runs = append(s.Runs, FromRecord(rec, name, profile))
	}
}

// profileOrder puts the default profile first.
func profileOrder(p string) string {
	if p == DefaultProfile {
		return ""
	}
	return p
}

// FromRecord rolls up one record: the row verdicts from the catalog
// of its API, the counts, and the specs that are not conformant.
func FromRecord(rec *record.Run, name, profile string) Run {
	r := Run{API: rec.API, Profile: profile, Record: name, Asked: rec.Asked, FailsRun: rec.Failed(), Stopped: rec.Stopped,
		Findings: rec.Findings, Leftovers: []Leftover{}, Rows: []Row{}, Specs: []Spec{}, rec: rec}
	if r.Findings == nil {
		r.Findings = []record.Finding{}
	}
	if cat := rec.Documented; cat != nil {
		r.cat = cat
		r.Page = cat.Dir + "/" + cat.Page
		r.rows = rec.Rows(cat)
	}
	for _, row := range r.rows {
		reasons := row.Reasons
		if reasons == nil {
			reasons = []string{}
		}
		r.Rows = append(r.Rows, Row{ID: row.Row.ID, Code: row.Row.Code, Title: row.Row.Title(), Line: row.Row.Line,
			Verdict: row.Outcome, Summary: row.Summary(), Reasons: reasons, Specs: len(row.Specs), Conformant: row.Conformant})
		r.RowCounts.add(row.Outcome)
	}
	r.Verdict = verdict(r.rows, r.outside())
	for _, sp := range r.ordered() {
		r.SpecCounts.add(sp)
		r.NotChecked.add(sp)
		for _, l := range sp.Leftovers {
			r.Leftovers = append(r.Leftovers, Leftover{Spec: sp.ID, Resource: l.Resource, Why: l.Why})
		}
		if sp.Outcome != record.Conformant {
			r.Specs = append(r.Specs, Spec{ID: sp.ID, Row: sp.Row, Name: sp.Name, Outcome: sp.Outcome, Reason: sp.Reason,
				Message: sp.Message, Key: sp.Key, Step: sp.Step, SeeRow: sp.SeeRow, Problems: sp.Problems, Baseline: sp.Baseline})
		}
	}
	return r
}

// ordered are the record's specs in the catalog's row order (specs of a
// row the catalog does not hold last), each row's in the record's order.
func (r *Run) ordered() []record.Spec {
	var out []record.Spec
	for _, row := range r.rows {
		out = append(out, row.Specs...)
	}
	return append(out, r.outside()...)
}

// outside are the specs of the record that belong to no row of the
// catalog: a row the catalog no longer holds, or an API it does not know.
func (r *Run) outside() []record.Spec {
	on := map[string]bool{}
	for _, row := range r.rows {
		on[row.Row.ID] = true
	}
	var out []record.Spec
	for _, sp := range r.rec.Specs {
		if !on[sp.Row] {
			out = append(out, sp)
		}
	}
	return out
}

// verdict is the API's in a run, from its rows and from any spec on a row
// the catalog does not hold (all of them, for an API it does not know).
func verdict(rows []record.Row, outside []record.Spec) record.Outcome {
	if len(rows) == 0 && len(outside) == 0 {
		return record.NotChecked
	}
	seen := map[record.Outcome]bool{}
	for _, row := range rows {
		seen[row.Outcome] = true
	}
	for _, sp := range outside {
		seen[sp.Outcome] = true
	}
	for _, o := range []record.Outcome{record.NotConformant, record.NotChecked, record.KnownFailure} {
		if seen[o] {
			return o
		}
	}
	return record.Conformant
}

func (c *RowCounts) add(o record.Outcome) {
	c.Rows++
	switch o {
	case record.Conformant:
		c.Conformant++
	case record.NotConformant:
		c.NotConformant++
	case record.NotChecked:
		c.NotChecked++
	case record.KnownFailure:
		c.KnownFailure++
	}
}

func (c *SpecCounts) add(sp record.Spec) {
	c.Specs++
	switch sp.Outcome {
	case record.Conformant:
		c.Conformant++
	case record.NotConformant:
		c.NotConformant++
	case record.NotChecked:
		c.NotChecked++
	case record.KnownFailure:
		c.KnownFailure++
	case record.StaleBaseline:
		c.StaleBaseline++
	}
}

func (c *ReasonCounts) add(sp record.Spec) {
	if sp.Outcome != record.NotChecked {
		return
	}
	switch sp.Reason {
	case record.Configuration:
		c.Configuration++
	case record.Precondition:
		c.Precondition++
	case record.Unreachable:
		c.Unreachable++
	case record.Interrupted:
		c.Interrupted++
	case record.Filtered:
		c.Filtered++
	case record.SuiteDefect:
		c.SuiteDefect++
	}
}

// Write renders dir/index.html and dir/summary.json from the records in
// dir and its subfolders. Each file is replaced at once, so a reader never
// finds half of one. Only a file that cannot be written is an error.
func Write(dir string) error {
	s := Read(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	var page strings.Builder
	if err := s.HTML(&page); err != nil {
		return fmt.Errorf("report: index.html: %w", err)
	}
	if err := record.WriteFile(filepath.Join(dir, "index.html"), []byte(page.String())); err != nil {
		return fmt.Errorf("report: index.html: %w", err)
	}
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("report: summary.json: %w", err)
	}
	if err := record.WriteFile(filepath.Join(dir, "summary.json"), append(raw, '\n')); err != nil {
		return fmt.Errorf("report: summary.json: %w", err)
	}
	return nil
}
