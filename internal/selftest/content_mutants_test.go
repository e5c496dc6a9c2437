package selftest

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/check"
	refcon "github.com/confsuite/apiconform/internal/refserver/content"
)

func contentReference() *refcon.Server {
	seed := refcon.DefaultSeed()
	seed.Fault = true
	return refcon.New(seed)
}

func isXMLRequest(req requestInfo) bool {
	q, _ := url.ParseQuery(req.query)
	return strings.EqualFold(q.Get("format"), "xml")
}

// envelope reads the messages of an error answer in the request's format.
func envelope(req requestInfo, resp *response) ([]string, bool) {
	if isXMLRequest(req) {
		msgs, err := check.ParseXMLErrors(resp.body)
		return msgs, err == nil
	}
	var env struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(resp.body, &env) != nil || len(env.Errors) == 0 {
		return nil, false
	}
	var msgs []string
	for _, e := range env.Errors {
		msgs = append(msgs, e.Message)
	}
	return msgs, true
}

func renderJSON(msgs []string) []byte {
	list := []map[string]string{}
	for _, m := range msgs {
		list = append(list, map[string]string{"message": m})
	}
	raw, _ := json.Marshal(map[string]any{"errors": list})
	return raw
}

func renderXML(msgs []string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><errors>`)
	for _, m := range msgs {
		b.WriteString(`<error message="`)
		_ = xml.EscapeText(&b, []byte(m))
		b.WriteString(`"/>`)
	}
	b.WriteString("</errors>")
	return []byte(b.String())
}

// setMessages re-renders an error answer with other messages, in the
// request's format.
func setMessages(req requestInfo, resp *response, msgs []string) {
	if isXMLRequest(req) {
		resp.body = renderXML(msgs)
		return
	}
	resp.body = renderJSON(msgs)
}

// templateRegexp matches a catalog template, capturing each placeholder.
func templateRegexp(template string) *regexp.Regexp {
	parts := regexp.MustCompile(`\{[A-Za-z]+\}`).Split(template, -1)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, "(.+?)") + "$")
}

// contentMutants derives, from the catalog, mutants for every row: each
// rewrites only the answers carrying that row's message.
func contentMutants(t *testing.T) []mutant {
	cat, err := catalog.Load("content")
	if err != nil {
		t.Fatal(err)
	}
	var out []mutant
	add := func(row catalog.Row, what string, server func() http.Handler) {
		out = append(out, mutant{name: fmt.Sprintf("%d %s: %s", row.Code, row.ID, what), row: row.ID, server: server})
	}
	for _, row := range cat.Rows {
		switch row.Code {
		case 200:
			contentSuccessMutants(row, add)
			continue
		case 499:
			// The 499 row is checked through the answer after abandoned
			// requests; this server fails the first request repeated after
			// the abandoned ones.
			add(row, "fails after abandoned requests", func() http.Handler {
				var mu sync.Mutex
				seen := map[string]int{}
				ref := contentReference()
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					mu.Lock()
					key := r.Method + r.URL.String() + r.Header.Get("Authorization")
					seen[key]++
					n := seen[key]
					mu.Unlock()
					if n > 3 {
						rewrite(ref, func(req requestInfo, resp *response) {
							resp.code = 500
							setMessages(req, resp, []string{"Internal server error"})
						}).ServeHTTP(w, r)
						return
					}
					ref.ServeHTTP(w, r)
				})
			})
			continue
		}
		pattern := templateRegexp(row.Message)
		isRow := func(req requestInfo, resp *response) bool {
			msgs, ok := envelope(req, resp)
			return ok && resp.code == row.Code && pattern.MatchString(msgs[0])
		}
		mutate := func(what string, change func(requestInfo, *response)) {
			add(row, what, func() http.Handler {
				return rewrite(contentReference(), func(req requestInfo, resp *response) {
					if isRow(req, resp) {
						change(req, resp)
					}
				})
			})
		}
		otherCode := 400
		if row.Code == 400 {
			otherCode = 422
		}
		mutate(fmt.Sprintf("answers %d", otherCode), func(_ requestInfo, r *response) { r.code = otherCode })
		mutate("another message", func(req requestInfo, r *response) {
			setMessages(req, r, []string{"Something went wrong"})
		})
		switch {
		case row.ID == "con.422.not-supported":
			// The page leaves this row's values open (docs/decisions.md):
			// any non-empty value conforms, an empty one does not.
			mutate("a placeholder's value emptied", func(req requestInfo, r *response) {
				msgs, _ := envelope(req, r)
				m := pattern.FindStringSubmatchIndex(msgs[0])
				msgs[0] = msgs[0][:m[2]] + msgs[0][m[3]:]
				setMessages(req, r, msgs)
			})
		case strings.Contains(row.Message, "{"):
			mutate("a placeholder's value changed", func(req requestInfo, r *response) {
				msgs, _ := envelope(req, r)
				m := pattern.FindStringSubmatchIndex(msgs[0])
				msgs[0] = msgs[0][:m[3]] + "X" + msgs[0][m[3]:]
				setMessages(req, r, msgs)
			})
		}
		if row.ID == "con.422.missing" {
			mutate("second error dropped", func(req requestInfo, r *response) {
				msgs, _ := envelope(req, r)
				if len(msgs) > 1 {
					setMessages(req, r, msgs[:1])
				}
			})
		}
		mutate("Content-Type of the other format", func(req requestInfo, r *response) {
			if isXMLRequest(req) {
				r.header.Set("Content-Type", "application/json")
			} else {
				r.header.Set("Content-Type", "application/xml")
			}
		})
		mutate("body cut short", func(_ requestInfo, r *response) { r.body = r.body[:len(r.body)/2] })
		mutate("format parameter ignored", func(req requestInfo, r *response) {
			if isXMLRequest(req) {
				msgs, _ := envelope(req, r)
				r.body = renderJSON(msgs)
				r.header.Set("Content-Type", "application/json")
			}
		})
		mutate("JSON envelope is a bare array", func(req requestInfo, r *response) {
			if !isXMLRequest(req) {
				msgs, _ := envelope(req, r)
				raw, _ := json.Marshal([]map[string]string{{"message": msgs[0]}})
				r.body = raw
			}
		})
		mutate("XML envelope with another root", func(req requestInfo, r *response) {
			if isXMLRequest(req) {
				r.body = []byte(strings.ReplaceAll(string(r.body), "errors>", "error-list>"))
			}
		})
		mutate("XML message as text, not attribute", func(req requestInfo, r *response) {
			if isXMLRequest(req) {
				msgs, _ := envelope(req, r)
				var b strings.Builder
				b.WriteString("<errors>")
				for _, m := range msgs {
					b.WriteString("<error>")
					_ = xml.EscapeText(&b, []byte(m))
					b.WriteString("</error>")
				}
				b.WriteString("</errors>")
				r.body = []byte(b.String())
			}
		})
	}
	return out
}

func contentSuccessMutants(row catalog.Row, add func(catalog.Row, string, func() http.Handler)) {
	for _, m := range []struct {
		what    string
		xmlOnly bool
		change  func(requestInfo, *response)
	}{
		{"answers 203", false, func(_ requestInfo, r *response) { r.code = 203 }},
		{"body not well-formed", false, func(_ requestInfo, r *response) { r.body = r.body[:len(r.body)/2] }},
		{"carries an error envelope", false, func(req requestInfo, r *response) { setMessages(req, r, []string{"OK"}) }},
		{"Content-Type text/plain", false, func(_ requestInfo, r *response) { r.header.Set("Content-Type", "text/plain") }},
		{"format parameter ignored", true, func(_ requestInfo, r *response) {
			r.header.Set("Content-Type", "application/json")
			r.body = []byte(`{"model":{}}`)
		}},
		{"XML answer declares a DOCTYPE", true, func(_ requestInfo, r *response) {
			body := strings.SplitN(string(r.body), "?>", 2)
			r.body = []byte(`<!DOCTYPE model [<!ENTITY a "b">]>` + body[len(body)-1])
		}},
	} {
		add(row, m.what, func() http.Handler {
			return rewrite(contentReference(), func(req requestInfo, resp *response) {
				if resp.code == 200 && (!m.xmlOnly || isXMLRequest(req)) {
					m.change(req, resp)
				}
			})
		})
	}
}

func TestContentMutantsAreAllKilled(t *testing.T) {
	runMutants(t, "content", contentMutants(t))
}
