// Command conformance is the main job: for each API and each deployment
// profile of the built-in reference servers it starts the server on a free
// loopback port, runs that API's compiled suite against it with the
// profile's configuration, stops the server, prints a one-screen summary
// of the JUnit reports, and writes index.html and summary.json from them
// (internal/report). `make conformance` builds the suites and runs it.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/confsuite/apiconform/internal/junit"
	"github.com/confsuite/apiconform/internal/refserver"
	"github.com/confsuite/apiconform/internal/report"
)

func main() {
	bin := flag.String("bin", "bin", "folder holding the compiled suites, <api>.test")
	reports := flag.String("reports", "reports", "folder the JUnit reports are written to")
	apis := flag.String("apis", refserver.Names(), "the APIs to check, separated by |")
	profiles := flag.String("profiles", refserver.Profiles, "the reference servers' deployment profiles to check, separated by |")
	flag.Parse()
	exit := 0
	var summaries []junit.Summary
	for _, profile := range strings.Split(*profiles, "|") {
		for _, api := range strings.Split(*apis, "|") {
			s, code, err := run(api, profile, *bin, *reports, flag.Args())
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s (%s): %v\n", api, profile, err)
				exit = max(exit, 2)
				continue
			}
			exit = max(exit, code)
			summaries = append(summaries, s...)
		}
	}
	printSummary(summaries, *reports)
	if err := report.Write(*reports); err != nil {
		fmt.Fprintln(os.Stderr, err)
		exit = max(exit, 2)
	} else {
		fmt.Printf("HTML report: %s (for dashboards: %s)\n", filepath.Join(*reports, "index.html"), filepath.Join(*reports, "summary.json"))
	}
	os.Exit(exit)
}

// profileRun is where a profile's reports go and the suite's arguments
// for it: the default profile is the suites' built-in configuration; any
// other runs with fixtures/<api>-<profile>.yaml and --require-all, so a
// spec it cannot drive fails.
func profileRun(api, profile, reports string) (string, []string, error) {
	if profile == "default" {
		return reports, nil, nil
	}
	cfg, err := filepath.Abs(filepath.Join("fixtures", api+"-"+profile+".yaml"))
	if err != nil {
		return "", nil, err
	}
	return filepath.Join(reports, profile), []string{"--config=" + cfg, "--require-all"}, nil
}

// run serves the API's reference server on loopback while its suite runs,
// and returns the report's summary and the suite's exit code. Extra
// arguments go to the suite.
func run(api, profile, bin, reports string, extra []string) ([]junit.Summary, int, error) {
	// The fault trigger is on, so the documented 500 can be provoked.
	handler, err := refserver.New(api, &refserver.Options{Fault: true, Profile: profile})
	if err != nil {
		return nil, 0, err
	}
	reports, profileArgs, err := profileRun(api, profile, reports)
	if err != nil {
		return nil, 0, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, 0, fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	target := "http://" + ln.Addr().String()
	fmt.Printf("== %s (%s profile): reference server at %s\n", api, profile, target)
	args := append(append([]string{"--target=" + target, "--reports=" + reports}, profileArgs...), extra...)
	cmd := exec.Command(filepath.Join(bin, api+".test"), args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err = cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		return nil, 0, fmt.Errorf("run suite: %w (build it with make build)", err)
	}
	s, err := junit.Read(filepath.Join(reports, api+".xml"))
	if err != nil {
		return nil, code, err
	}
	for i := range s {
		s[i].Suite += " (" + profile + ")"
	}
	return s, code, nil
}

func printSummary(summaries []junit.Summary, reports string) {
	fmt.Printf("\n%-22s %6s %6s %6s %7s\n", "suite", "specs", "passed", "failed", "skipped")
	for _, s := range summaries {
		fmt.Printf("%-22s %6d %6d %6d %7d\n", s.Suite, s.Tests, s.Passed, s.Failures+s.Errors, s.Skipped)
		for _, name := range s.Failed {
			fmt.Printf("  FAILED %s\n", name)
		}
	}
	fmt.Printf("JUnit reports: %s/ (other profiles in %s/<profile>/)\n", reports, reports)
}
