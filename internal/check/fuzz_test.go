package check

import (
	"github.com/confsuite/apiconform/schemas"

	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/confsuite/apiconform/internal/catalog"
)

// go test only runs the seeds; to fuzz:
//
//	go test -run x -fuzz FuzzDecodeJSON -fuzztime 30s ./internal/check/

func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"status":"user_blocked"}`,
		`{"status":"user_blocked"}}`,
		`{"status":"user_blocked"} {"status":"x"}`,
		`{"status":"nonsense","status":"user_blocked"}`,
		`{"status":1e999}`,
		`{"errors":[{"message":"Bad request"}]}`,
		`{"errors":[{"message":-1e400}]}`,
		"\xEF\xBB\xBF{\"status\":\"user_blocked\"}",
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
		`{"a":"\u0000\ud800","b":[true,false,null,0.5e-3]}`,
		` "x" `, ``, `{`, `nul`, "\xff",
	} {
		f.Add([]byte(seed))
	}
	tel, err := NewStatusBody(schemas.Files, "telephony-error.schema.json", Strict)
	if err != nil {
		f.Fatal(err)
	}
	con, err := NewMessages(schemas.Files, "content-errors.schema.json", Lenient)
	if err != nil {
		f.Fatal(err)
	}
	row := catalog.Row{ID: "tel.403.user_blocked", Code: 403, Status: "user_blocked"}
	f.Fuzz(func(t *testing.T, body []byte) {
		strict, errStrict := DecodeJSON(body, Strict)
		lenient, errLenient := DecodeJSON(body, Lenient)
		if errStrict == nil && errLenient != nil {
			t.Fatalf("strict accepts what lenient refuses: %v", errLenient)
		}
		if errStrict == nil && jsonText(strict) != jsonText(lenient) {
			t.Fatalf("the readings decode differently: %s and %s", jsonText(strict), jsonText(lenient))
		}
		// encoding/json is the reference for syntax: what is accepted is
		// valid JSON, and valid JSON is refused only for a rule of the suite.
		valid := json.Valid(bytes.TrimPrefix(body, []byte(utf8BOM)))
		if errLenient == nil && !valid {
			t.Fatalf("accepted, but encoding/json says it is not valid JSON")
		}
		if errLenient != nil && valid && !strings.Contains(errLenient.Error(), "nested more than") && !strings.Contains(errLenient.Error(), "float64 range") {
			t.Fatalf("valid JSON refused: %v", errLenient)
		}
		if errLenient == nil {
			for _, v := range con.schema.Violations(lenient) {
				if strings.Contains(v, "panic") {
					t.Fatalf("the validator panicked on an accepted body: %s", v)
				}
			}
		}
		tel.Error(exchange("application/json", string(body), 403), row)
		con.Errors(exchange("application/json", string(body), 400), JSON, 400, []Message{{Template: "Bad request"}})
	})
}

func FuzzParseXMLErrors(f *testing.F) {
	for _, c := range xmlBodies {
		f.Add([]byte(c.body))
	}
	for _, c := range wellFormedBodies {
		f.Add([]byte(c.body))
	}
	for _, seed := range []string{
		`<!DOCTYPE errors [<!ENTITY x SYSTEM "file:///etc/passwd">]><errors><error message="&x;"/></errors>`,
		`<errors><?php x ?><error message="a"/></errors>`,
		`<errors><error message="a"/></errors><errors/>`,
		`<?xml version="1.0" encoding="ISO-8859-1"?><errors/>`,
		"<errors>" + strings.Repeat("<error>", 70) + "</errors>",
	} {
		f.Add([]byte(seed))
	}
	con, err := NewMessages(schemas.Files, "content-errors.schema.json", Strict)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		msgs, errEnvelope := ParseXMLErrors(body)
		errWellFormed := WellFormedXML(body)
		if errEnvelope == nil {
			if errWellFormed != nil {
				t.Fatalf("an envelope that is not well-formed: %v", errWellFormed)
			}
			if len(msgs) == 0 {
				t.Fatal("an envelope with no message")
			}
			for _, m := range msgs {
				if m == "" {
					t.Fatal("an empty message accepted")
				}
			}
		}
		con.Errors(exchange("application/xml", string(body), 400), XML, 400, []Message{{Template: "Bad request"}})
		con.Success(exchange("application/xml", string(body), 200), XML)
	})
}
