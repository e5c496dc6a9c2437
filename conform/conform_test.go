package conform_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onsi/gomega"

	"github.com/confsuite/apiconform/conform"
	"github.com/confsuite/apiconform/internal/record"
	refcon "github.com/confsuite/apiconform/suites/content/refserver"
	reftel "github.com/confsuite/apiconform/suites/telephony/refserver"
)

func get(t *testing.T, url, auth string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestRowMatchersJudgeAnswers(t *testing.T) {
	g := gomega.NewWithT(t)
	tel := httptest.NewServer(reftel.New(reftel.DefaultSeed()))
	defer tel.Close()
	con := httptest.NewServer(refcon.New(refcon.DefaultSeed()))
	defer con.Close()

	g.Expect(get(t, tel.URL+"/api/ver1.0/client/1001/", "Bearer tel-blocked-token")).To(conform.TelephonyRow("tel.403.user_blocked"))
	g.Expect(get(t, tel.URL+"/api/ver1.0/client/1001/", "Bearer tel-admin-token")).To(conform.TelephonyRow("tel.get.200"))

	m := conform.TelephonyRow("tel.403.user_blocked")
	ok, err := m.Match(get(t, tel.URL+"/api/ver1.0/client/1001/", "Bearer tel-admin-token"))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(ok).To(gomega.BeFalse())
	g.Expect(m.FailureMessage(nil)).To(gomega.ContainSubstring("code: want HTTP 403, got 200"))
	g.Expect(m.FailureMessage(nil)).To(gomega.ContainSubstring("line 23"))

	missing := get(t, con.URL+"/v2/models/999999999?geo_id=213&format=xml", "content-key")
	g.Expect(missing).To(conform.ContentRow("con.404.not-found", conform.XML, map[string]string{"objectName": "Model"}))
	offer := get(t, con.URL+"/v2/models/999999999?geo_id=213", "content-key")
	g.Expect(offer).NotTo(conform.ContentRow("con.404.not-found", conform.JSON, map[string]string{"objectName": "Offer"}))

	_, err = conform.TelephonyRow("tel.999.nothing").Match(get(t, tel.URL+"/", ""))
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring("not a row")))

	// The conveniences are Row with the API's name.
	g.Expect(get(t, tel.URL+"/api/ver1.0/client/1001/", "Bearer tel-blocked-token")).To(conform.Row("telephony", "tel.403.user_blocked", ""))
	g.Expect(get(t, con.URL+"/v2/models/999999999?geo_id=213&format=xml", "content-key")).
		To(conform.Row("content", "con.404.not-found", conform.XML, map[string]string{"objectName": "Model"}))
	m = conform.Row("telephony", "tel.403.user_blocked", "")
	_, _ = m.Match(get(t, tel.URL+"/api/ver1.0/client/1001/", "Bearer tel-admin-token"))
	g.Expect(m.FailureMessage(nil)).To(gomega.ContainSubstring("suites/telephony/000_06a165e8fd570c61.txt, line 23"))

	_, err = conform.Row("fax", "fax.200", "").Match(get(t, tel.URL+"/", ""))
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring(`no API "fax"`)))
}

// A module of its own, as a vendor's would be, registers both suites in one
// Ginkgo tree with its own configuration, beside a spec of its own using a
// matcher, and runs them against the reference servers.
func TestAnotherModuleEmbedsBothSuites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module of its own")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	tel := httptest.NewServer(reftel.New(reftel.VariantSeed()))
	defer tel.Close()
	seed := refcon.DefaultSeed()
	seed.Fault = true
	con := httptest.NewServer(refcon.New(seed))
	defer con.Close()

	dir, reports := t.TempDir(), t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/vendor\n\ngo 1.26.8\n\nrequire (\n\tgithub.com/confsuite/apiconform v0.0.0\n" +
			"\tgithub.com/onsi/ginkgo/v2 v2.34.0\n\tgithub.com/onsi/gomega v1.44.0\n)\n\nreplace github.com/confsuite/apiconform => " + root + "\n",
		"go.sum": string(sum),
		"vendor_test.go": `package vendor_test

import (
	"net/http"
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/confsuite/apiconform/conform"
)

var _ = conform.Suite("telephony", conform.Settings{Target: os.Getenv("TEL"), Config: os.Getenv("TEL_CONFIG"), RequireAll: true, Reports: os.Getenv("REPORTS"), Record: os.Getenv("TEL_RECORD")})
var _ = conform.Content(conform.Settings{Target: os.Getenv("CON")})

var _ = Describe("our own checks", func() {
	It("blocks a blocked user", func() {
		req, _ := http.NewRequest("GET", os.Getenv("TEL")+"/pbx/v2/accounts/acme-01", nil)
		req.Header.Set("Authorization", "Bearer var-frozen-token-0003")
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		Expect(resp).To(conform.TelephonyRow("tel.403.user_blocked"))
	})
})

func TestVendor(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "vendor")
}
`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// First complete the module's go.mod and go.sum with the configured
	// proxy: on a fresh module cache the other module needs go.mod files this
	// module's own build never fetches (gojsonschema v1.2.0 predates graph
	// pruning, so its requirements, testify v1.3.0 among them, are loaded).
	// With a warm cache this sends nothing. The run itself then gets no proxy:
	// it must find everything in the cache. GOFLAGS is left as the caller set it
	// (-modcacherw for a temporary cache).
	tidy := exec.CommandContext(t.Context(), "go", "mod", "tidy")
	tidy.Dir = dir
	if out, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy in the other module: %v\n%s", err, tail(string(out)))
	}
	cmd := exec.CommandContext(t.Context(), "go", "test", "-mod=readonly", "-count=1", "-v", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off",
		"TEL="+tel.URL, "REPORTS="+reports, "TEL_RECORD="+filepath.Join(reports, "telephony.har"), "TEL_CONFIG="+filepath.Join(root, "fixtures", "telephony-variant.yaml"), "CON="+con.URL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the other module's suite failed: %v\n%s", err, tail(string(out)))
	}
	for _, want := range []string{"Ran 99 of 99 Specs", "0 Failed", "telephony: 26 documented rows: 26 conformant", "content: 13 documented rows: 13 conformant"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the other module's run lacks %q\n%s", want, tail(string(out)))
		}
	}
	run, err := record.Read(record.Path(reports, "telephony"))
	if err != nil {
		t.Fatalf("the embedded telephony suite wrote no record: %v", err)
	}
	if len(run.Specs) == 0 || run.Failed() {
		t.Errorf("the embedded telephony record has %d specs, failed %v", len(run.Specs), run.Failed())
	}
	for _, s := range run.Specs {
		if s.Outcome != record.Conformant {
			t.Errorf("embedded %s: %s", s.ID, s.Verdict)
		}
	}
	if run.Recording != filepath.Join(reports, "telephony.har") {
		t.Errorf("the embedded run names recording %q", run.Recording)
	}
	for _, name := range []string{"telephony.xml", "index.html", "summary.json", "telephony.har"} {
		if _, err := os.Stat(filepath.Join(reports, name)); err != nil {
			t.Errorf("the embedded run wrote no %s: %v", name, err)
		}
	}
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}
