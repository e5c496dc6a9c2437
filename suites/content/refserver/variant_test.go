package refserver

import (
	"github.com/confsuite/apiconform/internal/refserver/serve"

	"encoding/json"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	valid     = "var-content-key-0001"
	suspended = "var-content-susp-0002"
	elsewhere = "var-content-elsewhere-0003"
	basic     = "var-content-basic-0004"
	burst     = "var-content-burst-0005"
	base      = "/market/v3"
)

func newVariantServer(t *testing.T, fault bool) (*httptest.Server, *serve.Clock) {
	t.Helper()
	clock := &serve.Clock{T: time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC), Step: time.Second}
	seed := VariantSeed()
	seed.Fault, seed.Now = fault, clock.Now
	hs := httptest.NewServer(New(seed))
	t.Cleanup(hs.Close)
	return hs, clock
}

type answer struct {
	code     int
	header   http.Header
	raw      string
	messages []string
}

func do(t *testing.T, hs *httptest.Server, method, pathQuery, key, contentType, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, hs.URL+pathQuery, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{code: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") {
		var env struct {
			Errors []struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
		}
		_ = xml.Unmarshal(raw, &env)
		for _, e := range env.Errors {
			a.messages = append(a.messages, e.Message)
		}
	} else {
		var env struct {
			Errors []struct {
				Message string `json:"message"`
			} `json:"errors"`
		}
		_ = json.Unmarshal(raw, &env)
		for _, e := range env.Errors {
			a.messages = append(a.messages, e.Message)
		}
	}
	return a
}

func serverIP(t *testing.T, hs *httptest.Server) string {
	host, _, err := net.SplitHostPort(strings.TrimPrefix(hs.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	return host // the client is on the same loopback address
}

func TestVariantErrors(t *testing.T) {
	hs, _ := newVariantServer(t, true)
	unauth := "Authorization failed: request from unknown IP address " + serverIP(t, hs) + " or invalid key or key suspended or key missing"
	model := base + "/catalog/models/4242"
	for _, tc := range []struct {
		name, method, path, key, ctype, body string
		code                                 int
		messages                             []string
	}{
		{"no key", "GET", model + "?region=213", "", "", "", 401, []string{unauth}},
		{"unknown key", "GET", model + "?region=213", "nope", "", "", 401, []string{unauth}},
		{"suspended", "GET", model + "?region=213", suspended, "", "", 401, []string{unauth}},
		{"other address", "GET", model + "?region=213", elsewhere, "", "", 401, []string{unauth}},
		{"bad escape", "GET", model + "?region=%zz", valid, "", "", 400, []string{"Bad request"}},
		{"bad escape before auth", "GET", model + "?region=%zz", "", "", "", 400, []string{"Bad request"}},
		{"format value", "GET", model + "?region=213&format=yaml", valid, "", "", 422, []string{"Parameter 'format' format is incorrect. Incorrect value 'yaml'. Allowed values are: json, xml"}},
		{"format is case-sensitive", "GET", model + "?region=213&format=XML", valid, "", "", 422, []string{"Parameter 'format' format is incorrect. Incorrect value 'XML'. Allowed values are: json, xml"}},
		{"unknown path", "GET", base + "/catalog/nothing", valid, "", "", 404, []string{"Path not found"}},
		{"trailing slash", "GET", model + "/?region=213", valid, "", "", 404, []string{"Path not found"}},
		{"outside base", "GET", "/v2/models/4242?geo_id=213", valid, "", "", 404, []string{"Path not found"}},
		{"delete model", "DELETE", model + "?region=213", valid, "", "", 405, []string{"Request method 'DELETE' not supported"}},
		{"put search", "PUT", base + "/catalog/search", valid, "", "", 405, []string{"Request method 'PUT' not supported"}},
		{"get lookup", "GET", base + "/catalog/models/lookup", valid, "", "", 405, []string{"Request method 'GET' not supported"}},
		{"post shop", "POST", base + "/catalog/shops/1", valid, "", "", 405, []string{"Request method 'POST' not supported"}},
		{"reviews for basic", "GET", model + "/reviews?region=213", basic, "", "", 403, []string{"Forbidden resource"}},
		{"reviews for basic, region missing", "GET", model + "/reviews", basic, "", "", 403, []string{"Forbidden resource"}},
		{"region missing", "GET", model, valid, "", "", 422, []string{"Required parameter 'region' is missing"}},
		{"region empty", "GET", model + "?region=", valid, "", "", 422, []string{"Required parameter 'region' is missing"}},
		{"region not integer", "GET", model + "?region=moscow", valid, "", "", 422, []string{"Parameter 'region' format is incorrect, expected INTEGER"}},
		{"show unknown", "GET", model + "?region=213&show=PRICE,FOO", valid, "", "", 422, []string{"Parameter 'show' format is incorrect. Unknown value 'FOO'. Allowed values are: PRICE, PHOTO, SPECS, REVIEWS"}},
		{"search missing both", "GET", base + "/catalog/search", valid, "", "", 422, []string{"Required parameter 'q' is missing", "Required parameter 'region' is missing"}},
		{"search missing region", "GET", base + "/catalog/search?q=kettle", valid, "", "", 422, []string{"Required parameter 'region' is missing"}},
		{"model not found", "GET", base + "/catalog/models/999?region=213", valid, "", "", 404, []string{"Model not found"}},
		{"product not found", "GET", base + "/catalog/products/1?region=213", valid, "", "", 404, []string{"Product not found"}},
		{"shop not found", "GET", base + "/catalog/shops/1", valid, "", "", 404, []string{"Shop not found"}},
		{"fault", "GET", base + "/catalog/models/13?region=213", valid, "", "", 500, []string{"Internal server error"}},
		{"fault reviews", "GET", base + "/catalog/models/13/reviews?region=213", valid, "", "", 500, []string{"Internal server error"}},
		{"xml as json", "POST", base + "/catalog/models/lookup", valid, "application/json", `<model name="Kettle"/>`, 422, []string{"Value 'xml' of parameter 'body' is not supported"}},
		{"json as xml", "POST", base + "/catalog/models/lookup", valid, "application/xml", `{"name":"Kettle"}`, 422, []string{"Value 'json' of parameter 'body' is not supported"}},
		{"json as text/xml", "POST", base + "/catalog/models/lookup", valid, "text/xml; charset=UTF-8", `{"name":"Kettle"}`, 422, []string{"Value 'json' of parameter 'body' is not supported"}},
		{"neither", "POST", base + "/catalog/models/lookup", valid, "application/json", `name=Kettle`, 400, []string{"Bad request"}},
		{"other content type", "POST", base + "/catalog/models/lookup", valid, "text/plain", `{"name":"Kettle"}`, 422, []string{"Value 'text/plain' of parameter 'Content-Type' is not supported"}},
		{"no name", "POST", base + "/catalog/models/lookup", valid, "application/json", `{}`, 422, []string{"Required parameter 'name' is missing"}},
	} {
		for _, format := range []string{"", "json", "xml"} {
			path := tc.path
			if format != "" && !strings.Contains(path, "format=") {
				sep := "?"
				if strings.Contains(path, "?") {
					sep = "&"
				}
				path += sep + "format=" + format
			}
			a := do(t, hs, tc.method, path, tc.key, tc.ctype, tc.body)
			wantType := "application/json"
			if format == "xml" && !strings.Contains(tc.path, "format=") {
				wantType = "text/xml; charset=UTF-8"
			}
			if a.code != tc.code || !reflect.DeepEqual(a.messages, tc.messages) || a.header.Get("Content-Type") != wantType {
				t.Errorf("%s (format %q): %d %q %q, want %d %q %q", tc.name, format, a.code, a.header.Get("Content-Type"), a.raw, tc.code, wantType, tc.messages)
			}
		}
	}
}

func TestVariantXMLShape(t *testing.T) {
	hs, _ := newVariantServer(t, false)
	a := do(t, hs, "GET", base+"/catalog/search?format=xml", valid, "", "")
	want := "<?xml version='1.0' encoding='UTF-8'?>\n<errors>\n" +
		"  <error message='Required parameter &#39;q&#39; is missing' code='422'/>\n" +
		"  <error message='Required parameter &#39;region&#39; is missing' code='422'/>\n</errors>\n"
	if a.raw != want {
		t.Fatalf("got\n%s\nwant\n%s", a.raw, want)
	}
	a = do(t, hs, "GET", base+"/catalog/search", valid, "", "")
	if a.raw != `{"errors":[{"message":"Required parameter 'q' is missing"},{"message":"Required parameter 'region' is missing"}]}`+"\n" {
		t.Fatalf("json: %s", a.raw)
	}
}

func TestVariantSuccess(t *testing.T) {
	hs, _ := newVariantServer(t, false)
	for _, tc := range []struct {
		name, method, path, key, ctype, body, want string
	}{
		{"model", "GET", "/catalog/models/4242?region=213", valid, "", "", `{"model":{"id":4242,"name":"Kettle K-42"}}`},
		{"model negative region", "GET", "/catalog/models/4242?region=-1&format=json", valid, "", "", `{"model":{"id":4242,"name":"Kettle K-42"}}`},
		{"model show", "GET", "/catalog/models/4242?region=213&show=PRICE,SPECS", valid, "", "", `{"model":{"id":4242,"name":"Kettle K-42","price":"1999","specs":"1.7 l, 2200 W"}}`},
		// A success is JSON whatever format asks.
		{"model xml", "GET", "/catalog/models/4242?region=213&format=xml&show=PHOTO", valid, "", "", `{"model":{"id":4242,"name":"Kettle K-42","photo":"/img/4242.jpg"}}`},
		{"reviews", "GET", "/catalog/models/4242/reviews?region=213", valid, "", "", `{"model_id":4242,"reviews":[]}`},
		{"search", "GET", "/catalog/search?q=kettle&region=213", valid, "", "", `{"models":[{"id":4242,"name":"Kettle K-42"}]}`},
		{"search none", "GET", "/catalog/search?q=phone&region=213", valid, "", "", `{"models":[]}`},
		{"lookup json", "POST", "/catalog/models/lookup", valid, "application/json", `{"name":"K-42"}`, `{"models":[{"id":4242,"name":"Kettle K-42"}]}`},
		{"lookup xml", "POST", "/catalog/models/lookup?format=xml", valid, "application/xml", `<model name="K-42"/>`, `{"models":[{"id":4242,"name":"Kettle K-42"}]}`},
		{"fault off", "GET", "/catalog/models/13?region=213", valid, "", "", `{"errors":[{"message":"Model not found"}]}`},
	} {
		a := do(t, hs, tc.method, base+tc.path, tc.key, tc.ctype, tc.body)
		wantCode := 200
		if tc.name == "fault off" {
			wantCode = 404
		}
		if a.code != wantCode || strings.TrimSuffix(a.raw, "\n") != strings.TrimSuffix(tc.want, "\n") {
			t.Errorf("%s: %d %s, want %s", tc.name, a.code, a.raw, tc.want)
		}
	}
}

func TestVariantRateLimit(t *testing.T) {
	hs, clock := newVariantServer(t, false)
	clock.Step = 0
	path := base + "/catalog/models/4242?region=213"
	for _, tc := range []struct {
		key   string
		limit int
	}{{burst, 5}, {valid, 25}, {basic, 25}} {
		clock.T = clock.T.Add(time.Second).Truncate(time.Second).Add(100 * time.Millisecond)
		for i := 1; i <= tc.limit; i++ {
			if a := do(t, hs, "GET", path, tc.key, "", ""); a.code != 200 {
				t.Fatalf("%s request %d: %d %s", tc.key, i, a.code, a.raw)
			}
		}
		for _, format := range []string{"json", "xml"} {
			a := do(t, hs, "GET", path+"&format="+format, tc.key, "", "")
			if a.code != 403 || !reflect.DeepEqual(a.messages, []string{"Rate limit exceeded"}) || a.header.Get("Retry-After") != "1" {
				t.Fatalf("%s over (%s): %d %q Retry-After %q", tc.key, format, a.code, a.raw, a.header.Get("Retry-After"))
			}
		}
		clock.T = clock.T.Add(900 * time.Millisecond)
		if a := do(t, hs, "GET", path, tc.key, "", ""); a.code != 200 {
			t.Fatalf("%s next window: %d %s", tc.key, a.code, a.raw)
		}
	}
}

// An abandoned request leaves the server answering.
func TestVariantAbandoned(t *testing.T) {
	hs, _ := newVariantServer(t, false)
	for i := 0; i < 3; i++ {
		conn, err := net.Dial("tcp", strings.TrimPrefix(hs.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(conn, "POST "+base+"/catalog/models/lookup HTTP/1.1\r\nHost: x\r\nAuthorization: "+valid+"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"na")
		_ = conn.Close()
	}
	if a := do(t, hs, "GET", base+"/catalog/models/4242?region=213", valid, "", ""); a.code != 200 {
		t.Fatalf("after abandoned requests: %d %s", a.code, a.raw)
	}
}

func TestUnknownProfilePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	New(Seed{Profile: "bogus"})
}
