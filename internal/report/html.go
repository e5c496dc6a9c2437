package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
)

//go:embed index.html.tmpl
var page string

var tmpl = template.Must(template.New("index").Funcs(template.FuncMap{
	"symbol": symbol,
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return fmt.Sprintf("%d %s", n, one)
		}
		return fmt.Sprintf("%d %s", n, many)
	},
}).Parse(page))

// HTML writes index.html: one file, its style inline, no script, nothing
// fetched. html/template escapes every piece of report text.
func (s *Summary) HTML(w io.Writer) error {
	return tmpl.Execute(w, newView(s))
}

func symbol(outcome string) string {
	switch outcome {
	case Passed:
		return "✓"
	case Failed:
		return "✗"
	case Error:
		return "!"
	case Skipped:
		return "–"
	case Filtered:
		return "○"
	case Baselined:
		return "≈"
	}
	return "·"
}

// view is the page: the summary's runs grouped by API, each API one matrix
// with a group of columns per profile.
type view struct {
	Totals Counts
	Runs   []*API
	APIs   []apiView
}

type apiView struct {
	Name, Page string
	Runs       []runView
	Variants   []string // the matrix's columns in each profile; none: one column listing the probes
	Grid       []gridRow
}

type runView struct {
	Run      *API
	Failures []failure
	Skips    []Spec
}

type failure struct {
	Anchor string
	Row    *Row
	Spec   Spec
	Page   string
}

type gridRow struct {
	Row   *Row
	Cells []cell
}

type cell struct {
	Outcome string // the cell's one outcome when it is shown collapsed
	Count   int
	Tip     string
	Specs   []badge
}

type badge struct {
	Label, Outcome, Anchor, Tip string
}

func newView(s *Summary) view {
	v := view{Totals: s.Totals}
	index := map[string]int{}
	for i := range s.APIs {
		a := &s.APIs[i]
		v.Runs = append(v.Runs, a)
		k, ok := index[a.API]
		if !ok {
			k = len(v.APIs)
			index[a.API] = k
			v.APIs = append(v.APIs, apiView{Name: a.API, Page: a.Page})
		}
		rv := runView{Run: a}
		for j := range a.Rows {
			r := &a.Rows[j]
			for _, sp := range r.Failed {
				rv.Failures = append(rv.Failures, failure{Row: r, Spec: sp, Page: a.Page,
					Anchor: fmt.Sprintf("f-%s-%s-%d", slug(a.API), slug(a.Profile), len(rv.Failures)+1)})
			}
			for _, sp := range r.specs {
				if sp.Outcome == Skipped {
					rv.Skips = append(rv.Skips, sp)
				}
			}
		}
		v.APIs[k].Runs = append(v.APIs[k].Runs, rv)
	}
	for i := range v.APIs {
		v.APIs[i].grid()
	}
	return v
}

// grid lays out the matrix. When every spec of the API names a variant
// and there are few of them (the content API's formats), each is a
// column; otherwise (telephony) one column per profile lists the probes.
func (av *apiView) grid() {
	if len(av.Runs) == 0 {
		return
	}
	var variants []string
	byVariant := true
	for _, rv := range av.Runs {
		for _, r := range rv.Run.Rows {
			for _, sp := range r.specs {
				if sp.variant == "" {
					byVariant = false
				} else if !contains(variants, sp.variant) {
					variants = append(variants, sp.variant)
				}
			}
		}
	}
	if byVariant && len(variants) > 0 && len(variants) <= 6 {
		av.Variants = variants
	}
	anchors := map[*Row]map[string]string{}
	for _, rv := range av.Runs {
		for _, f := range rv.Failures {
			if anchors[f.Row] == nil {
				anchors[f.Row] = map[string]string{}
			}
			anchors[f.Row][f.Spec.Name] = f.Anchor
		}
	}
	for j := range av.Runs[0].Run.Rows {
		g := gridRow{Row: &av.Runs[0].Run.Rows[j]}
		for _, rv := range av.Runs {
			var r *Row
			if rows := rv.Run.Rows; j < len(rows) && rows[j].ID == g.Row.ID {
				r = &rows[j]
			}
			if av.Variants == nil {
				g.Cells = append(g.Cells, newCell(r, "", anchors[r], false))
				continue
			}
			for _, variant := range av.Variants {
				g.Cells = append(g.Cells, newCell(r, variant, anchors[r], true))
			}
		}
		av.Grid = append(av.Grid, g)
	}
}

// newCell holds a row's specs of one variant ("" for all). A cell whose
// specs share one outcome and are not named by their probe shows it once.
func newCell(r *Row, variant string, anchors map[string]string, collapse bool) cell {
	var c cell
	if r == nil {
		return c
	}
	same := true
	var tips []string
	for _, sp := range r.specs {
		if variant != "" && sp.variant != variant {
			continue
		}
		label := sp.probe
		if variant == "" && sp.variant != "" {
			label += " [" + sp.variant + "]"
		}
		tip := label + ": " + sp.Outcome
		if sp.Message != "" {
			tip += "\n" + sp.Message
		}
		tips = append(tips, tip)
		c.Specs = append(c.Specs, badge{Label: label, Outcome: sp.Outcome, Anchor: anchors[sp.Name], Tip: tip})
		same = same && sp.Outcome == c.Specs[0].Outcome
	}
	if collapse && same && len(c.Specs) > 0 && c.Specs[0].Anchor == "" {
		c.Outcome, c.Count, c.Tip = c.Specs[0].Outcome, len(c.Specs), strings.Join(tips, "\n\n")
	}
	return c
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func slug(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return '-'
	}, s)
}
