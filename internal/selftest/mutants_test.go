package selftest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
	// raw sends the answer as bytes on the connection, body and all, even
	// where HTTP allows none (a 204, a 304, an answer to HEAD), which
	// net/http refuses to send; the connection stays open for the next
	// request. rawLength adds a Content-Length of the body.
	raw, rawLength bool
}

// rewrite wraps a reference server in a layer that changes its answers: how
// mutants break exactly one rule, and correct variants reshape an answer,
// without a second implementation of the server.
func rewrite(h http.Handler, change func(requestInfo, *response)) http.Handler {
	answer := func(r *http.Request) *response {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		resp := &response{code: rec.Code, header: rec.Header().Clone(), body: rec.Body.Bytes()}
		change(requestInfo{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery}, resp)
		return resp
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp := answer(r)
		if resp.raw {
			serveRaw(w, r, resp, answer)
			return
		}
		for k, v := range resp.header {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(resp.code)
		_, _ = w.Write(resp.body)
	})
}

// serveRaw takes the connection over, writes resp as bytes, and answers
// every later request on it the same way, as a server that keeps the
// connection alive would.
func serveRaw(w http.ResponseWriter, r *http.Request, resp *response, answer func(*http.Request) *response) {
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	method := r.Method
	for {
		var b bytes.Buffer
		fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", resp.code, http.StatusText(resp.code))
		resp.header.Del("Content-Length")
		_ = resp.header.Write(&b)
		bodiless := method == http.MethodHead || resp.code == 204 || resp.code == 304
		if !bodiless || resp.rawLength {
			fmt.Fprintf(&b, "Content-Length: %d\r\n", len(resp.body))
		}
		b.WriteString("\r\n")
		if !bodiless || resp.raw {
			b.Write(resp.body)
		}
		if _, err := conn.Write(b.Bytes()); err != nil {
			return
		}
		next, err := http.ReadRequest(rw.Reader)
		if err != nil {
			return
		}
		next.RemoteAddr = r.RemoteAddr
		resp = answer(next)
		_, _ = io.Copy(io.Discard, next.Body)
		method = next.Method
	}
}

// mutant is the reference server with one documented rule broken.
type mutant struct {
	name   string
	row    string // the catalog row whose specs must catch it
	server func() http.Handler
	// only: no spec of another row may fail (a rule whose breach could
	// leak into the next exchange on the connection).
	only bool
	args []string // the suite's arguments beside --target
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
				add(row, "answers 200 with a body", isRow, func(r *response) { r.code, r.body = 200, []byte(`{"deleted":true}`) })
				// A 204 carrying a body, which Go's client would drop and
				// read as the start of the next answer: it must fail this
				// row, and no other.
				add(row, "204 with a body and its Content-Length", isRow, func(r *response) {
					r.body, r.raw, r.rawLength = []byte(`{"deleted":true}`), true, true
				})
				out[len(out)-1].only = true
				add(row, "204 with a body, no Content-Length", isRow, func(r *response) {
					r.body, r.raw = []byte(`{"deleted":true}`), true
				})
				out[len(out)-1].only = true
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
	out = append(out, headMutant(t))
	return out
}

// headMutant answers HEAD as GET, with the GET's body: the GET 200 row's
// read step, configured to send HEAD, must fail, and no other row.
func headMutant(t *testing.T) mutant {
	fixture, err := os.ReadFile("../../fixtures/telephony.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Abs("../../fixtures/files")
	cfg := filepath.Join(t.TempDir(), "head.yaml")
	text := strings.ReplaceAll(string(fixture), "files/", files+"/") +
		"requests:\n  tel.get.200/read_extension: {method: HEAD}\n"
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return mutant{name: "GET 200: an answer to HEAD with a body", row: "tel.get.200", only: true, args: []string{"--config=" + cfg},
		server: func() http.Handler {
			ref := reftel.New(reftel.DefaultSeed())
			asGet := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodHead {
					r = r.Clone(r.Context())
					r.Method = http.MethodGet
				}
				ref.ServeHTTP(w, r)
			})
			return rewrite(asGet, func(req requestInfo, resp *response) {
				if req.method == http.MethodHead {
					resp.raw = true
				}
			})
		}}
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
			r := runSuite(t, api, m.server(), nil, m.args...)
			failing := r.failedRows()
			killed := len(failing[m.row]) > 0 && r.Exit != 0
			if m.only && len(failing) != 1 {
				killed = false
			}
			verdicts[i] = verdict{mutant: m, failing: failing, killed: killed}
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
