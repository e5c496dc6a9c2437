package selftest

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/mutant"
	"github.com/confsuite/apiconform/suites"
)

// variant reshapes every answer in a way the pages allow; the suites must
// still pass.
type variant struct {
	name   string
	change func(mutant.Request, *mutant.Response)
}

func isJSON(resp *mutant.Response) bool {
	return strings.Contains(resp.Header.Get("Content-Type"), "json")
}
func isXML(resp *mutant.Response) bool {
	return strings.Contains(resp.Header.Get("Content-Type"), "xml")
}

// reorderJSON writes every object's keys in reverse order.
func reorderJSON(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Sort(sort.Reverse(sort.StringSlice(keys)))
		parts := make([]string, len(keys))
		for i, k := range keys {
			kj, _ := json.Marshal(k)
			parts[i] = string(kj) + ":" + reorderJSON(x[k])
		}
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = reorderJSON(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	default:
		raw, _ := json.Marshal(x)
		return string(raw)
	}
}

func withJSON(resp *mutant.Response, change func(any) any) {
	var v any
	if !isJSON(resp) || json.Unmarshal(resp.Body, &v) != nil {
		return
	}
	raw, _ := json.Marshal(change(v))
	resp.Body = raw
}

// rewriteEnvelope re-renders an XML error envelope with a custom writer.
func rewriteEnvelope(resp *mutant.Response, render func(msgs []string) string) {
	if !isXML(resp) {
		return
	}
	if msgs, err := check.ParseXMLErrors(resp.Body); err == nil {
		resp.Body = []byte(render(msgs))
	}
}

func escapeAttr(s string, quote rune) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	out := b.String()
	if quote == '\'' {
		out = strings.ReplaceAll(strings.ReplaceAll(out, "&#39;", "&apos;"), "'", "&apos;")
	}
	return out
}

var variants = []variant{
	{"JSON keys in another order", func(_ mutant.Request, r *mutant.Response) {
		var v any
		if isJSON(r) && json.Unmarshal(r.Body, &v) == nil {
			r.Body = []byte(reorderJSON(v))
		}
	}},
	{"pretty-printed JSON", func(_ mutant.Request, r *mutant.Response) {
		var out bytes.Buffer
		if isJSON(r) && json.Indent(&out, r.Body, "", "    ") == nil {
			r.Body = append(out.Bytes(), '\n')
		}
	}},
	{"Content-Type without charset, other case", func(_ mutant.Request, r *mutant.Response) {
		switch {
		case isJSON(r):
			r.Header.Set("Content-Type", "Application/JSON")
		case isXML(r):
			r.Header.Set("Content-Type", "text/xml; charset=UTF-8")
		}
	}},
	{"extra JSON fields", func(_ mutant.Request, r *mutant.Response) {
		withJSON(r, func(v any) any {
			if obj, ok := v.(map[string]any); ok {
				obj["request_id"] = "c0ffee"
				if errs, ok := obj["errors"].([]any); ok {
					for _, e := range errs {
						if m, ok := e.(map[string]any); ok {
							m["code"] = 17
						}
					}
				}
			}
			return v
		})
	}},
	{"XML without declaration, single-quoted, indented, extra attributes", func(_ mutant.Request, r *mutant.Response) {
		rewriteEnvelope(r, func(msgs []string) string {
			var b strings.Builder
			b.WriteString("<errors request-id='c0ffee'>\n")
			for _, m := range msgs {
				fmt.Fprintf(&b, "\t<error code='17' message='%s' />\n", escapeAttr(m, '\''))
			}
			b.WriteString("</errors>\n")
			return b.String()
		})
	}},
	{"XML with declaration, comment and explicit end tags", func(_ mutant.Request, r *mutant.Response) {
		rewriteEnvelope(r, func(msgs []string) string {
			var b strings.Builder
			b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- generated -->\n<errors>")
			for _, m := range msgs {
				fmt.Fprintf(&b, "<error message=\"%s\"></error>", escapeAttr(m, '"'))
			}
			b.WriteString("</errors>")
			return b.String()
		})
	}},
	// XML 1.0 §4.3.3 allows a byte order mark, and common writers emit one.
	{"XML with a byte order mark", func(_ mutant.Request, r *mutant.Response) {
		if isXML(r) {
			r.Body = append([]byte("\ufeff"), r.Body...)
		}
	}},
	{"unrelated extra headers", func(_ mutant.Request, r *mutant.Response) {
		r.Header.Set("X-Request-Id", "c0ffee")
		r.Header.Set("Cache-Control", "no-store")
		r.Header.Set("Server", "variant/1.0")
	}},
}

// chunked sends every answer in two flushed pieces, so the body arrives with
// chunked transfer encoding.
func chunked(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mutant.Rewrite(h, func(mutant.Request, *mutant.Response) {}).ServeHTTP(&splitWriter{ResponseWriter: w}, r)
	})
}

type splitWriter struct{ http.ResponseWriter }

func (s *splitWriter) Write(p []byte) (int, error) {
	half := len(p) / 2
	n, err := s.ResponseWriter.Write(p[:half])
	if err != nil {
		return n, err
	}
	s.ResponseWriter.(http.Flusher).Flush()
	m, err := s.ResponseWriter.Write(p[half:])
	return n + m, err
}

func TestCorrectVariantsPass(t *testing.T) {
	wrappers := map[string]func(http.Handler) http.Handler{"chunked transfer encoding": chunked}
	for _, v := range variants {
		wrappers[v.name] = func(h http.Handler) http.Handler { return mutant.Rewrite(h, v.change) }
	}
	for _, a := range suites.All {
		for name, wrap := range wrappers {
			t.Run(a.Name+"/"+name, func(t *testing.T) {
				r := runSuite(t, a.Name, wrap(a.Profiles[0].Server(true)), nil)
				if r.Exit != 0 || r.Report.Passed != r.Report.Tests {
					t.Fatalf("a correct variant failed: exit %d, failed %v\n%s", r.Exit, r.Report.Failed, tail(r.Output))
				}
			})
		}
	}
}
