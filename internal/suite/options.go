// Package suite is what every API suite shares: the command-line options, the
// environment a spec runs in (client, reading, skips, cleanup), turning
// cases into Ginkgo specs, and writing the JUnit report.
//
// What an API's rows are is in internal/catalog; how to provoke them is in
// suites/<api>; what a conforming answer looks like is in internal/check.
package suite

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/runner"
)

// Options are a run's settings, from flags.
type Options struct {
	Target     string
	Config     string
	Reports    string
	Timeout    time.Duration
	RunTimeout time.Duration
	MaxBody    int64
	CAFile     string
	Insecure   bool
	Reading    string
	RequireAll bool
	Rate       float64
	// MaxTransportFailures is how many requests in a row may get no answer
	// before every later one fails at once as unreachable.
	MaxTransportFailures int
}

// RegisterFlags declares the options on fs; call it at package level in a
// suite's test file so `ginkgo -- --target=URL` and `x.test --target=URL`
// both work. A command line that cannot be parsed (a misspelt flag, a bad
// value) still leaves the API's report, saying so, in place of an earlier
// run's.
func RegisterFlags(fs *flag.FlagSet, api string) *Options {
	o := &Options{}
	usage := fs.Usage
	fs.Usage = func() {
		if usage != nil {
			usage()
		}
		if !askedForHelp(os.Args[1:]) {
			refuseFlags(api, reportsFlag(os.Args[1:], o.Reports))
		}
	}
	fs.StringVar(&o.Target, "target", os.Getenv("APICONFORM_TARGET"), "base URL of the API under test (env APICONFORM_TARGET)")
	fs.StringVar(&o.Config, "config", os.Getenv("APICONFORM_CONFIG"), "target configuration file (env APICONFORM_CONFIG; default: the built-in reference server's, fixtures/<api>.yaml)")
	fs.StringVar(&o.Reports, "reports", defaultReports(), "folder the JUnit report is written to (default: reports/ of this project when run inside it, else ./reports)")
	fs.DurationVar(&o.Timeout, "timeout", runner.DefaultTimeout, "bound on one request, from connecting to the last body byte")
	fs.DurationVar(&o.RunTimeout, "run-timeout", runner.DefaultRunTimeout, "bound on all requests of the run together")
	fs.Int64Var(&o.MaxBody, "max-body", runner.DefaultMaxBody, "most bytes of a response body read; a longer body fails its spec")
	fs.StringVar(&o.CAFile, "ca-file", "", "PEM file of CA certificates to trust for an https target")
	fs.BoolVar(&o.Insecure, "insecure", false, "do not verify the target's TLS certificate (announced in the output and the report)")
	fs.StringVar(&o.Reading, "reading", string(check.Strict), "how to read the points the pages leave open: strict or lenient (docs/decisions.md)")
	fs.IntVar(&o.MaxTransportFailures, "max-transport-failures", runner.DefaultMaxTransportFailures, "requests in a row that may get no answer (timeouts, resets) before the target counts as unreachable and the remaining specs fail at once")
	fs.Float64Var(&o.Rate, "rate", 0, "pace every request of the run to this many a second, shared by all processes (default: the configuration's rate, else unpaced)")
	fs.BoolVar(&o.RequireAll, "require-all", false, "fail, instead of skip, every spec the configuration cannot drive (for release gates)")
	return o
}

// defaultReports is the project's reports/ folder when the suite runs inside
// the project (go test and ginkgo run it from the package's folder), and
// ./reports anywhere else (a compiled suite on a vendor's machine).
func defaultReports() string {
	dir, err := os.Getwd()
	if err != nil {
		return "reports"
	}
	for d := dir; ; d = filepath.Dir(d) {
		if mod, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			if strings.HasPrefix(string(mod), "module "+modulePath+"\n") {
				return filepath.Join(d, "reports")
			}
			return "reports"
		}
		if filepath.Dir(d) == d {
			return "reports"
		}
	}
}

const modulePath = "github.com/confsuite/apiconform"

// validate checks the options that need no network, naming the flag.
func (o *Options) validate() (check.Reading, error) {
	if o.Target == "" {
		return "", fmt.Errorf("--target: required: the base URL of the API under test")
	}
	reading, err := check.ParseReading(o.Reading)
	if err != nil {
		return "", fmt.Errorf("--reading: %w", err)
	}
	if o.Rate < 0 {
		return "", fmt.Errorf("--rate: must not be negative")
	}
	if o.MaxTransportFailures <= 0 {
		return "", fmt.Errorf("--max-transport-failures: must be positive")
	}
	if o.Timeout <= 0 || o.RunTimeout <= 0 || o.MaxBody <= 0 {
		return "", fmt.Errorf("--timeout, --run-timeout and --max-body must be positive")
	}
	return reading, nil
}

func askedForHelp(args []string) bool {
	for _, a := range args {
		switch strings.TrimLeft(a, "-") {
		case "h", "help":
			return true
		}
	}
	return false
}

// reportsFlag is the last --reports value of a command line the flag
// package could not finish parsing, or fallback.
func reportsFlag(args []string, fallback string) string {
	found := fallback
	for i, a := range args {
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case name != "reports" || !strings.HasPrefix(a, "-"):
		case hasValue:
			found = value
		case i+1 < len(args):
			found = args[i+1]
		}
	}
	return found
}
