// Command conformance is the main job: for each API and each deployment
// profile of the built-in reference servers it starts the server on a free
// loopback port, runs that API's compiled suite against it with the
// profile's configuration, stops the server, prints a one-screen summary
// of the results records the runs wrote, and writes index.html and
// summary.json from them (internal/report). `make conformance` builds the
// suites and runs it.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/internal/report"
	"github.com/confsuite/apiconform/suites"
)

func main() {
	bin := flag.String("bin", "bin", "folder holding the compiled suites, <api>.test")
	reports := flag.String("reports", "reports", "folder the records, JUnit reports, index.html and summary.json are written to")
	names := flag.String("apis", suites.Names(), "the APIs to check, separated by |")
	profiles := flag.String("profiles", suites.Profiles(), "the reference servers' deployment profiles to check, separated by |")
	flag.Parse()
	exit := 0
	var runs []report.Run
	for _, profile := range strings.Split(*profiles, "|") {
		for _, api := range strings.Split(*names, "|") {
			a, err := suites.Find(api)
			if err == nil && !a.HasProfile(profile) {
				continue // the API has no reference deployment of that profile
			}
			r, code, err := run(api, profile, *bin, *reports, flag.Args())
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s (%s): %v\n", api, profile, err)
				exit = max(exit, 2)
				continue
			}
			exit = max(exit, code)
			runs = append(runs, r)
		}
	}
	printSummary(os.Stdout, runs, *reports)
	if err := report.Write(*reports); err != nil {
		fmt.Fprintln(os.Stderr, err)
		exit = max(exit, 2)
	} else {
		fmt.Printf("HTML report: %s (for dashboards: %s)\n", filepath.Join(*reports, "index.html"), filepath.Join(*reports, "summary.json"))
	}
	os.Exit(exit)
}

// profileRun is where a profile's reports go and the suite's arguments
// for it: the API's default profile is the suite's built-in configuration;
// any other runs with the profile's configuration file (a path in this
// repository) and --require-all, so a spec it cannot drive fails.
func profileRun(api, profile, reports string) (string, []string, error) {
	a, err := suites.Find(api)
	if err != nil {
		return "", nil, err
	}
	p, err := a.Profile(profile)
	if err != nil {
		return "", nil, err
	}
	if p.Name == a.Profiles[0].Name {
		return reports, nil, nil
	}
	cfg, err := filepath.Abs(filepath.FromSlash(p.Config.Name))
	if err != nil {
		return "", nil, err
	}
	return filepath.Join(reports, profile), []string{"--config=" + cfg, "--require-all"}, nil
}

// run serves the API's reference server on loopback while its suite runs,
// and returns the roll-up of the record it wrote and the suite's exit
// code. Extra arguments go to the suite.
func run(api, profile, bin, reports string, extra []string) (report.Run, int, error) {
	var none report.Run
	// The fault trigger is on, so the documented 500 can be provoked.
	handler, err := suites.Server(api, profile, true)
	if err != nil {
		return none, 0, err
	}
	dir, profileArgs, err := profileRun(api, profile, reports)
	if err != nil {
		return none, 0, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return none, 0, fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	target := "http://" + ln.Addr().String()
	fmt.Printf("== %s (%s profile): reference server at %s\n", api, profile, target)
	args := append(append([]string{"--target=" + target, "--reports=" + dir}, profileArgs...), extra...)
	cmd := exec.Command(filepath.Join(bin, api+".test"), args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err = cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		return none, 0, fmt.Errorf("run suite: %w (build it with make build)", err)
	}
	path := record.Path(dir, api)
	rec, err := record.Read(path)
	if err != nil {
		return none, code, err
	}
	name := path
	if rel, err := filepath.Rel(reports, path); err == nil && filepath.IsLocal(rel) {
		name = filepath.ToSlash(rel)
	}
	return report.FromRecord(rec, name, profile), code, nil
}

// printSummary prints one line per run (its verdict and its rows by
// verdict), then what needs a look: causes shared by many specs, runs that
// stopped, things left on the target, and each row not conformant or not
// checked.
func printSummary(w io.Writer, runs []report.Run, reports string) {
	fmt.Fprintf(w, "\n%-10s %-8s %-15s %5s %10s %14s %11s %13s\n", "API", "profile", "verdict", "rows", "conformant", "not conformant", "not checked", "known failure")
	for _, r := range runs {
		c := r.RowCounts
		fmt.Fprintf(w, "%-10s %-8s %-15s %5d %10d %14d %11d %13d\n", r.API, r.Profile, strings.ReplaceAll(string(r.Verdict), "_", " "),
			c.Rows, c.Conformant, c.NotConformant, c.NotChecked, c.KnownFailure)
	}
	for _, r := range runs {
		var lines []string
		if r.Stopped != "" {
			lines = append(lines, "STOPPED: "+r.Stopped)
		}
		for _, f := range r.Findings {
			lines = append(lines, fmt.Sprintf("FIRST: %s (%d specs not checked for it)", f.Message, f.Specs))
		}
		for _, l := range r.Leftovers {
			lines = append(lines, fmt.Sprintf("LEFT ON THE TARGET: %s (%s): %s", l.Resource, l.Spec, l.Why))
		}
		for _, row := range r.Rows {
			if row.Verdict != record.Conformant {
				lines = append(lines, fmt.Sprintf("%-40s %s", row.Title, row.Summary))
			}
		}
		if len(lines) > 0 {
			fmt.Fprintf(w, "%s (%s):\n  %s\n", r.API, r.Profile, strings.Join(lines, "\n  "))
		}
	}
	fmt.Fprintf(w, "Records: %s/<api>.json, JUnit beside them (other profiles in %s/<profile>/)\n", reports, reports)
}
