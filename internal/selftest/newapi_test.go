package selftest

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// newAPI is the test-only Greeting API (testdata/greet): one folder, whose
// registry line is added to a copy of the project.
const newAPI = "greet"

// A new API is one folder and one line: a copy of the project with
// testdata/greet as suites/greet and the registry's line for it (with its
// import) passes the registry's tests, gets its spec list, runs through the
// main job's command against its reference servers in both profiles with
// --require-all, runs embedded in a caller's Ginkgo tree through
// conform.Suite, and enrols in the registry-driven self-tests.
func TestNewAPIIsOneFolderAndOneLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a copy of the project")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	copyProject(t, root, dir)
	if err := os.CopyFS(filepath.Join(dir, "suites", newAPI), os.DirFS(filepath.Join("testdata", newAPI))); err != nil {
		t.Fatal(err)
	}
	registry := filepath.Join(dir, "suites", "suites.go")
	before, err := os.ReadFile(registry)
	if err != nil {
		t.Fatal(err)
	}
	after := strings.Replace(string(before), "\tcontent.API,\n", "\tcontent.API,\n\t"+newAPI+".API,\n", 1)
	after = strings.Replace(after, "\t\"github.com/confsuite/apiconform/suites/content\"\n",
		"\t\"github.com/confsuite/apiconform/suites/content\"\n\t\"github.com/confsuite/apiconform/suites/"+newAPI+"\"\n", 1)
	if added := strings.Count(after, "\n") - strings.Count(string(before), "\n"); added != 2 {
		t.Fatalf("the registry's line and its import should add 2 lines to suites/suites.go, added %d: has its list changed shape?", added)
	}
	if err := os.WriteFile(registry, []byte(after), 0o644); err != nil {
		t.Fatal(err)
	}

	inCopy(t, dir, "go", "vet", "./suites/...")
	inCopy(t, dir, "go", "test", "-count=1", "./suites")
	out := inCopy(t, dir, "go", "test", "-count=1", "./internal/selftest", "-run", "^TestSpecListIsCurrent$", "-update")
	specs, err := os.ReadFile(filepath.Join(dir, "docs", "specs.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(specs), "## "+newAPI+" (2 specs)") || !strings.Contains(string(specs), "`greet.404.no_such_greeting/unknown-greeting`") {
		t.Fatalf("the spec list lacks the new API's specs:\n%s\n%s", out, specs)
	}

	// The main job's command, for the new API alone, in every profile.
	inCopy(t, dir, "go", "test", "-c", "-o", filepath.Join(dir, "bin", newAPI+".test"), "./suites/"+newAPI)
	out = inCopy(t, dir, "go", "run", "./cmd/conformance", "--apis", newAPI, "--bin", "bin", "--reports", "reports")
	summary := readSummary(t, filepath.Join(dir, "reports", "summary.json"))
	if len(summary) != 2 {
		t.Fatalf("want the default and variant runs of %s, got %v\n%s", newAPI, summary, out)
	}
	for profile, verdict := range summary {
		if verdict != "conformant" {
			t.Errorf("%s (%s profile): %s, want conformant\n%s", newAPI, profile, verdict, out)
		}
	}

	// Embedded in a caller's Ginkgo tree, by name.
	embed := filepath.Join(dir, "internal", "embedcheck")
	if err := os.MkdirAll(embed, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(embed, "embed_test.go"), []byte(embedTest), 0o644); err != nil {
		t.Fatal(err)
	}
	out = inCopy(t, dir, "go", "test", "-count=1", "-v", "./internal/embedcheck")
	if !strings.Contains(out, "greet: 2 documented rows: 2 conformant") {
		t.Fatalf("the embedded suite did not judge both rows conformant:\n%s", out)
	}

	// The registry-driven self-tests it enrols in.
	// Every self-test, the ones iterating the registry for the new API
	// alone (their subtests named for it), but not this one again.
	out = inCopy(t, dir, "go", "test", "-count=1", "-v", "./internal/selftest", "-run", "/^"+newAPI+"$", "-skip", "^TestNewAPIIsOneFolderAndOneLine$")
	for _, test := range []string{"TestRegistryAPIsHaveEveryPart/", "TestReferencePassesEveryRow/", "TestMutantsAreAllKilled/",
		"TestVariantProfilePassesEveryRowWithRequireAll/", "TestCorrectVariantsPass/"} {
		if want := "--- PASS: " + test + newAPI; !strings.Contains(out, want) {
			t.Errorf("the self-test did not pass for %s (no %q):\n%s", newAPI, want, tail(out))
		}
	}
}

const embedTest = `package embedcheck

import (
	"net/http/httptest"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/confsuite/apiconform/conform"
	"github.com/confsuite/apiconform/suites"
)

func TestEmbedded(t *testing.T) {
	RegisterFailHandler(Fail)
	handler, err := suites.Server("greet", "", false)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()
	conform.Suite("greet", conform.Settings{Target: srv.URL, Reports: t.TempDir()})
	RunSpecs(t, "embedded")
}
`

// copyProject copies the project's sources, without what builds and runs
// leave (bin, reports, .git), to dir.
func copyProject(t *testing.T, root, dir string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel == ".git" || rel == "bin" || rel == "reports" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), raw, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "reports"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// inCopy runs a command in the copy and returns its output; it fails the
// test when the command fails.
func inCopy(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s in the copy: %v\n%s\n…\n%s", name, strings.Join(args, " "), err, failures(out.String()), tail(out.String()))
	}
	return out.String()
}

// failures are the lines of a go test output that say what failed: each
// failed test and the messages logged at a file and line.
func failures(out string) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "--- FAIL") || failedAt.MatchString(l) {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

var failedAt = regexp.MustCompile(`\w+_test\.go:\d+: `)

// readSummary reads summary.json's runs: their verdict by profile.
func readSummary(t *testing.T, path string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Runs []struct {
			API, Profile, Verdict string
		} `json:"runs"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]string{}
	for _, r := range s.Runs {
		if r.API == newAPI {
			out[r.Profile] = r.Verdict
		}
	}
	return out
}
