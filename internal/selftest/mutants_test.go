package selftest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/confsuite/apiconform/internal/catalog"
	reftel "github.com/confsuite/apiconform/internal/refserver/telephony"
)

type requestInfo struct {
	method string
	path   string
	query  string
}

type response struct {
	code   int
	header http.Header
	body   []byte
}

// rewrite wraps a reference server in a layer that changes its answers: how
// mutants break exactly one rule, and correct variants reshape an answer,
// without a second implementation of the server.
func rewrite(h http.Handler, change func(requestInfo, *response)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		resp := &response{code: rec.Code, header: rec.Header().Clone(), body: rec.Body.Bytes()}
		change(requestInfo{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery}, resp)
		for k, v := range resp.header {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(resp.code)
		_, _ = w.Write(resp.body)
	})
}

// mutant is the reference server with one documented rule broken.
type mutant struct {
	name   string
	row    string // the catalog row whose specs must catch it
	server func() http.Handler
}

// jsonField reads a top-level string field of a JSON object body.
func jsonField(body []byte, field string) (string, bool) {
	var obj map[string]any
	if json.Unmarshal(body, &obj) != nil {
		return "", false
	}
	v, ok := obj[field].(string)
	return v, ok
}

func setJSONField(resp *response, field string, value any) {
	var obj map[string]any
	if json.Unmarshal(resp.body, &obj) != nil {
		return
	}
	if value == nil {
		delete(obj, field)
	} else {
		obj[field] = value
	}
	resp.body, _ = json.Marshal(obj)
}

// telephonyMutants derives, from the catalog, mutants for every row: each
// rewrites only the answers that row describes.
func telephonyMutants(t *testing.T) []mutant {
	cat, err := catalog.Load("telephony")
	if err != nil {
		t.Fatal(err)
	}
	var out []mutant
	add := func(row catalog.Row, what string, matches func(requestInfo, *response) bool, change func(*response)) {
		out = append(out, mutant{name: row.Title() + ": " + what, row: row.ID, server: func() http.Handler {
			return rewrite(reftel.New(reftel.DefaultSeed()), func(req requestInfo, resp *response) {
				if matches(req, resp) {
					change(resp)
				}
			})
		}})
	}
	for _, row := range cat.Rows {
		if row.Method != "" {
			isRow := func(req requestInfo, resp *response) bool { return req.method == row.Method && resp.code == row.Code }
			switch row.Method {
			case "POST":
				add(row, "answers 200", isRow, func(r *response) { r.code = 200 })
			case "GET":
				add(row, "answers 203", isRow, func(r *response) { r.code = 203 })
			case "PUT":
				add(row, "answers 202", isRow, func(r *response) { r.code = 202 })
			case "DELETE":
				// No "204 with a body" mutant: net/http cannot send one, and a
				// client reads such bytes as the start of the next answer.
				add(row, "answers 200 with a body", isRow, func(r *response) { r.code, r.body = 200, []byte(`{"deleted":true}`) })
			}
			continue
		}
		isRow := func(_ requestInfo, resp *response) bool {
			status, _ := jsonField(resp.body, "status")
			return resp.code == row.Code && status == row.Status
		}
		otherCode := 400
		if row.Code == 400 {
			otherCode = 422
		}
		add(row, fmt.Sprintf("answers %d", otherCode), isRow, func(r *response) { r.code = otherCode })
		add(row, "body is not JSON", isRow, func(r *response) {
			r.body = []byte("<html><body>error</body></html>")
			r.header.Set("Content-Type", "text/html")
		})
		add(row, "body is a JSON array", isRow, func(r *response) { r.body = []byte(`[{"status":"` + row.Status + `"}]`) })
		add(row, "Content-Type text/plain", isRow, func(r *response) { r.header.Set("Content-Type", "text/plain") })
		if row.Status == "" {
			add(row, "carries a status", isRow, func(r *response) { setJSONField(r, "status", "unexpected_status") })
			continue
		}
		add(row, "wrong status", isRow, func(r *response) { setJSONField(r, "status", row.Status+"_other") })
		add(row, "status missing", isRow, func(r *response) { setJSONField(r, "status", nil) })
		add(row, "status miscased", isRow, func(r *response) { setJSONField(r, "status", strings.ToUpper(row.Status)) })
		add(row, "status not a string", isRow, func(r *response) { setJSONField(r, "status", 403) })
	}
	return out
}

type verdict struct {
	mutant  mutant
	failing map[string][]string
	killed  bool
}

// runMutants runs the suite against each mutant, two at a time, and fails
// the test for every mutant that no spec of its own row caught.
func runMutants(t *testing.T, api string, mutants []mutant) {
	verdicts := make([]verdict, len(mutants))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, m := range mutants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r := runSuite(t, api, m.server(), nil)
			failing := r.failedRows()
			verdicts[i] = verdict{mutant: m, failing: failing, killed: len(failing[m.row]) > 0 && r.Exit != 0}
		}()
	}
	wg.Wait()
	killed := 0
	var table strings.Builder
	fmt.Fprintf(&table, "%-70s %-28s %-8s %s\n", "mutant", "expected row", "verdict", "rows with failing specs")
	for _, v := range verdicts {
		rows := make([]string, 0, len(v.failing))
		for row := range v.failing {
			rows = append(rows, row)
		}
		sort.Strings(rows)
		word := "SURVIVED"
		if v.killed {
			word = "killed"
			killed++
		}
		fmt.Fprintf(&table, "%-70s %-28s %-8s %s\n", v.mutant.name, v.mutant.row, word, strings.Join(rows, " "))
	}
	fmt.Fprintf(&table, "mutation score: %d of %d killed (%.1f%%)\n", killed, len(verdicts), 100*float64(killed)/float64(len(verdicts)))
	t.Log("\n" + table.String())
	if killed < len(verdicts) {
		t.Errorf("%d mutants survived: the suite misses a broken rule\n%s", len(verdicts)-killed, table.String())
	}
}

func TestTelephonyMutantsAreAllKilled(t *testing.T) {
	runMutants(t, "telephony", telephonyMutants(t))
}
