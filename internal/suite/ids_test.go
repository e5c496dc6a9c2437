package suite

import (
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
)

// Ids and addresses come from where the create step says: a body field or
// a header, with a pattern; an address is checked like every path.
func TestCreatedByReadsIdsAndAddressesFromWhereTheStepSays(t *testing.T) {
	client, err := runner.New(runner.Options{Target: "http://127.0.0.1:9/root", Redactor: runner.NewRedactor()})
	if err != nil {
		t.Fatal(err)
	}
	s := &Spec{Env: &Env{Client: client, Deployment: &target.Deployment{BasePath: "/api", IDField: "id"}}}
	ex := func(body, location string) *runner.Exchange {
		h := http.Header{}
		if location != "" {
			h.Set("Location", location)
		}
		return &runner.Exchange{URL: "http://127.0.0.1:9/root/api/c/1/lines/", Status: 201, ResponseHeader: h, Body: []byte(body)}
	}
	header := &target.IDSource{Header: "Location"}
	for _, c := range []struct {
		name    string
		src     *target.IDSource
		ex      *runner.Exchange
		id      string
		idSet   bool
		address string
		why     string // part of why the address cannot be used
		refused bool
	}{
		{"body field", nil, ex(`{"id":"7"}`, ""), "7", true, "", "", false},
		{"Location alone: an address, no id", header, ex(`{}`, "/root/api/c/1/lines/ln-3"), "", false, "/c/1/lines/ln-3", "", false},
		{"Location with a pattern", &target.IDSource{Header: "Location", Pattern: "/lines/([^/]+)$"}, ex(`{}`, "/root/api/c/1/lines/ln-3"), "ln-3", true, "/c/1/lines/ln-3", "", false},
		{"relative Location (no slash: also an id)", header, ex(`{}`, "ln-4"), "ln-4", true, "/c/1/lines/ln-4", "", false},
		{"absolute Location on the target", header, ex(`{}`, "http://127.0.0.1:9/root/api/c/1/lines/ln-5"), "", false, "/c/1/lines/ln-5", "", false},
		{"Location on another host", header, ex(`{}`, "http://evil.invalid/root/api/c/1/lines/ln-5"), "", false, "", "another host", false},
		{"Location outside the base path", header, ex(`{}`, "/elsewhere/ln-5"), "", false, "", "not under the target's base path", false},
		{"Location with a dot segment", header, ex(`{}`, "/root/api/c/1/lines/../../2/lines/x"), "", false, "", ". or .. segment", false},
		{"Location with a query", header, ex(`{}`, "/root/api/c/1/lines/x?delete=all"), "", false, "", "query", false},
		{"id header", &target.IDSource{Header: "X-Id"}, func() *runner.Exchange { e := ex(`{}`, ""); e.ResponseHeader.Set("X-Id", "42"); return e }(), "42", true, "", "", false},
		{"id header holding a slash is refused", &target.IDSource{Header: "X-Id", Pattern: "(.+)"}, func() *runner.Exchange { e := ex(`{}`, ""); e.ResponseHeader.Set("X-Id", "4/2"); return e }(), "4/2", false, "", "", true},
		{"a .. id is refused", &target.IDSource{Field: "id"}, ex(`{"id":".."}`, ""), "..", false, "", "", true},
		{"a . id is refused", &target.IDSource{Field: "id"}, ex(`{"id":"."}`, ""), ".", false, "", "", true},
		{"a Location with an escaped slash", header, ex(`{}`, "/root/api/c/1/lines/a%2Fb"), "", false, "", "escaped /", false},
		{"a Location with a backslash", header, ex(`{}`, `/root/api/c/1/lines/a\b`), "", false, "", "escaped /", false},
		{"an id past 1024 bytes is refused", &target.IDSource{Field: "id"}, ex(`{"id":"`+strings.Repeat("7", 1025)+`"}`, ""), strings.Repeat("7", 1025), false, "", "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := s.createdBy(target.Step{Creates: "extension", ID: c.src}, c.ex)
			id := got.id
			if c.refused {
				id = got.refusedID
			}
			if id != c.id || got.idSet != c.idSet || got.address != c.address || (got.refused != "") != c.refused {
				t.Errorf("got %+v", got)
			}
			if c.why != "" && !strings.Contains(got.addressWhy, c.why) {
				t.Errorf("why the address cannot be used: %q, want %q in it", got.addressWhy, c.why)
			}
		})
	}
}

// An id unusable in a path does not stop a removal that goes by the
// create's address; one that goes by {id} refuses it.
func TestUnsafeIDMattersOnlyToARemovalByID(t *testing.T) {
	client, err := runner.New(runner.Options{Target: "http://127.0.0.1:9/", Redactor: runner.NewRedactor()})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		removal string
		refused bool
	}{
		{`{method: DELETE, path: "{address}", codes: [204]}`, false},
		{`{method: DELETE, path: "/client/{client}/extension/{id}", codes: [204]}`, true},
	} {
		cfg := "credentials: {valid: some-token-1}\nrequests: {remove_extension: " + c.removal + "}\n"
		tel, err := target.Load[testConfig](testDefaults, target.Source{Name: "t.yaml", Dir: fstest.MapFS{"t.yaml": {Data: []byte(cfg)}}, File: "t.yaml"}, testRuntime, runner.NewRedactor())
		if err != nil {
			t.Fatal(err)
		}
		s := &Spec{Env: &Env{Client: client, Deployment: &tel.Deployment}, Row: catalog.Row{ID: "tel.post.201"}}
		h := http.Header{}
		h.Set("Location", "/api/ver1.0/client/1001/extension/x")
		got := s.createdBy(target.Step{Creates: "extension"}, &runner.Exchange{URL: "http://127.0.0.1:9/api/ver1.0/client/1001/extension/", Status: 201,
			ResponseHeader: h, Body: []byte(`{"id":"a/b"}`)})
		if (got.refused != "") != c.refused || got.idSet {
			t.Errorf("removal %s: got %+v", c.removal, got)
		}
	}
}

// testConfig is an API's configuration of the generic keys alone, read over
// testDefaults: what the suite's own code is tested with, apart from any
// API of the registry (which imports this package).
type testConfig struct {
	target.Deployment `yaml:",inline"`
}

func (*testConfig) Validate() []error    { return nil }
func (*testConfig) Lists() []target.Step { return nil }

// testDefaults are testConfig's defaults: a create of an extension and its
// removal by id, as the Telephony API's.
var testDefaults = []byte(`base_path: /api/ver1.0
auth: {header: Authorization, value: "Bearer {secret}"}
id_field: id
credentials: {valid: ""}
vars: {client: ""}
requests:
  create_extension: {method: POST, path: "/client/{client}/extension/", codes: [201], creates: extension}
  remove_extension: {method: DELETE, path: "/client/{client}/extension/{id}", codes: [204]}
`)

// testRuntime are the placeholders testConfig's probes would fill.
var testRuntime = []string{"name", "email", "id", "address"}
