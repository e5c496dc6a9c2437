// Package check decides whether one exchange answers a documented row the way
// the page says: HTTP code, Content-Type, body shape (JSON Schema, XML
// envelope), the telephony status field, the content messages. Each
// function returns the problems it found, each naming the part that broke;
// none means the exchange conforms.
package check

import (
	"fmt"
	"mime"
	"strings"

	"github.com/confsuite/apiconform/runner"
)

// Reading chooses between the strict and the lenient reading of the points
// the pages leave open (docs/decisions.md).
type Reading string

// The two readings.
const (
	Strict  Reading = "strict"
	Lenient Reading = "lenient"
)

// ParseReading checks a --reading value.
func ParseReading(s string) (Reading, error) {
	switch Reading(s) {
	case Strict, Lenient:
		return Reading(s), nil
	}
	return "", fmt.Errorf("reading %q: want strict or lenient", s)
}

// Problem is one way an exchange departs from the page.
type Problem struct {
	Part string // transport, code, content type, body, schema, status, message
	Text string
}

func (p Problem) String() string { return p.Part + ": " + p.Text }

func problemf(part, format string, args ...any) Problem {
	return Problem{Part: part, Text: fmt.Sprintf(format, args...)}
}

// transport reports an exchange that got no usable response.
func transport(ex *runner.Exchange) []Problem {
	if ex.Err != nil {
		return []Problem{problemf("transport", "%v", ex.Err)}
	}
	return nil
}

func code(ex *runner.Exchange, want int) []Problem {
	var p []Problem
	if ex.Status != want {
		p = append(p, problemf("code", "want HTTP %d, got %d", want, ex.Status))
	}
	return append(p, bodiless(ex)...)
}

// bodiless reports an answer that carries a body where HTTP allows none
// (RFC 9110 §6.4.1): a 204, a 304 or an answer to HEAD. The runner reads
// such bytes off the connection, where Go's client would drop them.
func bodiless(ex *runner.Exchange) []Problem {
	if len(ex.Body) == 0 {
		return nil
	}
	var what string
	switch {
	case ex.Method == "HEAD":
		what = "an answer to HEAD"
	case ex.Status == 204 || ex.Status == 304:
		what = fmt.Sprintf("a %d answer", ex.Status)
	default:
		return nil
	}
	excerpt := ex.Body
	if len(excerpt) > 64 {
		excerpt = excerpt[:64]
	}
	return []Problem{problemf("body", "%s has no body, the target sent %d bytes after its headers: %q", what, len(ex.Body), excerpt)}
}

// mediaType reports whether the response's Content-Type is one of want,
// parameters such as charset allowed.
func mediaType(ex *runner.Exchange, want ...string) []Problem {
	raw := ex.ContentType()
	mt, _, err := mime.ParseMediaType(raw)
	if err == nil {
		for _, w := range want {
			if strings.EqualFold(mt, w) {
				return nil
			}
		}
	}
	return []Problem{problemf("content type", "want %s, got %q", strings.Join(want, " or "), raw)}
}

// Success checks a documented success code; a 204 must have no body
// (code checks it).
func Success(ex *runner.Exchange, want int) []Problem {
	if p := transport(ex); p != nil {
		return p
	}
	return code(ex, want)
}
