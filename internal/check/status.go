package check

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sync"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/runner"
)

// StatusBody checks error answers whose JSON body carries a documented
// status field (the Telephony API's shape), against a JSON Schema in
// schemas/. Each row's schema (the base schema plus that row's status rule)
// is compiled once and reused.
type StatusBody struct {
	file    string
	reading Reading
	base    map[string]any
	mu      sync.Mutex
	perRow  map[string]*Schema
}

// NewStatusBody loads the base schema, a file in files (schemas.Files, or
// an API's own), for the given reading.
func NewStatusBody(files fs.FS, file string, reading Reading) (*StatusBody, error) {
	raw, err := fs.ReadFile(files, file)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", file, err)
	}
	var base map[string]any
	if err := json.Unmarshal(raw, &base); err != nil {
		return nil, fmt.Errorf("schema %s: %w", file, err)
	}
	return &StatusBody{file: file, reading: reading, base: base, perRow: map[string]*Schema{}}, nil
}

// rowSchema is the base schema with the row's status rule: the documented
// value, required; or, on a row without a status in the strict reading, no
// status at all.
func (t *StatusBody) rowSchema(row catalog.Row) (*Schema, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.perRow[row.ID]; ok {
		return s, nil
	}
	doc := map[string]any{}
	for k, v := range t.base {
		doc[k] = v
	}
	switch {
	case row.Status != "":
		doc["allOf"] = []any{map[string]any{
			"required":   []any{"status"},
			"properties": map[string]any{"status": map[string]any{"const": row.Status}},
		}}
	case t.reading == Strict:
		doc["allOf"] = []any{map[string]any{"not": map[string]any{"required": []any{"status"}}}}
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	s, err := CompileSchema(t.file+"#"+row.ID, raw)
	if err != nil {
		return nil, err
	}
	t.perRow[row.ID] = s
	return s, nil
}

// Error checks an answer to a request that provoked row.
func (t *StatusBody) Error(ex *runner.Exchange, row catalog.Row) []Problem {
	if p := transport(ex); p != nil {
		return p
	}
	problems := code(ex, row.Code)
	// In the lenient reading a row without a status says nothing about the
	// body, so any body, JSON or not, is accepted there.
	if row.Status == "" && t.reading == Lenient {
		return problems
	}
	if t.reading == Strict {
		problems = append(problems, mediaType(ex, "application/json")...)
	}
	body, err := DecodeJSON(ex.Body, t.reading)
	if err != nil {
		return append(problems, problemf("body", "%v", err))
	}
	problems = append(problems, statusField(body, row, t.reading)...)
	schema, err := t.rowSchema(row)
	if err != nil {
		return append(problems, problemf("schema", "%v", err))
	}
	for _, v := range schema.Violations(body) {
		problems = append(problems, Problem{Part: "schema", Text: v})
	}
	return problems
}

// statusField says in plain words what is wrong with status; the schema
// says it again in its own terms, which is the point of having both.
func statusField(body any, row catalog.Row, reading Reading) []Problem {
	obj, ok := body.(map[string]any)
	if !ok {
		return nil // the schema reports a body that is not an object
	}
	got, present := obj["status"]
	switch {
	case row.Status != "" && !present:
		return []Problem{problemf("status", "want %q, the body has no status field", row.Status)}
	case row.Status != "" && got != row.Status:
		return []Problem{problemf("status", "want %q, got %v", row.Status, jsonText(got))}
	case row.Status == "" && present && reading == Strict:
		return []Problem{problemf("status", "this row has no status, got %v (the lenient reading allows it)", jsonText(got))}
	}
	return nil
}

func jsonText(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(raw)
}
