package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/xeipuuv/gojsonschema"
)

// Schema is a compiled JSON Schema. gojsonschema is unmaintained, so it is
// used here and nowhere else.
type Schema struct {
	name     string
	compiled *gojsonschema.Schema
}

// CompileSchema compiles a draft-07 schema document.
func CompileSchema(name string, doc []byte) (*Schema, error) {
	s, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(doc))
	if err != nil {
		return nil, fmt.Errorf("compile schema %s: %w", name, err)
	}
	return &Schema{name: name, compiled: s}, nil
}

// Violations validates a decoded JSON value and lists every violation, one
// per line, sorted so reports are stable. A panic inside gojsonschema (it
// has some, e.g. on numbers out of float64 range) becomes a violation that
// names it: a body the suite cannot judge fails its spec, it never stops the
// run.
func (s *Schema) Violations(value any) (out []string) {
	defer func() {
		if r := recover(); r != nil {
			out = []string{fmt.Sprintf("schema %s: the validator failed on this body (panic: %v), so the suite cannot judge it", s.name, r)}
		}
	}()
	res, err := s.compiled.Validate(gojsonschema.NewGoLoader(value))
	if err != nil {
		return []string{fmt.Sprintf("schema %s: cannot validate: %v", s.name, err)}
	}
	for _, e := range res.Errors() {
		out = append(out, fmt.Sprintf("schema %s: %s", s.name, e.String()))
	}
	sort.Strings(out)
	return out
}

// maxJSONDepth bounds nesting: encoding/json would go to 10,000 levels, and
// nothing in an error body needs more than a handful.
const maxJSONDepth = 64

// DecodeJSON parses a body that must hold exactly one JSON value, refusing
// absurd nesting before decoding so a hostile body costs little.
func DecodeJSON(body []byte) (any, error) {
	if d := nestingDepth(body); d > maxJSONDepth {
		return nil, fmt.Errorf("JSON nested more than %d levels deep", maxJSONDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("not valid JSON: data after the first value")
	}
	return v, nil
}

// nestingDepth returns the deepest bracket nesting outside strings. It
// stops counting once past maxJSONDepth.
func nestingDepth(body []byte) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for _, c := range body {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
			if depth > deepest {
				deepest = depth
				if deepest > maxJSONDepth {
					return deepest
				}
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}
