package target

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Step is one request a probe sends. Every part of it is configuration:
// each API's defaults file gives the documented API's choices, and a
// deployment overrides any field under `requests.<step>` (every row) or
// `requests.<row id>/<step>` (that row only).
//
// Strings are templates: {name} is filled from `vars`, or from a value the
// probe supplies at run time (a created id, a fresh name).
type Step struct {
	Method string `yaml:"method"` // NONE: the deployment cannot do this (a removal that does not exist)
	Path   string `yaml:"path"`   // relative to base_path
	// Query parameters; in an override, an empty value removes the parameter.
	Query map[string]string `yaml:"query"`
	// RawQuery is appended verbatim, for a query that is deliberately malformed.
	RawQuery string `yaml:"raw_query"`
	// Headers; in an override, an empty value removes the header.
	Headers map[string]string `yaml:"headers"`
	// As names the credential sent (a key of `credentials`), or "none".
	As   string `yaml:"as"`
	Body *Body  `yaml:"body"`
	// Codes are the answers that count as done, for a step that only
	// prepares a condition (a create) or removes what a spec made.
	Codes []int `yaml:"codes"`
	// Creates names the kind of resource a 2xx answer made; the suite
	// removes it after the spec with the step remove_<kind>.
	Creates string `yaml:"creates"`
	// ID says where a create answer puts the new resource's id (or its
	// address): a body field or a header, optionally with a pattern.
	// Unset: ids.<kind>, else the body field id_field.
	ID *IDSource `yaml:"id"`
	// Expect pins the values of the placeholders in the row's message
	// templates, one map per expected message (content API). A placeholder
	// left out, or whose value is empty, matches any non-empty text.
	Expect []map[string]string `yaml:"expect"`
}

// IDSource is where a create answer puts what it made: the body field
// Field (a dotted path) or the header Header (Location, or any), the id
// being the first group of Pattern when one is given, else the whole
// text. A Location (or Content-Location) header is also the resource's
// address, which a remove_<kind> step may use as its path, {address}.
type IDSource struct {
	Field   string `yaml:"field"`
	Header  string `yaml:"header"`
	Pattern string `yaml:"pattern"`
}

// AddressPath is the path of a removal step that uses the address the
// create answer gave (a Location), as given.
const AddressPath = "{address}"

func (src IDSource) check(key string) []error {
	var errs []error
	if (src.Field == "") == (src.Header == "") {
		errs = append(errs, fmt.Errorf("%s: give field or header, one of them", key))
	}
	if src.Header != "" && !validToken(src.Header) {
		errs = append(errs, fmt.Errorf("%s.header: %q is not a header name", key, src.Header))
	}
	if src.Pattern != "" {
		re, err := regexp.Compile(src.Pattern)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s.pattern: %v", key, err))
		case re.NumSubexp() < 1:
			errs = append(errs, fmt.Errorf("%s.pattern: %q has no group: the id is the text of its first (…)", key, src.Pattern))
		}
	}
	return errs
}

// Body is a request body and how it is framed.
type Body struct {
	// JSON is a template whose placeholders are filled JSON-escaped; sent
	// as application/json unless content_type says otherwise.
	JSON string `yaml:"json"`
	// Text is a template sent as it is, with content_type.
	Text string `yaml:"text"`
	// File is a file (a template naming it), relative to the configuration
	// file or absolute, sent as it is.
	File        string `yaml:"file"`
	ContentType string `yaml:"content_type"`
	// Multipart, when set, wraps the content in multipart/form-data as one
	// file part.
	Multipart *Multipart `yaml:"multipart"`
}

// Multipart describes the one file part of a multipart/form-data body.
type Multipart struct {
	Field       string `yaml:"field"`
	Filename    string `yaml:"filename"`
	ContentType string `yaml:"content_type"`
}

// merge returns s with every field set in o replacing its own. Query and
// Headers merge key by key (an empty value removes the key); a body is
// replaced whole, since its framing is one decision.
func (s Step) merge(o Step) Step {
	if o.Method != "" {
		s.Method = o.Method
	}
	if o.Path != "" {
		s.Path = o.Path
	}
	s.Query = mergeMap(s.Query, o.Query)
	if o.RawQuery != "" {
		s.RawQuery = o.RawQuery
	}
	s.Headers = mergeMap(s.Headers, o.Headers)
	if o.As != "" {
		s.As = o.As
	}
	if o.Body != nil {
		s.Body = o.Body
	}
	if o.Codes != nil {
		s.Codes = o.Codes
	}
	if o.Creates != "" {
		s.Creates = o.Creates
	}
	if o.ID != nil {
		s.ID = o.ID
	}
	if o.Expect != nil {
		s.Expect = o.Expect
	}
	return s
}

func mergeMap(base, over map[string]string) map[string]string {
	if over == nil {
		return base
	}
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range over {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// templates lists every template of the step by the key that sets it, so a
// placeholder can be checked against what may fill it.
func (s Step) templates(key string) map[string]string {
	out := map[string]string{key + ".path": s.Path, key + ".raw_query": s.RawQuery}
	for k, v := range s.Query {
		out[key+".query."+k] = v
	}
	for k, v := range s.Headers {
		out[key+".headers."+k] = v
	}
	if b := s.Body; b != nil {
		out[key+".body.json"], out[key+".body.text"], out[key+".body.file"] = b.JSON, b.Text, b.File
		if m := b.Multipart; m != nil {
			out[key+".body.multipart.filename"] = m.Filename
		}
	}
	for i, e := range s.Expect {
		for k, v := range e {
			out[fmt.Sprintf("%s.expect[%d].%s", key, i, k)] = v
		}
	}
	return out
}

// Placeholders lists the {names} the step's request uses, expectations
// aside, in a stable order.
func (s Step) Placeholders() []string {
	seen := map[string]bool{}
	for key, t := range s.templates("") {
		if strings.Contains(key, ".expect[") {
			continue
		}
		for _, m := range placeholder.FindAllString(t, -1) {
			seen[m[1:len(m)-1]] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// check validates a resolved step, naming its key.
func (s Step) check(key string) []error {
	var errs []error
	if s.Method == "" {
		errs = append(errs, fmt.Errorf("%s.method: required", key))
	} else if s.Method != MethodNone && !validToken(s.Method) {
		errs = append(errs, fmt.Errorf("%s.method: %q is not an HTTP method", key, s.Method))
	}
	if s.ID != nil {
		errs = append(errs, s.ID.check(key+".id")...)
	}
	if s.Method != MethodNone && s.Path != AddressPath {
		if err := checkPath(key+".path", s.Path); err != nil {
			errs = append(errs, err)
		} else if err := CheckPathValue(key+".path", s.Path); err != nil {
			errs = append(errs, err)
		}
	}
	for name, value := range s.Headers {
		if !validToken(name) {
			errs = append(errs, fmt.Errorf("%s.headers: %q is not a header name", key, EscapeForMessage(name)))
		}
		if c := controlIn(value); c != "" {
			errs = append(errs, fmt.Errorf("%s.headers.%s: holds a %s: not allowed in an HTTP header field value", key, EscapeForMessage(name), c))
		}
	}
	if b := s.Body; b != nil {
		set := 0
		for _, v := range []string{b.JSON, b.Text, b.File} {
			if v != "" {
				set++
			}
		}
		if set > 1 {
			errs = append(errs, fmt.Errorf("%s.body: json, text and file exclude each other", key))
		}
		if (b.Text != "" || b.File != "") && b.ContentType == "" && b.Multipart == nil {
			errs = append(errs, fmt.Errorf("%s.body.content_type: required with text or file", key))
		}
		if m := b.Multipart; m != nil && m.Field == "" {
			errs = append(errs, fmt.Errorf("%s.body.multipart.field: required", key))
		}
	}
	for _, c := range s.Codes {
		if c < 100 || c > 599 {
			errs = append(errs, fmt.Errorf("%s.codes: %d is not an HTTP status", key, c))
		}
	}
	return errs
}

// MethodNone marks a step the deployment cannot perform.
const MethodNone = "NONE"

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 127 || r <= ' ' || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r) {
			return false
		}
	}
	return true
}
