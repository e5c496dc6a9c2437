// Package report turns the JUnit reports a run wrote into what people and
// dashboards read: one self-contained index.html (a summary per API and
// profile, a matrix of documented rows × variants, and every failure with
// the requirement it broke, its exchange and its curl command) and a
// summary.json with the same roll-up in a versioned shape
// (docs/reports.md). Everything comes from the reports, which are already
// redacted, and from the catalog; nothing else is added.
package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/junit"
)

// SchemaVersion is the version of summary.json's shape; it changes only
// when a field is removed or changes meaning.
const SchemaVersion = 1

// Run is one JUnit report to read: the deployment profile that wrote it,
// and where it is.
type Run struct {
	Profile string
	Path    string
}

// Outcomes of a spec.
const (
	Passed   = "passed"
	Failed   = "failed"
	Error    = "error" // a failure outside the checks: a panic, an abort, a timeout
	Skipped  = "skipped"
	Filtered = "filtered" // not selected by --label-filter or --focus
	// Baselined is a known failure (--baseline): it does not fail the run.
	Baselined = "baselined"
)

// Summary is the roll-up of all reports: summary.json as written.
type Summary struct {
	SchemaVersion int    `json:"schema_version"`
	Totals        Counts `json:"totals"`
	APIs          []API  `json:"apis"`
}

// Counts are outcomes of specs; Failed counts errors too.
type Counts struct {
	Specs     int `json:"specs"`
	Passed    int `json:"passed"`
	Failed    int `json:"failed"`
	Skipped   int `json:"skipped"`
	Filtered  int `json:"filtered"`
	Baselined int `json:"baselined"`
}

func (c *Counts) add(outcome string) {
	c.Specs++
	switch outcome {
	case Passed:
		c.Passed++
	case Failed, Error:
		c.Failed++
	case Skipped:
		c.Skipped++
	case Filtered:
		c.Filtered++
	case Baselined:
		c.Baselined++
	}
}

func (c *Counts) plus(o Counts) {
	c.Specs += o.Specs
	c.Passed += o.Passed
	c.Failed += o.Failed
	c.Skipped += o.Skipped
	c.Filtered += o.Filtered
	c.Baselined += o.Baselined
}

// API is one API's report in one deployment profile.
type API struct {
	API        string            `json:"api"`
	Profile    string            `json:"profile"`
	Report     string            `json:"report"`            // the JUnit file, as given
	Page       string            `json:"page,omitempty"`    // the documentation page, a path in this project
	Started    string            `json:"started,omitempty"` // UTC, as the report writes it
	Properties map[string]string `json:"properties"`
	Totals     Counts            `json:"totals"`
	Rows       []Row             `json:"rows"`
	// Other are the cases that belong to no documented row: a run that
	// could not start, no spec ran, a suite-level failure.
	Other []Spec `json:"other"`
}

// Row is one documented row and the outcomes of its specs.
type Row struct {
	ID     string `json:"id"`
	Code   int    `json:"code"`
	Title  string `json:"title"`
	Line   int    `json:"line"`
	Counts Counts `json:"counts"`
	Failed []Spec `json:"failed"` // failed and errored specs

	ru, en string
	probes []string
	specs  []Spec
}

// Spec is one test case.
type Spec struct {
	Name    string   `json:"name"`
	ID      string   `json:"id,omitempty"` // the spec's stable id (docs/specs.md), when it ran
	Outcome string   `json:"outcome"`
	Message string   `json:"message,omitempty"`
	Parts   []string `json:"parts,omitempty"` // the broken parts a failure lists

	probe, variant string
	exchange       string
	curls          []string
	detail         string
}

// Build reads the reports. A report that cannot be read is an error; an
// API the catalog does not know keeps its cases under Other.
func Build(runs []Run) (*Summary, error) {
	s := &Summary{SchemaVersion: SchemaVersion, APIs: []API{}}
	for _, run := range runs {
		suites, err := junit.Read(run.Path)
		if err != nil {
			return nil, err
		}
		for _, js := range suites {
			a := build(run, js)
			s.Totals.plus(a.Totals)
			s.APIs = append(s.APIs, a)
		}
	}
	return s, nil
}

func build(run Run, js junit.Summary) API {
	a := API{API: js.Suite, Profile: run.Profile, Report: run.Path, Started: js.Timestamp,
		Properties: js.Properties, Rows: []Row{}, Other: []Spec{}}
	if a.Properties == nil {
		a.Properties = map[string]string{}
	}
	cat, err := catalog.Load(js.Suite)
	byID := map[string]int{}
	if err == nil {
		a.Page = "internal/catalog/pages/" + cat.Page
		for i, r := range cat.Rows {
			a.Rows = append(a.Rows, Row{ID: r.ID, Code: r.Code, Title: r.Title(), Line: r.Line,
				Failed: []Spec{}, ru: r.RU, en: r.EN, probes: r.Probes})
			byID[r.ID] = i
		}
	}
	for _, res := range js.Results {
		sp := spec(res)
		a.Totals.add(sp.Outcome)
		i, ok := byID[strings.TrimPrefix(res.Classname, js.Suite+".")]
		if !ok || res.Classname == js.Suite {
			// A spec that never ran (filtered out) has no row id of its
			// own: its name starts with the row's title.
			i, ok = rowByName(a.Rows, res.Name)
		}
		if !ok {
			a.Other = append(a.Other, sp)
			continue
		}
		r := &a.Rows[i]
		sp.probe, sp.variant = split(strings.TrimPrefix(res.Name, r.Title+": "))
		r.Counts.add(sp.Outcome)
		if sp.Outcome == Failed || sp.Outcome == Error {
			r.Failed = append(r.Failed, sp)
		}
		r.specs = append(r.specs, sp)
	}
	for i := range a.Rows {
		r := &a.Rows[i]
		order := func(sp Spec) int {
			if k := slices.Index(r.probes, sp.probe); k >= 0 {
				return k
			}
			return len(r.probes)
		}
		slices.SortStableFunc(r.specs, func(x, y Spec) int { return order(x) - order(y) })
		slices.SortStableFunc(r.Failed, func(x, y Spec) int { return order(x) - order(y) })
	}
	return a
}

// rowByName finds the row whose title begins a spec's name, the longest
// if several do.
func rowByName(rows []Row, name string) (int, bool) {
	best, found := -1, false
	for i, r := range rows {
		if strings.HasPrefix(name, r.Title+": ") && (!found || len(r.Title) > len(rows[best].Title)) {
			best, found = i, true
		}
	}
	return best, found
}

// split separates a spec name's probe from its variant in brackets:
// "no key [json]" is probe "no key", variant "json".
func split(rest string) (probe, variant string) {
	if i := strings.LastIndex(rest, " ["); i >= 0 && strings.HasSuffix(rest, "]") {
		return rest[:i], rest[i+2 : len(rest)-1]
	}
	return rest, ""
}

func spec(res junit.Result) Spec {
	sp := Spec{Name: res.Name, Outcome: res.Outcome, Message: res.Message, detail: res.Detail, ID: specID(res.Detail)}
	if sp.Outcome == Failed || sp.Outcome == Error {
		sp.Parts = parts(res.Message)
		sp.exchange, sp.curls = exchange(res.Detail)
	}
	return sp
}

var idEntry = regexp.MustCompile(`(?m)^--- id\n(\S+)$`)

func specID(detail string) string {
	if m := idEntry.FindStringSubmatch(detail); m != nil {
		return m[1]
	}
	return ""
}

// parts are the broken parts a failure message lists, one a line
// starting with "  - ".
func parts(message string) []string {
	var out []string
	for _, line := range strings.Split(message, "\n") {
		if p, ok := strings.CutPrefix(line, "  - "); ok {
			out = append(out, p)
		}
	}
	return out
}

// exchange takes a failure's text apart: the exchanges the spec sent, its
// report entries named "exchange", and the curl commands that reproduce
// them.
func exchange(detail string) (string, []string) {
	var ex strings.Builder
	var curls []string
	for _, sec := range strings.Split(detail, "\n--- exchange\n")[1:] {
		sec, _, _ = strings.Cut(sec, "\n--- ")
		body, curl, _ := strings.Cut(sec, "\n$ ")
		ex.WriteString(strings.TrimSpace(body) + "\n\n")
		curls = append(curls, lines(curl, "$ ")...)
	}
	return strings.TrimSpace(ex.String()), curls
}

// lines are the non-blank lines of s, trimmed, without prefix.
func lines(s, prefix string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimPrefix(strings.TrimSpace(l), prefix); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Write renders dir/index.html and dir/summary.json from the runs whose
// records lie in dir (the default profile) and in its subfolders (a
// profile each, named for the folder).
func Write(dir string) error {
	var runs []Run
	for _, pattern := range []string{"*.json", "*/*.json"} {
		paths, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, path := range paths {
			if filepath.Base(path) == "summary.json" {
				continue
			}
			profile := "default"
			if sub := filepath.Dir(path); sub != filepath.Clean(dir) {
				profile = filepath.Base(sub)
			}
			xml := strings.TrimSuffix(path, ".json") + ".xml"
			if _, err := os.Stat(xml); err == nil {
				runs = append(runs, Run{Profile: profile, Path: xml})
			}
		}
	}
	return write(dir, runs)
}

// write reads the reports and writes dir/index.html and dir/summary.json;
// a report inside dir is named by its path relative to it.
func write(dir string, runs []Run) error {
	s, err := Build(runs)
	if err != nil {
		return err
	}
	for i := range s.APIs {
		// A report beside the summary is named relative to it.
		if rel, err := filepath.Rel(dir, s.APIs[i].Report); err == nil && filepath.IsLocal(rel) {
			s.APIs[i].Report = filepath.ToSlash(rel)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, "index.html"))
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	err = s.HTML(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("report: index.html: %w", err)
	}
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("report: summary.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// RU is the page's own text of the row.
func (r Row) RU() string { return r.ru }

// EN is the row's English reading.
func (r Row) EN() string { return r.en }

// Exchange is what a failed spec sent and received, as the report shows it.
func (s Spec) Exchange() string { return s.exchange }

// Curls are the commands that reproduce a failed spec's exchanges.
func (s Spec) Curls() []string { return s.curls }

// Detail is the spec's whole text in the report.
func (s Spec) Detail() string { return s.detail }
