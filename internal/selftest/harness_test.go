package selftest

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/confsuite/apiconform/internal/junit"
	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/suites"
)

// binDir holds the suites compiled once for every test of this package.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "apiconform-selftest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := build(dir)
	if code == 0 {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles the suite of every API in the registry. One without a
// suites/<name> folder is left out, for TestRegistryMatchesTheFolders to
// report.
func build(dir string) int {
	for _, a := range suites.All {
		pkg := "../../suites/" + a.Name
		if _, err := os.Stat(pkg); err != nil {
			fmt.Fprintf(os.Stderr, "build suite %s: %v (TestRegistryMatchesTheFolders)\n", a.Name, err)
			continue
		}
		cmd := exec.Command("go", "test", "-c", "-o", filepath.Join(dir, a.Name+".test"), pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "build suite %s: %v\n", a.Name, err)
			return 1
		}
	}
	return 0
}

// run is one run of a compiled suite, as a user would start it.
type run struct {
	Exit     int
	Output   string // stdout and stderr
	Reports  string // the folder the suite wrote its report to
	Report   junit.Summary
	Elapsed  time.Duration
	MaxRSSKB int64
	Requests int64 // requests the target received
}

// hardLimit is a backstop: a run that takes longer has hung, whatever the
// suite's own bounds say.
const hardLimit = 3 * time.Minute

// runSuite serves handler on loopback, runs the API's compiled suite against
// it with args, and reads back the report.
func runSuite(t *testing.T, api string, handler http.Handler, env []string, args ...string) run {
	t.Helper()
	var requests atomic.Int64
	// A handler that hangs waits on its request's context; net/http does not
	// end it for a request whose body was never read, so the run's end does.
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		go func() {
			select {
			case <-stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		handler.ServeHTTP(w, r.WithContext(ctx))
	}))
	defer srv.Close()
	defer srv.CloseClientConnections()
	defer close(stop)
	return runBinary(t, api, srv.URL, &requests, env, args...)
}

func runBinary(t *testing.T, api, target string, requests *atomic.Int64, env []string, args ...string) run {
	t.Helper()
	reports := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), hardLimit)
	defer cancel()
	all := append([]string{"--target=" + target, "--reports=" + reports, "--ginkgo.no-color"}, args...)
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, api+".test"), all...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	r := run{Output: out.String(), Reports: reports, Elapsed: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("the %s suite did not finish within %s: it hung\n%s", api, hardLimit, tail(r.Output))
	}
	if err != nil {
		exitErr, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run %s suite: %v", api, err)
		}
		r.Exit = exitErr.ExitCode()
	}
	if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSSKB = u.Maxrss
	}
	if requests != nil {
		r.Requests = requests.Load()
	}
	if s, err := junit.Read(filepath.Join(reports, api+".xml")); err == nil && len(s) == 1 {
		r.Report = s[0]
	} else {
		t.Fatalf("the %s suite left no readable report (exit %d): %v\n%s", api, r.Exit, err, tail(r.Output))
	}
	return r
}

// texts are everything a run wrote, by where: its output, and each file
// under its reports folder.
func (r run) texts() map[string]string {
	texts := map[string]string{"output": r.Output}
	_ = filepath.WalkDir(r.Reports, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			raw, _ := os.ReadFile(p)
			texts[p] = string(raw)
		}
		return nil
	})
	return texts
}

// failedRows lists the catalog rows (classname api.<row>) with a failed case.
func (r run) failedRows() map[string][]string {
	out := map[string][]string{}
	for _, c := range r.Report.Results {
		if c.Outcome == "failed" || c.Outcome == "error" {
			_, row, _ := strings.Cut(c.Classname, ".")
			out[row] = append(out[row], c.Name)
		}
	}
	return out
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

// newServer serves h on loopback for the test and returns its URL.
func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	return srv.URL
}

// suiteCommand is the API's compiled suite with args, bounded by the test.
func suiteCommand(t *testing.T, api string, args ...string) *exec.Cmd {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), hardLimit)
	t.Cleanup(cancel)
	return exec.CommandContext(ctx, filepath.Join(binDir, api+".test"), append(args, "--ginkgo.no-color")...)
}

// configFile writes the configuration src to a folder of the test's, with
// extra YAML added at its end, beside every file of src's folder (the files
// it names), and returns its path for --config.
func configFile(t *testing.T, src target.Source, extra string) string {
	t.Helper()
	raw := src.Raw
	if raw == nil {
		var err error
		if raw, err = fs.ReadFile(src.Dir, src.File); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	if src.Dir != nil {
		if err := os.CopyFS(dir, src.Dir); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, filepath.Base(src.File))
	if src.File == "" {
		path = filepath.Join(dir, "config.yaml")
	}
	if err := os.WriteFile(path, append(append([]byte{}, raw...), extra...), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// profileArgs are the suite's arguments for an API's reference profile:
// none for the default (the suite's built-in configuration), the
// profile's configuration and --require-all for any other, as make
// conformance runs them.
func profileArgs(t *testing.T, a *suite.API, p suite.Profile) []string {
	t.Helper()
	var args []string
	if p.Name != a.Profiles[0].Name {
		args = append(args, "--config="+configFile(t, p.Config, ""), "--require-all")
	}
	return args
}

// leftovers is what a reference server says is still on it, where it
// keeps count (an API that creates nothing does not).
func leftovers(h http.Handler) []string {
	if c, ok := h.(interface{ Created() []string }); ok {
		return c.Created()
	}
	return nil
}

// reference is the named API's default reference server with its fault
// trigger on, as make conformance runs it (suites.Server).
func reference(api string) http.Handler {
	h, err := suites.Server(api, "", true)
	if err != nil {
		panic(err) // a test names an API the registry lacks
	}
	return h
}
