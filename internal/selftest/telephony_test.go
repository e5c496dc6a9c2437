package selftest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/confsuite/apiconform/internal/mutant"
	reftel "github.com/confsuite/apiconform/suites/telephony/refserver"
)

func validateJUnit(t *testing.T, report string) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint is not installed (make tools installs it): cannot check the report against the JUnit schema")
	}
	out, err := exec.Command("xmllint", "--noout", "--schema", "../junit/testdata/junit-10.xsd", report).CombinedOutput()
	if err != nil {
		t.Fatalf("report %s is not valid JUnit: %v\n%s", report, err, out)
	}
}

// Recognisable secret values, passed the way a user would: environment
// variables named in the configuration file.
var telephonySecrets = map[string]string{
	"valid": "SECRET-valid-41f7", "expired": "SECRET-expired-9a2c", "blocked_user": "SECRET-blocked-77d1",
	"low_user_access": "SECRET-readonly-3e8b", "low_app_access": "SECRET-lowapp-c05e", "rate_limit": "SECRET-rate-5b9f",
	"invalid": "SECRET-invalid-e1d4",
}

// secretDeployment is the reference server with the secrets above as its
// tokens, and a configuration that reads them from the environment.
func secretDeployment(t *testing.T) (*reftel.Server, string, []string) {
	t.Helper()
	roles := map[string]string{
		"tel-admin-token": "valid", "tel-expired-token": "expired", "tel-blocked-token": "blocked_user",
		"tel-readonly-token": "low_user_access", "tel-lowapp-token": "low_app_access", "tel-rate-token": "rate_limit",
	}
	tokens := map[string]reftel.Token{}
	for old, tok := range reftel.DefaultSeed().Tokens {
		if role, ok := roles[old]; ok {
			tokens[telephonySecrets[role]] = tok
		}
	}
	path, env := secretConfig(t, "telephony.yaml", telephonySecrets, "prompt.wav", "not-audio.txt")
	return reftel.New(reftel.Seed{Tokens: tokens}), path, env
}

// secretConfig copies a fixture configuration, with each secret key written
// as ${NAME} and NAME set to the secret's value in the returned environment.
func secretConfig(t *testing.T, fixture string, secrets map[string]string, files ...string) (string, []string) {
	t.Helper()
	raw, err := os.ReadFile("../../fixtures/" + fixture)
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(raw)
	var env []string
	for key, value := range secrets {
		name := "APICONFORM_TEST_" + strings.ToUpper(key)
		env = append(env, name+"="+value)
		cfg = replaceKey(t, cfg, key, "${"+name+"}")
	}
	dir := t.TempDir()
	for _, f := range files {
		copyFile(t, filepath.Join("../../fixtures/files", f), filepath.Join(dir, "files", f))
	}
	path := filepath.Join(dir, fixture)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, env
}

func replaceKey(t *testing.T, cfg, key, value string) string {
	t.Helper()
	lines := strings.Split(cfg, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "  "+key+":") {
			lines[i] = "  " + key + ": " + value
			return strings.Join(lines, "\n")
		}
	}
	t.Fatalf("fixture has no key %s", key)
	return ""
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	raw, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// assertNoSecret fails when any secret value appears in the output or in
// any file under the reports folder.
func assertNoSecret(t *testing.T, r run, secrets map[string]string) {
	t.Helper()
	for where, text := range r.texts() {
		for role, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("secret credentials.%s appears in %s", role, where)
			}
		}
	}
}

func TestTelephonySecretsStayOutOfReportsAndOutput(t *testing.T) {
	srv, cfg, env := secretDeployment(t)
	// Verbose, so every exchange is printed, passed or not.
	r := runSuite(t, "telephony", srv, env, "--config="+cfg, "--ginkgo.v")
	if r.Exit != 0 {
		t.Fatalf("exit %d\n%s", r.Exit, tail(r.Output))
	}
	if !strings.Contains(r.Output, "[redacted:credentials.valid]") {
		t.Fatalf("the verbose output shows no redacted exchange: the check would prove nothing\n%s", tail(r.Output))
	}
	assertNoSecret(t, r, telephonySecrets)
	if left := srv.Created(); len(left) > 0 {
		t.Errorf("the suite left behind: %v", left)
	}
}

func TestTelephonyCleansUpWhenSpecsFail(t *testing.T) {
	// Every create answers 200 instead of 201: the specs that create fail,
	// and whatever they created must still be removed.
	srv := reftel.New(reftel.DefaultSeed())
	broken := mutant.Rewrite(srv, func(req mutant.Request, resp *mutant.Response) {
		if resp.Code == 201 {
			resp.Code = 200
		}
	})
	r := runSuite(t, "telephony", broken, nil)
	if r.Exit == 0 || r.Report.Failures == 0 {
		t.Fatalf("the broken target passed: exit %d\n%s", r.Exit, tail(r.Output))
	}
	if left := srv.Created(); len(left) > 0 {
		t.Errorf("after failing specs the suite left behind: %v", left)
	}
}

func TestTelephonyRunWithNoSpecFails(t *testing.T) {
	r := runSuite(t, "telephony", reftel.New(reftel.DefaultSeed()), nil, "--ginkgo.label-filter=no-such-label")
	if r.Exit == 0 {
		t.Fatalf("a run in which no spec ran exited 0\n%s", tail(r.Output))
	}
	if !strings.Contains(r.Output, "no spec ran") {
		t.Errorf("the output should say no spec ran\n%s", tail(r.Output))
	}
	validateJUnit(t, filepath.Join(r.Reports, "telephony.xml"))
}

func TestTelephonyLabelsSelectRows(t *testing.T) {
	r := runSuite(t, "telephony", reftel.New(reftel.DefaultSeed()), nil, "--ginkgo.label-filter=http-403")
	if r.Exit != 0 || r.Report.Passed != 4 {
		t.Fatalf("want the four 403 specs to run and pass, got exit %d, %+v", r.Exit, r.Report)
	}
}

func TestTelephonyConfigurationErrorStopsBeforeAnyRequest(t *testing.T) {
	for name, c := range map[string]struct{ cfg, names string }{
		"unknown key":   {"credentials:\n  valid: some-token-1\nvars:\n  client: '1'\n  cliet: '2'\n", "vars.cliet"},
		"missing token": {"vars:\n  client: '1'\n", "credentials.valid"},
		"wrong type":    {"credentials:\n  valid: some-token-1\nvars:\n  client: '1'\nlimits:\n  max_created: many\n", "limits.max_created"},
		"unset env":     {"credentials:\n  valid: ${APICONFORM_TEST_UNSET_VARIABLE}\nvars:\n  client: '1'\n", "APICONFORM_TEST_UNSET_VARIABLE"},
	} {
		cfg := c.cfg
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "telephony.yaml")
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			r := runSuite(t, "telephony", reftel.New(reftel.DefaultSeed()), nil, "--config="+path)
			if r.Exit != 2 || r.Requests != 0 {
				t.Fatalf("want exit 2 and no request, got exit %d and %d requests\n%s", r.Exit, r.Requests, tail(r.Output))
			}
			if r.Report.Errors != 1 {
				t.Errorf("the report should hold one errored [configuration] case: %+v", r.Report)
			}
			if !strings.Contains(r.Output, c.names) {
				t.Errorf("the error does not name %s\n%s", c.names, tail(r.Output))
			}
			validateJUnit(t, filepath.Join(r.Reports, "telephony.xml"))
		})
	}
}

// Mistakes found only by knowing the probes stop the run too, naming the key.
func TestTelephonyConfigurationMistakesNameTheKey(t *testing.T) {
	fixture, err := os.ReadFile("../../fixtures/telephony.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Abs("../../fixtures/files")
	base := strings.ReplaceAll(string(fixture), "files/", files+"/")
	for extra, want := range map[string]string{
		"requests:\n  tel.403.access_denied/create_extension: {path: /x}\n": "requests.tel.403.access_denied/create_extension: no probe of row tel.403.access_denied sends the step create_extension",
		"requests:\n  tel.999.nothing/foreign_client: {path: /x}\n":         "tel.999.nothing is not a row",
		"requests:\n  create_extension: {creates: user}\n":                  "requests.create_extension.creates: \"user\": the suite has no step remove_user",
		"retry: {attempts: 3, max_wait: 11}\n":                              "retry.max_wait (line",
	} {
		path := filepath.Join(t.TempDir(), "telephony.yaml")
		if err := os.WriteFile(path, []byte(base+extra), 0o600); err != nil {
			t.Fatal(err)
		}
		r := runSuite(t, "telephony", reftel.New(reftel.DefaultSeed()), nil, "--config="+path)
		if r.Exit != 2 || r.Requests != 0 || !strings.Contains(r.Output, want) {
			t.Errorf("%s: want exit 2, no request and %q, got exit %d, %d requests\n%s", extra, want, r.Exit, r.Requests, tail(r.Output))
		}
	}
}

func TestTelephonyRequireAllFailsWhatConfigurationCannotDrive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telephony.yaml")
	cfg := "credentials:\n  valid: tel-admin-token\nvars:\n  client: '1001'\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	lenient := runSuite(t, "telephony", reftel.New(reftel.DefaultSeed()), nil, "--config="+path)
	if lenient.Exit != 0 || lenient.Report.Skipped == 0 {
		t.Fatalf("want skips and exit 0 without --require-all, got exit %d %+v", lenient.Exit, lenient.Report)
	}
	validateJUnit(t, filepath.Join(lenient.Reports, "telephony.xml"))
	for _, c := range lenient.Report.Results {
		if c.Outcome == "skipped" && !strings.Contains(c.Message, "configuration key") {
			t.Errorf("skip of %q does not name the missing key: %q", c.Name, c.Message)
		}
	}
	strict := runSuite(t, "telephony", reftel.New(reftel.DefaultSeed()), nil, "--config="+path, "--require-all")
	if strict.Exit == 0 || strict.Report.Skipped != 0 || strict.Report.Failures != 0 || strict.Report.Errors != lenient.Report.Skipped {
		t.Fatalf("--require-all should turn every skip into an error of the run, and none into a failure: exit %d %+v", strict.Exit, strict.Report)
	}
	// The rows stay not checked, naming the key: the target did nothing wrong.
	if strings.Contains(strict.Output, "NOT CONFORMANT") || !strings.Contains(strict.Output, "not checked: set credentials.blocked_user") {
		t.Errorf("under --require-all an unset key must read not checked, naming it\n%s", tail(strict.Output))
	}
}

// A deployment whose creates answer 200 instead of 201 breaks POST 201
// alone: the rows that only needed something created read not checked,
// pointing to POST 201, and none reads not conformant for it.
func TestCreateAnswering200BlamesPostAlone(t *testing.T) {
	srv := mutant.Rewrite(reftel.New(reftel.DefaultSeed()), func(req mutant.Request, r *mutant.Response) {
		if req.Method == http.MethodPost && r.Code == http.StatusCreated {
			r.Code = http.StatusOK
		}
	})
	r := runSuite(t, "telephony", srv, nil)
	if r.Exit != 1 {
		t.Fatalf("want exit 1, got %d\n%s", r.Exit, tail(r.Output))
	}
	rows := regexp.MustCompile(`(?m)^  (\S.*?)\s{2,}(NOT CONFORMANT|not checked.*|conformant.*)$`).FindAllStringSubmatch(r.Output, -1)
	if len(rows) == 0 {
		t.Fatalf("no row verdicts in the output\n%s", tail(r.Output))
	}
	for _, m := range rows {
		row, verdict := m[1], m[2]
		switch {
		case row == "POST 201":
			if verdict != "NOT CONFORMANT" {
				t.Errorf("POST 201 reads %q", verdict)
			}
		case row == "GET 200" || row == "PUT 200" || row == "DELETE 204" || row == "400 email_duplicate" || row == "400 already_exists":
			if !strings.HasPrefix(verdict, "not checked") || !strings.Contains(verdict, "see POST 201") {
				t.Errorf("%s reads %q, want not checked, pointing to POST 201", row, verdict)
			}
		case verdict == "NOT CONFORMANT":
			t.Errorf("%s reads NOT CONFORMANT, though only the create's code is wrong", row)
		}
	}
}

// Collision probes given existing data send the colliding request alone,
// and their names say so; the limit probe on a client of its own runs too.
func TestTelephonyCollisionsAgainstExistingData(t *testing.T) {
	srv := reftel.New(reftel.DefaultSeed())
	againstExisting(t, srv, `{name: reception, limit_client: "1001"}`, "tel.400.already_exists || tel.400.limit_exceeded",
		"[against existing.name]", "[on existing.limit_client]")
	if left := srv.Created(); len(left) > 0 {
		t.Errorf("left on the server: %v", left)
	}
}

// againstExisting runs the two specs filter selects with the reference
// configuration plus existing, wants both passed, each named as given.
func againstExisting(t *testing.T, srv http.Handler, existing, filter string, names ...string) run {
	t.Helper()
	fixture, err := os.ReadFile("../../fixtures/telephony.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Abs("../../fixtures/files")
	cfg := filepath.Join(t.TempDir(), "telephony.yaml")
	text := strings.ReplaceAll(string(fixture), "files/", files+"/") + "existing: " + existing + "\n"
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runSuite(t, "telephony", srv, nil, "--config="+cfg, "--ginkgo.label-filter="+filter)
	if r.Exit != 0 || r.Report.Passed != 2 {
		t.Fatalf("want both specs passed: exit %d %+v\n%s", r.Exit, r.Report, tail(r.Output))
	}
	all := ""
	for _, c := range r.Report.Results {
		all += c.Name + "\n"
	}
	for _, want := range names {
		if !strings.Contains(all, want) {
			t.Errorf("no spec named %q:\n%s", want, all)
		}
	}
	return r
}

// A client at its limit and a client with an archive pending, named as
// existing data, are collided with by one request each.
func TestTelephonyLimitAndArchiveAgainstExistingData(t *testing.T) {
	srv := reftel.New(reftel.DefaultSeed())
	do := func(method, path, body string) int {
		req := httptest.NewRequest(method, "/api/ver1.0/client/1001/"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tel-admin-token")
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec.Code
	}
	for i := 0; do("POST", "extension/", fmt.Sprintf(`{"name":"full-%d","type":"phone"}`, i)) == 201; i++ {
	}
	if code := do("POST", "record/archive/", `{"start_datetime":"2026-01-01 00:00:00","end_datetime":"2026-01-31 23:59:59"}`); code != 201 {
		t.Fatalf("the archive request answered %d", code)
	}
	r := againstExisting(t, srv, `{full_client: "1001", archive_client: "1001"}`, "tel.400.limit_exceeded || tel.400.archive_already_requested",
		"[against existing.full_client]", "[against existing.archive_client]")
	if r.Requests != 3 {
		t.Errorf("want the preflight and one request each, got %d requests", r.Requests)
	}
}
