package launch

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
)

// Settings are a run's settings: what the flags of the same names set
// (README, "Flags"), and what a suite embedded in a caller's Ginkgo tree is
// given (conform.Settings is this type); left empty, each takes its flag's
// default.
type Settings struct {
	Target  string
	Config  string
	Reports string
	Timeout time.Duration
	// MinUploadRate is the slowest link, in bytes a second, a request body
	// is given time for on top of Timeout.
	MinUploadRate int64
	RunTimeout    time.Duration
	MaxBody       int64
	CAFile        string
	Insecure      bool
	Reading       string
	RequireAll    bool
	Rate          float64
	// MaxTransportFailures is how many requests in a row may get no answer
	// before every later one fails at once as unreachable.
	MaxTransportFailures int
	Proxy                string
	Baseline             string
	StrictBaseline       bool
	Record               string // the HAR file every exchange is written to (--record)
	Replay               string // the HAR file whose answers are judged instead of a target's (--replay)
}

// Options are the command line: a run's settings, and the commands that
// only print.
type Options struct {
	Settings
	List          bool
	Version       bool
	Help          bool
	PrintDefaults bool          // print the API's embedded defaults: every configuration key
	own           *flag.FlagSet // the suite's own flags alone, for --help-conformance
}

// RegisterFlags declares the options on fs; call it at package level in a
// suite's test file so `ginkgo -- --target=URL` and `x.test --target=URL`
// both work. A command line that cannot be parsed (a misspelt flag, a bad
// value) still leaves the API's report, saying so, in place of an earlier
// run's.
func RegisterFlags(fs *flag.FlagSet, api *suite.API) *Options {
	o := &Options{}
	usage := fs.Usage
	// The flag package has printed what is wrong; --help gets every flag
	// (Ginkgo's and Go's too, some 230 lines), a mistake a pointer to the
	// suite's own and, for a Ginkgo or Go test flag given after -- without
	// its prefix, how to spell it.
	fs.Usage = func() {
		args := os.Args[1:]
		if askedForHelp(args) {
			if usage != nil {
				usage()
			} else {
				fs.PrintDefaults()
			}
			return
		}
		out := fs.Output()
		for _, a := range args {
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if !strings.HasPrefix(a, "-") || name == "" || fs.Lookup(name) != nil {
				continue
			}
			dashes := a[:len(a)-len(strings.TrimLeft(a, "-"))]
			switch {
			case fs.Lookup("ginkgo."+name) != nil:
				fmt.Fprintf(out, "%s%s is a Ginkgo flag: spell it --ginkgo.%s here (the ginkgo CLI takes it before --)\n", dashes, name, name)
			case fs.Lookup("test."+name) != nil:
				fmt.Fprintf(out, "%s%s is a go test flag: spell it --test.%s here (go test takes it before -args)\n", dashes, name, name)
			}
			break
		}
		fmt.Fprintln(out, "--help-conformance lists the suite's own flags (--help lists every flag)")
		refuseFlags(api, reportsFlag(args, o.Reports), badFlag(fs, args))
	}
	own := flag.NewFlagSet("apiconform", flag.ContinueOnError)
	own.StringVar(&o.Target, "target", os.Getenv("APICONFORM_TARGET"), "base URL of the API under test (env APICONFORM_TARGET)")
	own.StringVar(&o.Config, "config", os.Getenv("APICONFORM_CONFIG"), "target configuration file (env APICONFORM_CONFIG; default: the built-in reference server's, fixtures/<api>.yaml)")
	own.StringVar(&o.Reports, "reports", defaultReports(), "folder the record, the JUnit report and index.html are written to (env APICONFORM_REPORTS): reports/ of this project when run inside it, else ./reports")
	own.DurationVar(&o.Timeout, "timeout", runner.DefaultTimeout, "bound on one request, from connecting to the last body byte")
	own.Int64Var(&o.MinUploadRate, "min-upload-rate", runner.DefaultMinUploadRate, "bytes a second: a request with a body may take --timeout plus its body's size at this rate (the 10 MB probe over a slow link)")
	own.DurationVar(&o.RunTimeout, "run-timeout", runner.DefaultRunTimeout, "bound on all requests of the run together")
	own.Int64Var(&o.MaxBody, "max-body", runner.DefaultMaxBody, "most bytes of a response body read; a longer body fails its spec")
	own.StringVar(&o.CAFile, "ca-file", "", "PEM file of CA certificates to trust for an https target")
	own.BoolVar(&o.Insecure, "insecure", false, "do not verify the target's TLS certificate (announced in the output and the report)")
	own.StringVar(&o.Reading, "reading", string(check.Strict), "how to read the points the pages leave open: strict or lenient (docs/decisions.md)")
	own.IntVar(&o.MaxTransportFailures, "max-transport-failures", runner.DefaultMaxTransportFailures, "requests in a row that may get no answer (timeouts, resets) before the target counts as unreachable and the remaining specs fail at once")
	own.Float64Var(&o.Rate, "rate", 0, "pace every request of the run to this many a second, shared by all processes (default: the configuration's rate, else unpaced)")
	own.BoolVar(&o.RequireAll, "require-all", false, "fail, instead of skip, every spec the configuration cannot drive (for release gates)")
	own.StringVar(&o.Proxy, "proxy", "", "HTTP proxy URL for every request (default: HTTPS_PROXY, HTTP_PROXY and NO_PROXY from the environment)")
	own.StringVar(&o.Baseline, "baseline", "", "YAML file of known failures by spec id, each with a reason and optionally an expiry date: they do not fail the run")
	own.BoolVar(&o.StrictBaseline, "strict-baseline", false, "fail a spec whose baseline entry is stale because the spec now passes")
	own.BoolVar(&o.List, "list", false, "list every spec (id, row, labels, configuration keys) and, with --config, which would skip and why; sends nothing")
	own.BoolVar(&o.Version, "version", false, "print the suite's version and the hash of its catalog")
	own.BoolVar(&o.Help, "help-conformance", false, "print the suite's own flags, without Ginkgo's and Go's")
	own.BoolVar(&o.PrintDefaults, "print-defaults", false, "print the API's defaults, every configuration key with the real API's values, as YAML (a configuration is read over them)")
	own.StringVar(&o.Record, "record", "", "write every exchange of the run to this file as HAR 1.2 (redacted), for --replay or a browser's developer tools")
	own.StringVar(&o.Replay, "replay", "", "judge the answers recorded in this HAR file instead of a target: no request is sent (not with --target or --record)")
	own.VisitAll(func(f *flag.Flag) { fs.Var(f.Value, f.Name, f.Usage) })
	o.own = own
	return o
}

// fillDefaults gives every unset option the default its flag has.
func (o *Options) fillDefaults() {
	o.Timeout = cmp.Or(o.Timeout, runner.DefaultTimeout)
	o.RunTimeout = cmp.Or(o.RunTimeout, runner.DefaultRunTimeout)
	o.MaxBody = cmp.Or(o.MaxBody, runner.DefaultMaxBody)
	o.Reading = cmp.Or(o.Reading, string(check.Strict))
	o.MaxTransportFailures = cmp.Or(o.MaxTransportFailures, runner.DefaultMaxTransportFailures)
	o.MinUploadRate = cmp.Or(o.MinUploadRate, runner.DefaultMinUploadRate)
	o.resolvePaths()
}

// PrintFlags writes the suite's own flags and their defaults to w.
func (o *Options) PrintFlags(w io.Writer) {
	o.own.SetOutput(w)
	o.own.PrintDefaults()
}

// defaultReports is the project's reports/ folder when the suite runs inside
// the project (go test and ginkgo run it from the package's folder), and
// ./reports anywhere else (a compiled suite on a vendor's machine).
func defaultReports() string {
	if root := moduleRoot(); root != "" {
		return filepath.Join(root, "reports")
	}
	return "reports"
}

// moduleRoot is this project's root folder when the working folder is
// inside it, else "".
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := dir; ; d = filepath.Dir(d) {
		if mod, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			if strings.HasPrefix(string(mod), "module "+modulePath+"\n") {
				return d
			}
			return ""
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

const modulePath = "github.com/confsuite/apiconform"

// validate checks the options that need no network, naming the flag.
func (o *Options) validate() (check.Reading, error) {
	switch {
	case o.Replay != "" && o.Record != "":
		return "", fmt.Errorf("--record and --replay: give one: a replay sends no request to record")
	case o.Replay != "" && o.Target != "":
		return "", fmt.Errorf("--replay and --target: give one: a replay judges the recording's answers and sends nothing to a target (unset APICONFORM_TARGET too)")
	}
	if o.Target == "" && o.Replay == "" {
		return "", fmt.Errorf("--target: required: the base URL of the API under test (or the environment variable APICONFORM_TARGET)")
	}
	reading, err := check.ParseReading(o.Reading)
	if err != nil {
		return "", fmt.Errorf("--reading: %w", err)
	}
	if math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0) || o.Rate < 0 || o.Rate > target.MaxRate {
		return "", fmt.Errorf("--rate: want a number from 0 (unpaced) to %d requests a second", target.MaxRate)
	}
	if o.MaxTransportFailures <= 0 {
		return "", fmt.Errorf("--max-transport-failures: must be positive")
	}
	if o.Timeout <= 0 || o.RunTimeout <= 0 || o.MaxBody <= 0 || o.MinUploadRate <= 0 {
		return "", fmt.Errorf("--timeout, --run-timeout, --max-body and --min-upload-rate must be positive")
	}
	return reading, nil
}

// badFlag names the first flag of args fs does not know or cannot take.
func badFlag(fs *flag.FlagSet, args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		if f == nil {
			return "unknown flag -" + name
		}
		if hasValue && f.Value.Set(value) != nil {
			return fmt.Sprintf("bad value %q for -%s", value, name)
		}
	}
	return "the output says which flag"
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

// fromEnvironment reads the target and the configuration from the
// environment when no flag gave them. Reading them here, while the test
// runs, makes go test see them (a package-level read it does not).
func (o *Options) fromEnvironment() {
	o.Target = cmp.Or(o.Target, os.Getenv("APICONFORM_TARGET"))
	o.Config = cmp.Or(o.Config, os.Getenv("APICONFORM_CONFIG"))
	if dir := os.Getenv("APICONFORM_REPORTS"); dir != "" && o.Reports == defaultReports() {
		o.Reports = dir
	}
}
