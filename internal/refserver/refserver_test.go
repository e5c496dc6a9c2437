package refserver

import (
	"flag"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNewProfiles(t *testing.T) {
	for _, tc := range []struct {
		api, profile, path, auth string
		code                     int
	}{
		{"telephony", "", "/api/ver1.0/client/1001/", "Bearer tel-admin-token", 200},
		{"telephony", "default", "/api/ver1.0/client/1001/", "Bearer tel-admin-token", 200},
		{"telephony", "variant", "/pbx/v2/accounts/acme-01", "Bearer var-owner-token-0001", 200},
		{"telephony", "variant", "/api/ver1.0/client/1001/", "Bearer tel-admin-token", 401},
		{"content", "", "/v2/models/1722193751?geo_id=213", "content-key", 200},
		{"content", "variant", "/market/v3/catalog/models/4242?region=213", "var-content-key-0001", 200},
		{"content", "variant", "/market/v3/catalog/models/13?region=213", "var-content-key-0001", 500},
	} {
		h, err := New(tc.api, &Options{Profile: tc.profile, Fault: true})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", tc.path, nil)
		req.Header.Set("Authorization", tc.auth)
		req.RemoteAddr = "127.0.0.1:40000" // the default content keys are bound to loopback
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.code {
			t.Errorf("%s %q %s: %d, want %d", tc.api, tc.profile, tc.path, rec.Code, tc.code)
		}
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New("telephony", &Options{Profile: "staging"}); err == nil || !strings.Contains(err.Error(), "default|variant") {
		t.Fatalf("unknown profile: %v", err)
	}
	if _, err := New("fax", nil); err == nil {
		t.Fatal("unknown api accepted")
	}
	if h, err := New("telephony", nil); err != nil || h == nil {
		t.Fatalf("nil options: %v", err)
	}
}

func TestRegisterFlags(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	o := RegisterFlags(fs)
	if err := fs.Parse([]string{"--profile", "variant", "--fault"}); err != nil {
		t.Fatal(err)
	}
	if o.Profile != "variant" || !o.Fault {
		t.Fatalf("%+v", o)
	}
}
