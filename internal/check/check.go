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
	if ex.Status != want {
		return []Problem{problemf("code", "want HTTP %d, got %d", want, ex.Status)}
	}
	return nil
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

// Success checks a documented success code; a 204 must have no body.
func Success(ex *runner.Exchange, want int) []Problem {
	if p := transport(ex); p != nil {
		return p
	}
	p := code(ex, want)
	if want == 204 && len(ex.Body) > 0 {
		p = append(p, problemf("body", "a 204 answer has no body, got %d bytes", len(ex.Body)))
	}
	return p
}
