package check

import (
	"github.com/confsuite/apiconform/schemas"

	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/confsuite/apiconform/internal/catalog"
)

// noPanic runs f and turns a panic into a test failure that names it.
func noPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s panicked: %v", what, r)
		}
	}()
	f()
}

func TestViolationsTurnsAValidatorPanicIntoAViolation(t *testing.T) {
	s, err := CompileSchema("const.json", []byte(`{"properties":{"status":{"const":"user_blocked"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	// gojsonschema dereferences a nil pointer in its const check on a
	// number out of float64 range.
	noPanic(t, "Violations", func() { got = s.Violations(map[string]any{"status": json.Number("1e999")}) })
	if len(got) != 1 || !strings.Contains(got[0], "panic") || !strings.Contains(got[0], "cannot judge") {
		t.Fatalf("want one violation naming the panic, got %q", got)
	}
}

func telephonyProblems(t *testing.T, reading Reading, body string) []Problem {
	t.Helper()
	tel, err := NewStatusBody(schemas.Files, "telephony-error.schema.json", reading)
	if err != nil {
		t.Fatal(err)
	}
	row := catalog.Row{ID: "tel.403.user_blocked", Code: 403, Status: "user_blocked"}
	var p []Problem
	noPanic(t, "Telephony.Error", func() { p = tel.Error(exchange("application/json", body, 403), row) })
	return p
}

func contentProblems(t *testing.T, reading Reading, body string) []Problem {
	t.Helper()
	c, err := NewMessages(schemas.Files, "content-errors.schema.json", reading)
	if err != nil {
		t.Fatal(err)
	}
	var p []Problem
	noPanic(t, "Content.Errors", func() {
		p = c.Errors(exchange("application/json", body, 400), JSON, 400, []Message{{Template: "Bad request"}})
	})
	return p
}

// mentions reports whether one of the problems contains want.
func mentions(p []Problem, want string) bool {
	return strings.Contains(fmt.Sprint(p), want)
}

func TestTrailingDataAfterTheJSONValueIsRefused(t *testing.T) {
	for name, c := range map[string]struct{ body, at string }{
		"closing brace":    {`{"status":"user_blocked"}}`, "at byte 25"},
		"closing bracket":  {`{"status":"user_blocked"}]`, "at byte 25"},
		"second value":     {`{"status":"user_blocked"} {"status":"x"}`, "at byte 26"},
		"second scalar":    {`{"status":"user_blocked"}` + "\n1", "at byte 26"},
		"text":             {`{"status":"user_blocked"} oops`, "at byte 26"},
		"NUL":              {`{"status":"user_blocked"}` + "\x00", "at byte 25"},
		"after whitespace": {`{"status":"user_blocked"}` + " \r\n\t}", "at byte 29"},
	} {
		for _, r := range []Reading{Strict, Lenient} {
			p := telephonyProblems(t, r, c.body)
			if !mentions(p, "trailing data after the JSON value "+c.at) {
				t.Errorf("%s, %s: want trailing data %s, got %v", name, r, c.at, p)
			}
		}
	}
	p := contentProblems(t, Strict, `{"errors":[{"message":"Bad request"}]}}`)
	if !mentions(p, "trailing data") {
		t.Errorf("content: want trailing data, got %v", p)
	}
	for _, body := range []string{`{"status":"user_blocked"}`, `{"status":"user_blocked"}` + " \r\n\t", " \n{\"status\":\"user_blocked\"}"} {
		if p := telephonyProblems(t, Strict, body); len(p) > 0 {
			t.Errorf("%q: whitespace around the value is allowed, got %v", body, p)
		}
	}
}

func TestDuplicateJSONKeys(t *testing.T) {
	// Strict: refused wherever the duplicate is, naming the key.
	for _, body := range []string{
		`{"status":"nonsense","status":"user_blocked"}`,
		`{"status":"user_blocked","status":"user_blocked"}`,
		`{"status":"user_blocked","\u0073tatus":"user_blocked"}`,
		`{"status":"user_blocked","x":{"a":1,"a":2}}`,
	} {
		p := telephonyProblems(t, Strict, body)
		if !mentions(p, "duplicate JSON key") {
			t.Errorf("strict, %s: want a duplicate key problem, got %v", body, p)
		}
	}
	p := telephonyProblems(t, Strict, `{"status":"nonsense","status":"user_blocked"}`)
	if !mentions(p, `key "status"`) {
		t.Errorf("strict: the problem must name the key, got %v", p)
	}
	p = contentProblems(t, Strict, `{"errors":[{"message":"Bad request","message":"Bad request"}]}`)
	if !mentions(p, `duplicate JSON key "message"`) {
		t.Errorf("strict content: want a duplicate key problem, got %v", p)
	}
	// Lenient: accepted, and the last value is the one judged.
	if p := telephonyProblems(t, Lenient, `{"status":"nonsense","status":"user_blocked"}`); len(p) > 0 {
		t.Errorf("lenient: last value user_blocked should pass, got %v", p)
	}
	if p := telephonyProblems(t, Lenient, `{"status":"user_blocked","status":"nonsense"}`); !mentions(p, `got "nonsense"`) {
		t.Errorf("lenient: last value nonsense should fail, got %v", p)
	}
	// The same key in different objects is no duplicate.
	if p := contentProblems(t, Strict, `{"errors":[{"message":"Bad request"}],"x":{"errors":1}}`); len(p) > 0 {
		t.Errorf("keys of different objects: got %v", p)
	}
}

func TestJSONNumbersOutOfFloat64RangeAreRefused(t *testing.T) {
	for _, body := range []string{
		`{"status":1e999}`,
		`{"status":-1e999}`,
		`{"status":"user_blocked","n":1e400}`,
		`{"status":"user_blocked","n":[` + "1" + strings.Repeat("0", 400) + `]}`,
	} {
		for _, r := range []Reading{Strict, Lenient} {
			p := telephonyProblems(t, r, body)
			if !mentions(p, "out of the float64 range") {
				t.Errorf("%s, %s: want an out-of-range problem, got %v", r, body, p)
			}
		}
	}
	p := contentProblems(t, Strict, `{"errors":[{"message":1e999}]}`)
	if !mentions(p, "out of the float64 range") {
		t.Errorf("content: want an out-of-range problem, got %v", p)
	}
	// In range, however written, and underflow (which rounds to zero) pass.
	for _, n := range []string{"1.7976931348623157e308", "1e-999", "123456789012345678901234567890", "-0"} {
		if p := telephonyProblems(t, Strict, `{"status":"user_blocked","n":`+n+`}`); len(p) > 0 {
			t.Errorf("%s: got %v", n, p)
		}
	}
}

func TestJSONByteOrderMark(t *testing.T) {
	body := "\xEF\xBB\xBF" + `{"status":"user_blocked"}`
	if p := telephonyProblems(t, Strict, body); !mentions(p, "byte order mark") {
		t.Errorf("strict: want a byte order mark problem, got %v", p)
	}
	if p := telephonyProblems(t, Lenient, body); len(p) > 0 {
		t.Errorf("lenient: a leading byte order mark is ignored, got %v", p)
	}
	if p := contentProblems(t, Lenient, "\xEF\xBB\xBF"+`{"errors":[{"message":"Bad request"}]}`); len(p) > 0 {
		t.Errorf("lenient content: got %v", p)
	}
	// Only at the very start, and only once.
	for _, body := range []string{
		" \xEF\xBB\xBF" + `{"status":"user_blocked"}`,
		"\xEF\xBB\xBF\xEF\xBB\xBF" + `{"status":"user_blocked"}`,
		`{"status":"user_blocked"}` + "\xEF\xBB\xBF",
	} {
		if p := telephonyProblems(t, Lenient, body); len(p) == 0 {
			t.Errorf("lenient, %q: accepted", body)
		}
	}
	// Positions count the skipped mark.
	if p := telephonyProblems(t, Lenient, "\xEF\xBB\xBF"+`{"status":"user_blocked"}}`); !mentions(p, "at byte 28") {
		t.Errorf("lenient: want the position in the whole body, got %v", p)
	}
}

func TestDecodeJSONKeepsNumbersAndShapes(t *testing.T) {
	v, err := DecodeJSON([]byte(`{"a":[1,2.5,"x",true,null,{}],"b":[]}`), Strict)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(v)
	if string(got) != `{"a":[1,2.5,"x",true,null,{}],"b":[]}` {
		t.Fatalf("got %s", got)
	}
	if n := v.(map[string]any)["a"].([]any)[0]; n != json.Number("1") {
		t.Fatalf("numbers stay json.Number, got %T", n)
	}
	for _, body := range []string{``, ` `, `{`, `[1,`, `{"a"}`, `{"a":1,}`, `[1 2]`, `{1:2}`, `"a`, `nul`} {
		if _, err := DecodeJSON([]byte(body), Lenient); err == nil {
			t.Errorf("%q accepted", body)
		}
	}
}
