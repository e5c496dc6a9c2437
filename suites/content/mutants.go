package content

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/mutant"
	"github.com/confsuite/apiconform/internal/suite"
)

// mutants break one rule of the page each, for every row of the catalog:
// each rewrites only the answers carrying that row's message.
func mutants(cat *catalog.Catalog) []suite.Mutant {
	var out []suite.Mutant
	add := func(row catalog.Row, what string, wrap func(http.Handler) http.Handler) {
		out = append(out, suite.Mutant{Name: fmt.Sprintf("%d %s: %s", row.Code, row.ID, what), Rows: []string{row.ID}, Wrap: wrap})
	}
	for _, row := range cat.Rows {
		switch row.Code {
		case 200:
			successMutants(row, add)
			continue
		case 499:
			// The 499 row is checked through the answer after abandoned
			// requests; this server fails the first request repeated after
			// the abandoned ones.
			add(row, "fails after abandoned requests", func(ref http.Handler) http.Handler {
				var mu sync.Mutex
				seen := map[string]int{}
				failing := mutant.Rewrite(ref, func(req mutant.Request, resp *mutant.Response) {
					resp.Code = 500
					setMessages(req, resp, []string{"Internal server error"})
				})
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					mu.Lock()
					key := r.Method + r.URL.String() + r.Header.Get("Authorization")
					seen[key]++
					n := seen[key]
					mu.Unlock()
					if n > 3 {
						failing.ServeHTTP(w, r)
						return
					}
					ref.ServeHTTP(w, r)
				})
			})
			continue
		}
		pattern := templateRegexp(row.Message)
		isRow := func(req mutant.Request, resp *mutant.Response) bool {
			msgs, ok := envelope(req, resp)
			return ok && resp.Code == row.Code && pattern.MatchString(msgs[0])
		}
		mutate := func(what string, change func(mutant.Request, *mutant.Response)) {
			add(row, what, func(h http.Handler) http.Handler {
				return mutant.Rewrite(h, func(req mutant.Request, resp *mutant.Response) {
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
		mutate(fmt.Sprintf("answers %d", otherCode), func(_ mutant.Request, r *mutant.Response) { r.Code = otherCode })
		mutate("another message", func(req mutant.Request, r *mutant.Response) {
			setMessages(req, r, []string{"Something went wrong"})
		})
		switch {
		case row.ID == "con.422.not-supported":
			// The page leaves this row's values open (docs/decisions.md):
			// any non-empty value conforms, an empty one does not.
			mutate("a placeholder's value emptied", func(req mutant.Request, r *mutant.Response) {
				msgs, _ := envelope(req, r)
				m := pattern.FindStringSubmatchIndex(msgs[0])
				msgs[0] = msgs[0][:m[2]] + msgs[0][m[3]:]
				setMessages(req, r, msgs)
			})
		case strings.Contains(row.Message, "{"):
			mutate("a placeholder's value changed", func(req mutant.Request, r *mutant.Response) {
				msgs, _ := envelope(req, r)
				m := pattern.FindStringSubmatchIndex(msgs[0])
				msgs[0] = msgs[0][:m[3]] + "X" + msgs[0][m[3]:]
				setMessages(req, r, msgs)
			})
		}
		if row.ID == "con.422.missing" {
			mutate("second error dropped", func(req mutant.Request, r *mutant.Response) {
				msgs, _ := envelope(req, r)
				if len(msgs) > 1 {
					setMessages(req, r, msgs[:1])
				}
			})
		}
		mutate("Content-Type of the other format", func(req mutant.Request, r *mutant.Response) {
			if isXMLRequest(req) {
				r.Header.Set("Content-Type", "application/json")
			} else {
				r.Header.Set("Content-Type", "application/xml")
			}
		})
		mutate("body cut short", func(_ mutant.Request, r *mutant.Response) { r.Body = r.Body[:len(r.Body)/2] })
		mutate("format parameter ignored", func(req mutant.Request, r *mutant.Response) {
			if isXMLRequest(req) {
				msgs, _ := envelope(req, r)
				r.Body = renderJSON(msgs)
				r.Header.Set("Content-Type", "application/json")
			}
		})
		mutate("JSON envelope is a bare array", func(req mutant.Request, r *mutant.Response) {
			if !isXMLRequest(req) {
				msgs, _ := envelope(req, r)
				raw, _ := json.Marshal([]map[string]string{{"message": msgs[0]}})
				r.Body = raw
			}
		})
		mutate("XML envelope with another root", func(req mutant.Request, r *mutant.Response) {
			if isXMLRequest(req) {
				r.Body = []byte(strings.ReplaceAll(string(r.Body), "errors>", "error-list>"))
			}
		})
		mutate("XML message as text, not attribute", func(req mutant.Request, r *mutant.Response) {
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
				r.Body = []byte(b.String())
			}
		})
	}
	return out
}

func successMutants(row catalog.Row, add func(catalog.Row, string, func(http.Handler) http.Handler)) {
	for _, m := range []struct {
		what    string
		xmlOnly bool
		change  func(mutant.Request, *mutant.Response)
	}{
		{"answers 203", false, func(_ mutant.Request, r *mutant.Response) { r.Code = 203 }},
		{"body not well-formed", false, func(_ mutant.Request, r *mutant.Response) { r.Body = r.Body[:len(r.Body)/2] }},
		{"carries an error envelope", false, func(req mutant.Request, r *mutant.Response) { setMessages(req, r, []string{"OK"}) }},
		{"Content-Type text/plain", false, func(_ mutant.Request, r *mutant.Response) { r.Header.Set("Content-Type", "text/plain") }},
		{"format parameter ignored", true, func(_ mutant.Request, r *mutant.Response) {
			r.Header.Set("Content-Type", "application/json")
			r.Body = []byte(`{"model":{}}`)
		}},
		{"XML answer declares a DOCTYPE", true, func(_ mutant.Request, r *mutant.Response) {
			body := strings.SplitN(string(r.Body), "?>", 2)
			r.Body = []byte(`<!DOCTYPE model [<!ENTITY a "b">]>` + body[len(body)-1])
		}},
	} {
		add(row, m.what, func(h http.Handler) http.Handler {
			return mutant.Rewrite(h, func(req mutant.Request, resp *mutant.Response) {
				if resp.Code == 200 && (!m.xmlOnly || isXMLRequest(req)) {
					m.change(req, resp)
				}
			})
		})
	}
}

// RewriteMessages wraps h in a layer that lets change rewrite the messages
// of each of its error answers, re-rendered in the format asked for: how a
// self-test spells them otherwise than the reference server does.
func RewriteMessages(h http.Handler, change func(code int, msgs []string) []string) http.Handler {
	return mutant.Rewrite(h, func(req mutant.Request, resp *mutant.Response) {
		if msgs, ok := envelope(req, resp); ok {
			setMessages(req, resp, change(resp.Code, msgs))
		}
	})
}

func isXMLRequest(req mutant.Request) bool {
	q, _ := url.ParseQuery(req.Query)
	return strings.EqualFold(q.Get("format"), "xml")
}

// envelope reads the messages of an error answer in the request's format.
func envelope(req mutant.Request, resp *mutant.Response) ([]string, bool) {
	if isXMLRequest(req) {
		msgs, err := check.ParseXMLErrors(resp.Body)
		return msgs, err == nil
	}
	var env struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(resp.Body, &env) != nil || len(env.Errors) == 0 {
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
func setMessages(req mutant.Request, resp *mutant.Response, msgs []string) {
	if isXMLRequest(req) {
		resp.Body = renderXML(msgs)
		return
	}
	resp.Body = renderJSON(msgs)
}

// templateRegexp matches a catalog template, capturing each placeholder.
func templateRegexp(template string) *regexp.Regexp {
	parts := regexp.MustCompile(`\{[A-Za-z]+\}`).Split(template, -1)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, "(.+?)") + "$")
}
