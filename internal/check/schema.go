package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"

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

// utf8BOM is the UTF-8 byte order mark.
const utf8BOM = "\xEF\xBB\xBF"

// DecodeJSON parses a body that must hold exactly one JSON value and nothing
// after it but whitespace (encoding/json alone would ignore `}` or a second
// value after the first). It reads the body token by token, so that it also
// refuses, in both readings, nesting past maxJSONDepth (before going deeper,
// so a hostile body costs little) and numbers out of the float64 range (they
// are kept as json.Number, and gojsonschema cannot handle them).
//
// Where the readings differ: a duplicated object key is refused in the strict
// reading; the lenient one keeps the last value, as most parsers do. A UTF-8
// byte order mark before the value is refused in the strict reading (RFC 8259
// §8.1: a sender must not add one); the lenient one ignores it, as the RFC
// lets a parser do.
func DecodeJSON(body []byte, reading Reading) (any, error) {
	offset := 0
	if rest, ok := bytes.CutPrefix(body, []byte(utf8BOM)); ok {
		if reading != Lenient {
			return nil, fmt.Errorf("not valid JSON: a byte order mark (EF BB BF) before the value; RFC 8259 forbids sending one (the lenient reading ignores it)")
		}
		body, offset = rest, len(utf8BOM)
	}
	d := jsonDecoder{dec: json.NewDecoder(bytes.NewReader(body)), reading: reading, offset: int64(offset)}
	d.dec.UseNumber()
	tok, err := d.token()
	if err == io.EOF {
		return nil, fmt.Errorf("not valid JSON: no value in the body")
	}
	if err != nil {
		return nil, err
	}
	v, err := d.value(tok, 0)
	if err != nil {
		return nil, err
	}
	end := d.dec.InputOffset()
	if i := bytes.IndexFunc(body[end:], func(r rune) bool { return !isJSONSpace(r) }); i >= 0 {
		return nil, fmt.Errorf("not valid JSON: trailing data after the JSON value at byte %d: %q", d.offset+end+int64(i), excerpt(string(body[end+int64(i):])))
	}
	return v, nil
}

func isJSONSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// jsonDecoder builds a value from json.Decoder tokens; offset is what a
// skipped byte order mark adds to the decoder's positions.
type jsonDecoder struct {
	dec     *json.Decoder
	reading Reading
	offset  int64
}

func (d *jsonDecoder) token() (json.Token, error) {
	tok, err := d.dec.Token()
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	return tok, err
}

// next reads the token inside an open object or array: the end of the body
// there is an error.
func (d *jsonDecoder) next() (json.Token, error) {
	tok, err := d.token()
	if err == io.EOF {
		return nil, fmt.Errorf("not valid JSON: the body ends inside a value")
	}
	return tok, err
}

// value builds the value that starts with tok, at the given nesting depth.
func (d *jsonDecoder) value(tok json.Token, depth int) (any, error) {
	switch t := tok.(type) {
	case json.Delim:
		if depth == maxJSONDepth {
			return nil, fmt.Errorf("JSON nested more than %d levels deep", maxJSONDepth)
		}
		if t == '[' {
			return d.array(depth + 1)
		}
		return d.object(depth + 1)
	case json.Number:
		if _, err := strconv.ParseFloat(string(t), 64); err != nil {
			return nil, fmt.Errorf("JSON number %s (ending at byte %d) is out of the float64 range: the suite cannot judge it", excerpt(string(t)), d.offset+d.dec.InputOffset())
		}
		return t, nil
	}
	return tok, nil // string, bool or nil
}

func (d *jsonDecoder) array(depth int) (any, error) {
	out := []any{}
	for {
		tok, err := d.next()
		if err != nil {
			return nil, err
		}
		if tok == json.Delim(']') {
			return out, nil
		}
		v, err := d.value(tok, depth)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
}

func (d *jsonDecoder) object(depth int) (any, error) {
	out := map[string]any{}
	for {
		tok, err := d.next()
		if err != nil {
			return nil, err
		}
		if tok == json.Delim('}') {
			return out, nil
		}
		key := tok.(string) // json.Decoder.Token only returns a string here
		if _, dup := out[key]; dup && d.reading != Lenient {
			return nil, fmt.Errorf("duplicate JSON key %q (the second ends at byte %d): the strict reading refuses it, the lenient one judges the last value", key, d.offset+d.dec.InputOffset())
		}
		if tok, err = d.next(); err != nil {
			return nil, err
		}
		v, err := d.value(tok, depth)
		if err != nil {
			return nil, err
		}
		out[key] = v
	}
}
