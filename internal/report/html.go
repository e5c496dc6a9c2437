package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/record"
)

//go:embed index.html.tmpl
var page string

var tmpl = template.Must(template.New("index").Funcs(template.FuncMap{
	"symbol":  symbol,
	"word":    word,
	"class":   class,
	"verdict": verdictWord,
	"rowWord": rowWord,
	"ts":      timestamp,
	"pair":    func(a, b any) []any { return []any{a, b} },
	"plural":  plural,
	"ms": func(f float64) string {
		return time.Duration(f * float64(time.Millisecond)).Round(10 * time.Microsecond).String()
	},
}).Parse(page))

// HTML writes index.html: one file, its style inline, no script, nothing
// fetched. html/template escapes every piece of record text.
func (s *Summary) HTML(w io.Writer) error {
	return tmpl.Execute(w, newView(s))
}

// symbol marks an outcome in a cell, beside its colour.
func symbol(o record.Outcome, r record.Reason) string {
	switch {
	case o == record.Conformant:
		return "✓"
	case o == record.NotConformant:
		return "✗"
	case o == record.KnownFailure:
		return "≈"
	case o == record.StaleBaseline:
		return "◇"
	case r == record.Filtered:
		return "○"
	}
	return "–"
}

// word is a spec's outcome in a few words: "not checked: suite defect".
func word(o record.Outcome, r record.Reason) string {
	s := strings.ReplaceAll(string(o), "_", " ")
	if o == record.NotChecked && r != "" {
		s += ": " + strings.ReplaceAll(string(r), "_", " ")
	}
	return s
}

// class is an outcome's CSS class; a spec left out by a filter has its
// own, greyer than the other reasons.
func class(o record.Outcome, r record.Reason) string {
	if o == record.NotChecked && r == record.Filtered {
		return "o-filtered"
	}
	return "o-" + string(o)
}

// verdictWord is an API's verdict in a run as the page says it.
func verdictWord(o record.Outcome) string {
	switch o {
	case record.NotConformant:
		return "NOT CONFORMANT"
	case record.KnownFailure:
		return "known failures only"
	}
	return strings.ReplaceAll(string(o), "_", " ")
}

// rowWord is a row's verdict as the page says it.
func rowWord(o record.Outcome) string {
	if o == record.NotConformant {
		return "NOT CONFORMANT"
	}
	return strings.ReplaceAll(string(o), "_", " ")
}

// timestamp is a time as the page shows it, in UTC, to the second.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// view is the page: the runs in the summary's order, what needs attention
// before the rows, and per API the matrix of its rows in every run.
type view struct {
	Runs       []*runView
	Unreadable []Unreadable
	Attention  []*runView // runs that stopped, have findings, or left something
	APIs       []*apiView
}

type runView struct {
	*Run
	Anchor, Matrix    string
	Duration          string
	NotConformantRows []rowView
	KnownRows         []rowView
	NotCheckedRows    []rowView
	NotRun            []rowView // not checked only because a filter left it out, or no spec ran
	Stale             []record.Spec
	Outside           []record.Spec // on no row of the catalog
	anchors           map[string]string
}

type rowView struct {
	Anchor string
	Row    record.Row
	Page   string
	Specs  []record.Spec // those not conformant, but for the ones in Blamed
	Blamed []blamed      // specs a cause shared by many specs kept from a verdict
	Why    string        // for a row not run: the filter's message, or why no spec ran
}

// Line is what the row's verdict adds to its badge: why it was not
// checked, or how many of its specs were conformant.
func (rw rowView) Line() string {
	if rw.Row.Outcome == record.NotChecked {
		return rw.Row.Summary()
	}
	return fmt.Sprintf("%d of %s conformant", rw.Row.Conformant, plural(len(rw.Row.Specs), "spec", "specs"))
}

// blamed are a row's specs one finding kept from a verdict: the page says
// the finding once, before the rows, and here only what each got back.
type blamed struct {
	Cause, Key string
	Specs      []record.Spec
}

type apiView struct {
	Name, Anchor, Page string
	Runs               []*runView
	Variants           []string // the matrix's columns in each run; none: one column listing the probes
	Grid               []gridRow
}

type gridRow struct {
	Row    catalog.Row
	Anchor string
	Cells  []cell
}

type cell struct {
	Badges []badge
	Absent bool // the run has no spec of this row (and variant)
}

type badge struct {
	Class, Symbol, Word, Label, Href, Tip string
	Count                                 int
}

func newView(s *Summary) view {
	v := view{Unreadable: s.Unreadable}
	apis := map[string]*apiView{}
	for i := range s.Runs {
		r := &s.Runs[i]
		rv := &runView{Run: r, Anchor: "run-" + slug(r.API) + "-" + slug(r.Profile), Matrix: "matrix-" + slug(r.API), anchors: map[string]string{}}
		if d := r.Finished.Sub(r.Started); !r.Started.IsZero() && !r.Finished.IsZero() && d >= 0 {
			rv.Duration = d.Round(time.Millisecond).String()
		}
		for _, row := range r.rows {
			rw := rowView{Anchor: "row-" + slug(r.API) + "-" + slug(r.Profile) + "-" + slug(row.Row.ID), Row: row, Page: r.Page}
			for _, sp := range row.Specs {
				if sp.Outcome == record.StaleBaseline {
					rv.Stale = append(rv.Stale, sp)
				}
				switch cause := rv.Finding(sp); {
				case sp.Outcome == record.Conformant || sp.Outcome == record.StaleBaseline:
				case cause != "":
					k := slices.IndexFunc(rw.Blamed, func(b blamed) bool { return b.Cause == cause })
					if k < 0 {
						k = len(rw.Blamed)
						rw.Blamed = append(rw.Blamed, blamed{Cause: cause, Key: sp.Key})
					}
					rw.Blamed[k].Specs = append(rw.Blamed[k].Specs, sp)
				default:
					rw.Specs = append(rw.Specs, sp)
				}
			}
			switch {
			case row.Outcome == record.NotConformant:
				rv.NotConformantRows = append(rv.NotConformantRows, rw)
			case row.Outcome == record.KnownFailure:
				rv.KnownRows = append(rv.KnownRows, rw)
			case row.Outcome == record.NotChecked && notRun(row):
				rw.Why = strings.Join(row.Reasons, "; ")
				if len(row.Specs) > 0 && row.Specs[0].Message != "" {
					rw.Why = row.Specs[0].Message
				}
				rv.NotRun = append(rv.NotRun, rw)
			case row.Outcome == record.NotChecked:
				rv.NotCheckedRows = append(rv.NotCheckedRows, rw)
			default:
				continue
			}
			rv.anchors[row.Row.ID] = rw.Anchor
		}
		rv.Outside = r.outside()
		v.Runs = append(v.Runs, rv)
		if r.Stopped != "" || len(r.Findings) > 0 || len(r.Leftovers) > 0 {
			v.Attention = append(v.Attention, rv)
		}
		if r.cat == nil {
			continue
		}
		av, ok := apis[r.API]
		if !ok {
			av = &apiView{Name: r.API, Anchor: rv.Matrix, Page: r.Page}
			apis[r.API] = av
			v.APIs = append(v.APIs, av)
		}
		av.Runs = append(av.Runs, rv)
	}
	for _, av := range v.APIs {
		av.grid()
	}
	return v
}

// notRun tells a row not checked only because no spec of it ran: a
// filter left each out, or the run has none (it stopped first).
func notRun(row record.Row) bool {
	for _, sp := range row.Specs {
		if sp.Outcome != record.NotChecked || sp.Reason != record.Filtered {
			return false
		}
	}
	return true
}

// grid lays out the matrix. When every spec of the API names a variant
// and there are few of them (the content API's formats), each is a
// column; otherwise (telephony) one column per run lists the probes.
func (av *apiView) grid() {
	var variants []string
	byVariant := true
	for _, rv := range av.Runs {
		for _, sp := range rv.rec.Specs {
			if sp.Variant == "" {
				byVariant = false
			} else if !slices.Contains(variants, sp.Variant) {
				variants = append(variants, sp.Variant)
			}
		}
	}
	if byVariant && len(variants) > 0 && len(variants) <= 6 {
		av.Variants = variants
	}
	for j, cr := range av.Runs[0].cat.Rows {
		g := gridRow{Row: cr, Anchor: av.Anchor + "-" + slug(cr.ID)}
		for _, rv := range av.Runs {
			var row *record.Row
			if j < len(rv.rows) && rv.rows[j].Row.ID == cr.ID {
				row = &rv.rows[j]
			}
			if av.Variants == nil {
				g.Cells = append(g.Cells, newCell(rv, row, "", false))
				continue
			}
			for _, variant := range av.Variants {
				g.Cells = append(g.Cells, newCell(rv, row, variant, true))
			}
		}
		av.Grid = append(av.Grid, g)
	}
}

// newCell holds a row's specs of one variant ("" for all) in one run. In
// a variant's column, specs that share an outcome show it once, counted.
func newCell(rv *runView, row *record.Row, variant string, collapse bool) cell {
	var c cell
	if row == nil {
		c.Absent = true
		return c
	}
	href := ""
	if a := rv.anchors[row.Row.ID]; a != "" {
		href = "#" + a
	}
	for _, sp := range row.Specs {
		if variant != "" && sp.Variant != variant {
			continue
		}
		label := sp.Probe
		if variant == "" && sp.Variant != "" {
			label += " [" + sp.Variant + "]"
		}
		tip := label + ": " + word(sp.Outcome, sp.Reason)
		if cause := rv.Finding(sp); cause != "" {
			tip += "\nkept from a verdict by " + cause + ", a cause shared by many specs"
		} else if sp.Message != "" {
			tip += "\n" + sp.Message
		}
		b := badge{Class: class(sp.Outcome, sp.Reason), Symbol: symbol(sp.Outcome, sp.Reason), Word: word(sp.Outcome, sp.Reason),
			Label: label, Tip: tip, Count: 1}
		if sp.Outcome != record.Conformant {
			b.Href = href
		}
		if collapse {
			if k := slices.IndexFunc(c.Badges, func(o badge) bool { return o.Class == b.Class && o.Word == b.Word }); k >= 0 {
				c.Badges[k].Count++
				c.Badges[k].Tip += "\n\n" + tip
				continue
			}
			b.Label = ""
		}
		c.Badges = append(c.Badges, b)
	}
	c.Absent = len(c.Badges) == 0
	return c
}

func slug(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return '-'
	}, s)
}

// RowHref links to a row of this run: its entry among the rows that need
// a look, or else its line in the matrix.
func (rv *runView) RowHref(id string) string {
	if a := rv.anchors[id]; a != "" {
		return "#" + a
	}
	if rv.cat == nil {
		return ""
	}
	return "#" + rv.Matrix + "-" + slug(id)
}

// Reasons are the run's specs not checked, counted by reason: "precondition
// 30, filtered 2".
func (rv *runView) Reasons() string {
	var out []string
	c := rv.NotChecked
	for _, r := range []struct {
		n    int
		name string
	}{{c.Configuration, "configuration"}, {c.Precondition, "precondition"}, {c.Unreachable, "unreachable"},
		{c.Interrupted, "interrupted"}, {c.Filtered, "filtered"}, {c.SuiteDefect, "suite defect"}} {
		if r.n > 0 {
			out = append(out, fmt.Sprintf("%s %d", r.name, r.n))
		}
	}
	return strings.Join(out, ", ")
}

// Attention says what the run has among the things said before the rows.
func (rv *runView) Attention() string {
	var out []string
	if rv.Stopped != "" {
		out = append(out, "it stopped")
	}
	if n := len(rv.Findings); n > 0 {
		out = append(out, fmt.Sprintf("%s shared by many specs", plural(n, "cause", "causes")))
	}
	if n := len(rv.Leftovers); n > 0 {
		out = append(out, fmt.Sprintf("it left %s on the target", plural(n, "thing", "things")))
	}
	return strings.Join(out, "; ")
}

// Finding is the cause of the finding that kept a spec from a verdict, if
// one did (record.Run.Diagnose gives such a spec the finding's message).
func (rv *runView) Finding(sp record.Spec) string {
	for _, f := range rv.Findings {
		if sp.Outcome == record.NotChecked && sp.Message == f.Message {
			return f.Cause
		}
	}
	return ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
