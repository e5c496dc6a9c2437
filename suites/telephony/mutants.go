package telephony

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/mutant"
	"github.com/confsuite/apiconform/internal/suite"
)

// mutants break one rule of the page each, for every row of the catalog:
// each rewrites only the answers that row describes.
func mutants(cat *catalog.Catalog) []suite.Mutant {
	var out []suite.Mutant
	add := func(row catalog.Row, what string, matches func(mutant.Request, *mutant.Response) bool, change func(*mutant.Response)) *suite.Mutant {
		out = append(out, suite.Mutant{Name: row.Title() + ": " + what, Rows: []string{row.ID}, Wrap: func(h http.Handler) http.Handler {
			return mutant.Rewrite(h, func(req mutant.Request, resp *mutant.Response) {
				if matches(req, resp) {
					change(resp)
				}
			})
		}})
		return &out[len(out)-1]
	}
	for _, row := range cat.Rows {
		if row.Method != "" {
			isRow := func(req mutant.Request, resp *mutant.Response) bool {
				return req.Method == row.Method && resp.Code == row.Code
			}
			switch row.Method {
			case "POST":
				add(row, "answers 200", isRow, func(r *mutant.Response) { r.Code = 200 })
			case "GET":
				add(row, "answers 203", isRow, func(r *mutant.Response) { r.Code = 203 })
			case "PUT":
				add(row, "answers 202", isRow, func(r *mutant.Response) { r.Code = 202 })
			case "DELETE":
				add(row, "answers 200 with a body", isRow, func(r *mutant.Response) { r.Code, r.Body = 200, []byte(`{"deleted":true}`) })
				// A 204 carrying a body, which Go's client would drop and
				// read as the start of the next answer: it must fail this
				// row, and no other.
				add(row, "204 with a body and its Content-Length", isRow, func(r *mutant.Response) {
					r.Body, r.Raw, r.RawLength = []byte(`{"deleted":true}`), true, true
				}).Only = true
				add(row, "204 with a body, no Content-Length", isRow, func(r *mutant.Response) {
					r.Body, r.Raw = []byte(`{"deleted":true}`), true
				}).Only = true
			}
			continue
		}
		isRow := func(_ mutant.Request, resp *mutant.Response) bool {
			status, _ := mutant.JSONField(resp.Body, "status")
			return resp.Code == row.Code && status == row.Status
		}
		otherCode := 400
		if row.Code == 400 {
			otherCode = 422
		}
		add(row, fmt.Sprintf("answers %d", otherCode), isRow, func(r *mutant.Response) { r.Code = otherCode })
		add(row, "body is not JSON", isRow, func(r *mutant.Response) {
			r.Body = []byte("<html><body>error</body></html>")
			r.Header.Set("Content-Type", "text/html")
		})
		add(row, "body is a JSON array", isRow, func(r *mutant.Response) { r.Body = []byte(`[{"status":"` + row.Status + `"}]`) })
		add(row, "Content-Type text/plain", isRow, func(r *mutant.Response) { r.Header.Set("Content-Type", "text/plain") })
		if row.Status == "" {
			add(row, "carries a status", isRow, func(r *mutant.Response) { mutant.SetJSONField(r, "status", "unexpected_status") })
			continue
		}
		add(row, "wrong status", isRow, func(r *mutant.Response) { mutant.SetJSONField(r, "status", row.Status+"_other") })
		add(row, "status missing", isRow, func(r *mutant.Response) { mutant.SetJSONField(r, "status", nil) })
		add(row, "status miscased", isRow, func(r *mutant.Response) { mutant.SetJSONField(r, "status", strings.ToUpper(row.Status)) })
		add(row, "status not a string", isRow, func(r *mutant.Response) { mutant.SetJSONField(r, "status", 403) })
	}
	return append(out, headMutant)
}

// headMutant answers HEAD as GET, with the GET's body: the GET 200 row's
// read step, configured to send HEAD, must fail, and no other row.
var headMutant = suite.Mutant{
	Name:   "GET 200: an answer to HEAD with a body",
	Rows:   []string{"tel.get.200"},
	Only:   true,
	Config: "requests:\n  tel.get.200/read_extension: {method: HEAD}\n",
	Wrap: func(h http.Handler) http.Handler {
		asGet := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead {
				r = r.Clone(r.Context())
				r.Method = http.MethodGet
			}
			h.ServeHTTP(w, r)
		})
		return mutant.Rewrite(asGet, func(req mutant.Request, resp *mutant.Response) {
			if req.Method == http.MethodHead {
				resp.Raw = true
			}
		})
	},
}
