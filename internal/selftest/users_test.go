package selftest

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/confsuite/apiconform/internal/mutant"
	reftel "github.com/confsuite/apiconform/suites/telephony/refserver"
)

// A baseline of known failures: the run passes when only they fail, fails
// on any other, and says which entries are stale (failing the run under
// --strict-baseline).
func TestBaselineGatesOnNewFailuresOnly(t *testing.T) {
	baseline := filepath.Join(t.TempDir(), "baseline.yaml")
	if err := os.WriteFile(baseline, []byte("- id: tel.403.user_blocked/blocked-user-s-token\n  reason: vendor ticket 42\n  expires: 2999-01-01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	breaking := func(rows ...string) http.Handler {
		return mutant.Rewrite(reftel.New(reftel.DefaultSeed()), func(req mutant.Request, r *mutant.Response) {
			for _, status := range rows {
				if v, _ := mutant.JSONField(r.Body, "status"); v == status {
					r.Code, r.Body = http.StatusOK, []byte(`{}`)
				}
			}
		})
	}
	known := runSuite(t, "telephony", breaking("user_blocked"), nil, "--baseline="+baseline)
	if known.Exit != 0 || known.Report.Failures != 0 {
		t.Fatalf("only a known failure failed, yet exit %d %+v\n%s", known.Exit, known.Report, tail(known.Output))
	}
	baselined := false
	for _, c := range known.Report.Results {
		baselined = baselined || c.Outcome == "baselined" && strings.Contains(c.Message, "vendor ticket 42")
	}
	if !baselined {
		t.Errorf("the report does not show the known failure as baselined")
	}
	validateJUnit(t, filepath.Join(known.Reports, "telephony.xml"))

	other := runSuite(t, "telephony", breaking("user_blocked", "access_denied"), nil, "--baseline="+baseline)
	if other.Exit != 1 || other.Report.Failures != 1 {
		t.Errorf("a failure outside the baseline must fail the run: exit %d %+v", other.Exit, other.Report)
	}

	stale := runSuite(t, "telephony", reftel.New(reftel.DefaultSeed()), nil, "--baseline="+baseline)
	if stale.Exit != 0 || !strings.Contains(stale.Output, "is stale") {
		t.Errorf("a stale entry should be reported without failing: exit %d\n%s", stale.Exit, tail(stale.Output))
	}
	strict := runSuite(t, "telephony", reftel.New(reftel.DefaultSeed()), nil, "--baseline="+baseline, "--strict-baseline")
	if strict.Exit != 1 || strict.Report.Failures != 0 || strict.Report.Errors != 1 {
		t.Errorf("--strict-baseline must fail the run on a stale entry, as an error, not a failure: exit %d %+v", strict.Exit, strict.Report)
	}
	// The answer was right: the row reads conformant.
	if !regexp.MustCompile(`403 user_blocked\s+conformant`).MatchString(strict.Output) {
		t.Errorf("--strict-baseline: the row of a stale entry must read conformant\n%s", tail(strict.Output))
	}
}

// --list needs no target and says which specs a configuration cannot drive.
func TestListNeedsNoTarget(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "partial.yaml")
	if err := os.WriteFile(cfg, []byte("credentials: {valid: some-token-1}\nvars: {client: '1'}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := suiteCommand(t, "telephony", "--list", "--config="+cfg)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("--list: %v\n%s", err, out)
	}
	for _, want := range []string{"tel.403.user_blocked/blocked-user-s-token", "skips: set credentials.blocked_user", "tel.404.none/unknown-path", "runs"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("--list lacks %q\n%s", want, out)
		}
	}
}

// --label-filter='!writes' sends nothing but reads: a production endpoint
// can be checked without being touched.
func TestReadOnlySelectionSendsOnlyReads(t *testing.T) {
	var writes atomic.Int64
	srv := reftel.New(reftel.DefaultSeed())
	counting := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writes.Add(1)
		}
		srv.ServeHTTP(w, r)
	})
	r := runSuite(t, "telephony", counting, nil, "--ginkgo.label-filter=!writes")
	if r.Exit != 0 || r.Report.Passed == 0 {
		t.Fatalf("exit %d %+v\n%s", r.Exit, r.Report, tail(r.Output))
	}
	if n := writes.Load(); n != 0 {
		t.Errorf("a read-only selection sent %d requests that are not reads", n)
	}
}

// go test and the ginkgo CLI run a suite from its package folder: a
// relative --config given from the project root still means the file
// there, and a missing one names every place tried.
func TestRelativeConfigMeansWhatTheUserMeant(t *testing.T) {
	srv := newServer(t, reftel.New(reftel.VariantSeed()))
	cmd := suiteCommand(t, "telephony", "--target="+srv, "--config=fixtures/telephony-variant.yaml", "--reports="+t.TempDir(), "--require-all")
	cmd.Dir = "../../suites/telephony"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("a relative --config from the project root failed: %v\n%s", err, tail(string(out)))
	}
	cmd = suiteCommand(t, "telephony", "--target="+srv, "--config=no-such.yaml", "--reports="+t.TempDir())
	cmd.Dir = "../../suites/telephony"
	out, _ := cmd.CombinedOutput()
	root, _ := filepath.Abs("../..")
	for _, want := range []string{filepath.Join(root, "suites/telephony/no-such.yaml"), filepath.Join(root, "no-such.yaml")} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the error does not name %s\n%s", want, out)
		}
	}
}
