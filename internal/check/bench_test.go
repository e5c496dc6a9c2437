package check

import (
	"net/http"
	"testing"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/runner"
	"github.com/confsuite/apiconform/schemas"
)

func exchange(contentType, body string, status int) *runner.Exchange {
	return &runner.Exchange{Status: status, ResponseHeader: http.Header{"Content-Type": {contentType}}, Body: []byte(body)}
}

func BenchmarkTelephonyError(b *testing.B) {
	t, err := NewStatusBody(schemas.Files, "telephony-error.schema.json", Strict)
	if err != nil {
		b.Fatal(err)
	}
	row := catalog.Row{ID: "tel.403.user_blocked", Code: 403, Status: "user_blocked"}
	ex := exchange("application/json", `{"status":"user_blocked","message":"blocked"}`, 403)
	b.ReportAllocs()
	for b.Loop() {
		if p := t.Error(ex, row); len(p) > 0 {
			b.Fatal(p)
		}
	}
}

func BenchmarkContentErrorsJSON(b *testing.B) {
	benchmarkContent(b, JSON, "application/json", `{"errors":[{"message":"Required parameter 'geo_id' is missing"},{"message":"Required parameter 'text' is missing"}]}`)
}

func BenchmarkContentErrorsXML(b *testing.B) {
	benchmarkContent(b, XML, "application/xml", `<?xml version="1.0"?><errors><error message="Required parameter 'geo_id' is missing"/><error message="Required parameter 'text' is missing"/></errors>`)
}

func benchmarkContent(b *testing.B, format, contentType, body string) {
	c, err := NewMessages(schemas.Files, "content-errors.schema.json", Strict)
	if err != nil {
		b.Fatal(err)
	}
	tmpl := "Required parameter '{parameterName}' is missing"
	want := []Message{{Template: tmpl, Values: map[string]string{"parameterName": "text"}}, {Template: tmpl, Values: map[string]string{"parameterName": "geo_id"}}}
	ex := exchange(contentType, body, 422)
	b.ReportAllocs()
	for b.Loop() {
		if p := c.Errors(ex, format, 422, want); len(p) > 0 {
			b.Fatal(p)
		}
	}
}
