package check

import (
	"fmt"
	"io/fs"
	"maps"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/confsuite/apiconform/runner"
)

// Formats of an answer, as a request's format parameter asks for them.
const (
	JSON = "json"
	XML  = "xml"
)

// Message is an expected error message: a template as the page writes it,
// with the values the suite knows. A placeholder without a value matches
// any non-empty text.
type Message struct {
	Template string
	Values   map[string]string
	// Lenient are the page's other spellings of the template (its examples
	// contradict it), accepted in the lenient reading only.
	Lenient []string
	// Wordings are the page's other wordings of the template (an example
	// words it otherwise), accepted in both readings.
	Wordings []string
	// Addresses are placeholders that hold an IP address (the 401
	// message's {IP}) and are not pinned in Values: the text there must
	// be an IP address, and equal to the one given unless it is "".
	Addresses map[string]string
}

// pattern is one compiled spelling of a message: its expression, and the
// address each of its groups must hold ("" for any address).
type pattern struct {
	re    *regexp.Regexp
	addrs []string
}

// match says whether s is the message this pattern spells.
func (p pattern) match(s string) bool {
	m := p.re.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	for i, want := range p.addrs {
		ip := net.ParseIP(m[i+1])
		if ip == nil || want != "" && !ip.Equal(net.ParseIP(want)) {
			return false
		}
	}
	return true
}

var templatePlaceholder = regexp.MustCompile(`\{[A-Za-z]+\}`)

func (m Message) patterns(reading Reading) []pattern {
	templates := append([]string{m.Template}, m.Wordings...)
	if reading == Lenient {
		templates = append(templates, m.Lenient...)
	}
	var out []pattern
	for _, t := range templates {
		var b strings.Builder
		var addrs []string
		b.WriteString("^")
		rest := t
		for {
			loc := templatePlaceholder.FindStringIndex(rest)
			if loc == nil {
				b.WriteString(regexp.QuoteMeta(rest))
				break
			}
			b.WriteString(regexp.QuoteMeta(rest[:loc[0]]))
			name := rest[loc[0]+1 : loc[1]-1]
			if v, ok := m.Values[name]; ok {
				b.WriteString(regexp.QuoteMeta(v))
			} else if want, ok := m.Addresses[name]; ok {
				b.WriteString("(.+)")
				addrs = append(addrs, want)
			} else {
				b.WriteString(".+")
			}
			rest = rest[loc[1]:]
		}
		b.WriteString("$")
		out = append(out, pattern{re: regexp.MustCompile(b.String()), addrs: addrs})
	}
	return out
}

// Text is the message as the suite expects it, placeholders it does not
// know left in braces.
func (m Message) Text() string {
	return templatePlaceholder.ReplaceAllStringFunc(m.Template, func(p string) string {
		if v, ok := m.Values[p[1:len(p)-1]]; ok {
			return v
		}
		return p
	})
}

// Messages checks answers that carry an errors envelope of messages made
// from the page's templates, in JSON or XML (the Content API's shape).
type Messages struct {
	reading Reading
	schema  *Schema
	// compiled caches the patterns of each message (template and values)
	// met in the run: a message is compiled once, however many answers
	// are checked against it. Safe for concurrent checks (sync.Map).
	compiled sync.Map // patternKey -> []pattern
	// SuccessFormat judges a 200's body and Content-Type by the format
	// asked for (configuration success_format); the page states the
	// format of error messages only, so by default a 200 is judged by its
	// code alone.
	SuccessFormat bool
}

// patterns are m's compiled patterns in the run's reading, from the cache.
func (c *Messages) patterns(m Message) []pattern {
	key := patternKey(m)
	if p, ok := c.compiled.Load(key); ok {
		return p.([]pattern)
	}
	p, _ := c.compiled.LoadOrStore(key, m.patterns(c.reading))
	return p.([]pattern)
}

// patternKey identifies a message: its template, the lenient spellings and
// the values, sorted by name.
func patternKey(m Message) string {
	var b strings.Builder
	b.WriteString(m.Template)
	for _, l := range slices.Concat(m.Lenient, []string{"\x02"}, m.Wordings) {
		b.WriteString("\x00")
		b.WriteString(l)
	}
	for _, k := range slices.Sorted(maps.Keys(m.Addresses)) {
		b.WriteString("\x03" + k + "=" + m.Addresses[k])
	}
	b.WriteString("\x01")
	for _, k := range slices.Sorted(maps.Keys(m.Values)) {
		b.WriteString(k)
		b.WriteString("\x00")
		b.WriteString(m.Values[k])
		b.WriteString("\x00")
	}
	return b.String()
}

// NewMessages compiles the JSON envelope's schema, a file in files
// (schemas.Files, or an API's own), once for the run.
func NewMessages(files fs.FS, file string, reading Reading) (*Messages, error) {
	raw, err := fs.ReadFile(files, file)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", file, err)
	}
	s, err := CompileSchema(file, raw)
	if err != nil {
		return nil, err
	}
	return &Messages{reading: reading, schema: s}, nil
}

// contentType checks the Content-Type against the format, strictly only.
func (c *Messages) contentType(ex *runner.Exchange, format string) []Problem {
	if c.reading == Lenient {
		return nil
	}
	if format == XML {
		return mediaType(ex, "application/xml", "text/xml")
	}
	return mediaType(ex, "application/json")
}

// messages reads the error envelope in the given format.
func (c *Messages) messages(ex *runner.Exchange, format string) ([]string, []Problem) {
	if format == XML {
		msgs, err := ParseXMLErrors(ex.Body)
		if err != nil {
			return nil, []Problem{problemf("body", "XML error envelope: %v", err)}
		}
		return msgs, nil
	}
	v, err := DecodeJSON(ex.Body, c.reading)
	if err != nil {
		return nil, []Problem{problemf("body", "%v", err)}
	}
	var problems []Problem
	for _, s := range c.schema.Violations(v) {
		problems = append(problems, Problem{Part: "schema", Text: s})
	}
	if len(problems) > 0 {
		return nil, problems
	}
	var msgs []string
	for _, e := range v.(map[string]any)["errors"].([]any) {
		msgs = append(msgs, e.(map[string]any)["message"].(string))
	}
	return msgs, nil
}

// Errors checks an error answer: code, Content-Type, the envelope in the
// requested format, and that the messages are exactly those expected, in
// any order (the lenient reading tolerates extra ones).
func (c *Messages) Errors(ex *runner.Exchange, format string, status int, want []Message) []Problem {
	if p := transport(ex); p != nil {
		return p
	}
	problems := append(code(ex, status), c.contentType(ex, format)...)
	got, bad := c.messages(ex, format)
	if bad != nil {
		return append(problems, bad...)
	}
	used := make([]bool, len(got))
	var missing []Message
	for _, w := range want {
		found := false
		for i, g := range got {
			if !used[i] && matchesAny(c.patterns(w), g) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			missing = append(missing, w)
		}
	}
	var extra []string
	for i, g := range got {
		if !used[i] {
			extra = append(extra, g)
		}
	}
	// Each error is reported once: a wrong message stands beside the one
	// it should have been, and only what is left over is unexpected.
	for i, w := range missing {
		if i < len(extra) {
			problems = append(problems, problemf("message", "want %q, got %q", w.Text(), extra[i]))
			continue
		}
		problems = append(problems, problemf("message", "want %q, missing (the answer's errors: %s)", w.Text(), quoteAll(got)))
	}
	if c.reading == Strict {
		for _, g := range extra[min(len(missing), len(extra)):] {
			problems = append(problems, problemf("message", "unexpected error %q (the lenient reading tolerates extra errors)", g))
		}
	}
	return problems
}

// Envelope checks that an answer carries a well-formed error envelope in the
// requested format, whatever its messages: the rule for any 5xx.
func (c *Messages) Envelope(ex *runner.Exchange, format string) []Problem {
	problems := c.contentType(ex, format)
	_, bad := c.messages(ex, format)
	return append(problems, bad...)
}

// Success checks a 200 answer: its code, and with SuccessFormat, that its
// Content-Type follows the format, and its body is well-formed in that
// format and is not an error envelope.
func (c *Messages) Success(ex *runner.Exchange, format string) []Problem {
	if p := transport(ex); p != nil {
		return p
	}
	if !c.SuccessFormat {
		return code(ex, 200)
	}
	problems := append(code(ex, 200), c.contentType(ex, format)...)
	if format == XML {
		if err := WellFormedXML(ex.Body); err != nil {
			return append(problems, problemf("body", "%v", err))
		}
		if _, err := ParseXMLErrors(ex.Body); err == nil {
			problems = append(problems, problemf("body", "a 200 answer carries an error envelope"))
		}
		return problems
	}
	v, err := DecodeJSON(ex.Body, c.reading)
	if err != nil {
		return append(problems, problemf("body", "%v", err))
	}
	if obj, ok := v.(map[string]any); ok && obj["errors"] != nil {
		problems = append(problems, problemf("body", "a 200 answer carries an error envelope"))
	}
	return problems
}

func matchesAny(patterns []pattern, s string) bool {
	for _, p := range patterns {
		if p.match(s) {
			return true
		}
	}
	return false
}

func quoteAll(msgs []string) string {
	q := make([]string, len(msgs))
	for i, m := range msgs {
		q[i] = fmt.Sprintf("%q", m)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
