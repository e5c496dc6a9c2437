package check

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/confsuite/apiconform/runner"
	"github.com/confsuite/apiconform/schemas"
)

// A message's patterns are compiled once and shared, also by checks that
// run at the same time; other values make other patterns.
func TestContentPatternsAreCompiledOnce(t *testing.T) {
	c, err := NewMessages(schemas.Files, "content-errors.schema.json", Lenient)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := "Required parameter '{parameterName}' is missing"
	m := Message{Template: tmpl, Values: map[string]string{"parameterName": "geo_id"}, Lenient: []string{"Missing '{parameterName}'"}}
	first := c.patterns(m)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			same := Message{Template: tmpl, Values: map[string]string{"parameterName": "geo_id"}, Lenient: []string{"Missing '{parameterName}'"}}
			if got := c.patterns(same); &got[0] != &first[0] {
				t.Error("an equal message was compiled again")
			}
		})
	}
	wg.Wait()
	other := c.patterns(Message{Template: tmpl, Values: map[string]string{"parameterName": "text"}})
	if len(other) != 1 || !other[0].match("Required parameter 'text' is missing") || other[0].match("Required parameter 'geo_id' is missing") {
		t.Fatalf("other values must make other patterns: %v", other)
	}
	if !matchesAny(first, "Missing 'geo_id'") {
		t.Fatal("the lenient spelling is part of the lenient reading's patterns")
	}
}

func errorsExchange(status int, body string) *runner.Exchange {
	return &runner.Exchange{Method: "GET", Status: status, ResponseHeader: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}
}

// The page's other wording of a template (its example) conforms in the
// strict reading; a wrong message is reported once, beside the one it
// should have been; only errors left over are unexpected.
func TestContentWordingsAndErrorsReportedOnce(t *testing.T) {
	c, err := NewMessages(schemas.Files, "content-errors.schema.json", Strict)
	if err != nil {
		t.Fatal(err)
	}
	want := []Message{{
		Template: "Parameter '{parameterName}' format is incorrect. Incorrect value '{value}'.",
		Values:   map[string]string{"parameterName": "fields", "value": "FOO"},
		Wordings: []string{"Parameter '{parameterName}' format is incorrect. Unknown value '{value}'."},
	}}
	for _, m := range []string{"Incorrect value", "Unknown value"} {
		body := `{"errors":[{"message":"Parameter 'fields' format is incorrect. ` + m + ` 'FOO'."}]}`
		if p := c.Errors(errorsExchange(422, body), JSON, 422, want); len(p) != 0 {
			t.Errorf("%s: strict reading refused the page's wording: %v", m, p)
		}
	}
	p := c.Errors(errorsExchange(422, `{"errors":[{"message":"Bad value"}]}`), JSON, 422, want)
	if len(p) != 1 || !strings.Contains(p[0].Text, `got "Bad value"`) {
		t.Errorf("one wrong message, one problem naming it: %v", p)
	}
	p = c.Errors(errorsExchange(422, `{"errors":[{"message":"Bad value"},{"message":"Other"}]}`), JSON, 422, want)
	if len(p) != 2 || !strings.Contains(p[1].Text, `unexpected error "Other"`) {
		t.Errorf("a wrong message and an extra one: %v", p)
	}
}

// An address placeholder left unpinned holds an IP address, the one given
// when there is one, in any of its spellings.
func TestContentAddressPlaceholder(t *testing.T) {
	c, err := NewMessages(schemas.Files, "content-errors.schema.json", Strict)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := "Authorization failed: request from unknown IP address {IP} or invalid key"
	for _, tc := range []struct {
		want, ip string
		ok       bool
	}{
		{"127.0.0.1", "127.0.0.1", true},
		{"127.0.0.1", "10.9.8.7", false},
		{"127.0.0.1", "0:0:0:0:0:0:0:0", false},
		{"::1", "0:0:0:0:0:0:0:1", true},
		{"", "10.9.8.7", true},
		{"", "somewhere", false},
	} {
		m := Message{Template: tmpl, Values: map[string]string{}, Addresses: map[string]string{"IP": tc.want}}
		got := matchesAny(c.patterns(m), strings.Replace(tmpl, "{IP}", tc.ip, 1))
		if got != tc.ok {
			t.Errorf("want %q, message with %q: match %v, want %v", tc.want, tc.ip, got, tc.ok)
		}
	}
}
