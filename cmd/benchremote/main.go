// Command benchremote measures how the compiled suites fare against a target
// far away (issue 10): for each API it starts the reference server (default
// profile, fault trigger on) with a latency proxy (internal/latency) in front
// of it, on loopback, and runs the suite sequentially (the bare binary) and
// under the ginkgo CLI with --procs=N, at each added latency, several times.
// It counts the round trips the proxy saw, and reports the median wall time
// against the floor (round trips × latency / procs) and the peak RSS of the
// suite processes; then how the runner's memory grows with the size of a
// response body. It writes a markdown report (docs/benchmarks.md).
//
// It builds nothing: `make bench-remote` builds the suites and the ginkgo
// CLI first.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/confsuite/apiconform/internal/latency"
	"github.com/confsuite/apiconform/suites"
)

type config struct {
	bin       string
	ginkgo    []string
	apis      []string
	latencies []time.Duration
	procs     []int
	reps      int
	sizes     []int64
	out       string
	slowest   int
}

func main() {
	if wrapped() {
		return
	}
	if bodyChild() {
		return
	}
	var c config
	bin := flag.String("bin", "bin", "folder holding the compiled suites, <api>.test")
	gk := flag.String("ginkgo", "go tool ginkgo", "the ginkgo CLI, for runs with procs > 1 (a command and its arguments)")
	names := flag.String("apis", suites.Names(), "the APIs to measure, separated by |")
	lat := flag.String("latency", "0ms,50ms", "latencies the proxy adds to every request, separated by commas")
	procs := flag.String("procs", "1,2,4", "process counts, separated by commas; 1 runs the bare binary, more the ginkgo CLI with --procs")
	flag.IntVar(&c.reps, "reps", 3, "runs of each configuration; the report gives the median")
	sizes := flag.String("body-mib", "0,1,16,64", "response body sizes for the memory table, in MiB, separated by commas; empty skips it")
	flag.StringVar(&c.out, "out", "docs/benchmarks.md", "the markdown report written")
	flag.IntVar(&c.slowest, "slowest", 6, "slowest specs listed per suite (from the sequential run at the highest latency)")
	flag.Parse()
	var err error
	c.bin, err = filepath.Abs(*bin)
	if err == nil {
		c.ginkgo = strings.Fields(*gk)
		// The suites run in a folder of their own: a relative CLI path is
		// the caller's.
		if len(c.ginkgo) > 0 && strings.ContainsRune(c.ginkgo[0], os.PathSeparator) {
			c.ginkgo[0], err = filepath.Abs(c.ginkgo[0])
		}
	}
	if err == nil {
		c.apis = strings.Split(*names, "|")
		c.latencies, err = parseList(*lat, time.ParseDuration)
	}
	if err == nil {
		c.procs, err = parseList(*procs, strconv.Atoi)
	}
	if err == nil && *sizes != "" {
		c.sizes, err = parseList(*sizes, func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) })
	}
	if err == nil && (c.reps < 1 || len(c.ginkgo) == 0) {
		err = errors.New("--reps must be at least 1 and --ginkgo not empty")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchremote:", err)
		os.Exit(2)
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "benchremote:", err)
		os.Exit(1)
	}
}

func parseList[T any](s string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for _, f := range strings.Split(s, ",") {
		v, err := parse(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%q: %w", s, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// sample is one run of a suite.
type sample struct {
	wall     time.Duration
	requests int64
	rssKB    int64 // the largest of the suite processes
	exit     int
	specs    []types.SpecReport
}

// row is one configuration, summarised over its runs.
type row struct {
	api      string
	latency  time.Duration
	procs    int
	requests []int64
	walls    []time.Duration
	rssKB    []int64
	failures int
	specs    []types.SpecReport // of the last run
}

func run(c config) error {
	start := time.Now().UTC()
	load, _ := os.ReadFile("/proc/loadavg")
	var rows []row
	for _, api := range c.apis {
		for _, lat := range c.latencies {
			for _, procs := range c.procs {
				r := row{api: api, latency: lat, procs: procs}
				for i := 0; i < c.reps; i++ {
					s, err := measure(c, api, lat, procs)
					if err != nil {
						return fmt.Errorf("%s at %s, procs %d: %w", api, lat, procs, err)
					}
					fmt.Printf("%-10s %6s procs %d  run %d: %d round trips, %s, %.1f MiB, exit %d\n",
						api, lat, procs, i+1, s.requests, s.wall.Round(time.Millisecond), mib(s.rssKB*1024), s.exit)
					r.requests = append(r.requests, s.requests)
					r.walls = append(r.walls, s.wall)
					r.rssKB = append(r.rssKB, s.rssKB)
					if s.exit != 0 {
						r.failures++
					}
					r.specs = s.specs
				}
				rows = append(rows, r)
			}
		}
	}
	var bodies []bodyResult
	for _, size := range c.sizes {
		b, err := measureBody(size << 20)
		if err != nil {
			return fmt.Errorf("body of %d MiB: %w", size, err)
		}
		fmt.Printf("body %3d MiB: RSS %.1f MiB, peak heap in use %.1f MiB, allocated %.1f MiB\n",
			size, mib(b.RSSKB*1024), mib(int64(b.PeakHeap)), mib(int64(b.TotalAlloc)))
		bodies = append(bodies, b)
	}
	doc := report(c, start, strings.TrimSpace(string(load)), rows, bodies)
	if err := os.MkdirAll(filepath.Dir(c.out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(c.out, []byte(doc), 0o644); err != nil {
		return err
	}
	fmt.Println("wrote", c.out)
	return nil
}

// measure runs the API's suite once against a fresh reference server behind
// a fresh latency proxy.
func measure(c config, api string, lat time.Duration, procs int) (sample, error) {
	handler, err := suites.Server(api, "", true)
	if err != nil {
		return sample{}, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return sample{}, err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	proxy, err := latency.Listen("http://"+ln.Addr().String(), latency.Options{Delay: lat})
	if err != nil {
		return sample{}, err
	}
	defer proxy.Close()

	tmp, err := os.MkdirTemp("", "benchremote-")
	if err != nil {
		return sample{}, err
	}
	defer os.RemoveAll(tmp)
	wrapper, err := wrapperFor(tmp, api)
	if err != nil {
		return sample{}, err
	}
	rssLog := filepath.Join(tmp, "rss.log")
	jsonReport := filepath.Join(tmp, "report.json")
	suiteArgs := []string{"--target=" + proxy.URL, "--reports=" + tmp}
	var cmd *exec.Cmd
	if procs == 1 {
		cmd = exec.Command(wrapper, append(suiteArgs, "--ginkgo.no-color", "--ginkgo.json-report="+jsonReport)...)
	} else {
		args := append(slices.Clone(c.ginkgo[1:]), "--procs="+strconv.Itoa(procs), "--no-color", "--json-report="+jsonReport, wrapper, "--")
		cmd = exec.Command(c.ginkgo[0], append(args, suiteArgs...)...)
	}
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), wrapDirEnv+"="+c.bin, rssLogEnv+"="+rssLog)
	out, err := os.Create(filepath.Join(tmp, "output.txt"))
	if err != nil {
		return sample{}, err
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	begin := time.Now()
	err = cmd.Run()
	s := sample{wall: time.Since(begin), requests: proxy.Requests()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		s.exit = exitErr.ExitCode()
	case err != nil:
		return s, err
	}
	if s.exit != 0 {
		b, _ := os.ReadFile(out.Name())
		fmt.Fprintf(os.Stderr, "%s at %s, procs %d: exit %d\n%s\n", api, lat, procs, s.exit, tail(string(b)))
	}
	s.rssKB, err = maxRSS(rssLog)
	if err != nil {
		return s, err
	}
	if b, err := os.ReadFile(jsonReport); err == nil {
		var reports []types.Report
		if json.Unmarshal(b, &reports) == nil && len(reports) == 1 {
			s.specs = reports[0].SpecReports
		}
	}
	return s, nil
}

func tail(s string) string {
	if len(s) > 3000 {
		return "…" + s[len(s)-3000:]
	}
	return s
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func median[T int64 | time.Duration](v []T) T {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
