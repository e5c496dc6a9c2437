// Command conformance is the main job: for each API it starts the built-in
// reference server on a free loopback port, runs that API's compiled suite
// against it, stops the server, and prints a one-screen summary of the JUnit
// reports. `make conformance` builds the suites and runs it.
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
)

func main() {
	bin := flag.String("bin", "bin", "folder holding the compiled suites, <api>.test")
	reports := flag.String("reports", "reports", "folder the JUnit reports are written to")
	apis := flag.String("apis", refserver.Names(), "the APIs to check, separated by |")
	flag.Parse()
	exit := 0
	var summaries []junit.Summary
	for _, api := range strings.Split(*apis, "|") {
		code, err := run(api, *bin, *reports, flag.Args())
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", api, err)
			exit = max(exit, 2)
			continue
		}
		exit = max(exit, code)
		s, err := junit.Read(filepath.Join(*reports, api+".xml"))
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", api, err)
			exit = max(exit, 2)
			continue
		}
		summaries = append(summaries, s...)
	}
	printSummary(summaries, *reports)
	os.Exit(exit)
}

// run serves the API's reference server on loopback while its suite runs,
// and returns the suite's exit code. Extra arguments go to the suite.
func run(api, bin, reports string, extra []string) (int, error) {
	// The fault trigger is on, so the documented 500 can be provoked.
	handler, err := refserver.New(api, &refserver.Options{Fault: true})
	if err != nil {
		return 0, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	target := "http://" + ln.Addr().String()
	fmt.Printf("== %s: reference server at %s\n", api, target)
	args := append([]string{"--target=" + target, "--reports=" + reports}, extra...)
	cmd := exec.Command(filepath.Join(bin, api+".test"), args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exitErr):
		return exitErr.ExitCode(), nil
	default:
		return 0, fmt.Errorf("run suite: %w (build it with make build)", err)
	}
}

func printSummary(summaries []junit.Summary, reports string) {
	fmt.Printf("\n%-12s %6s %6s %6s %7s\n", "suite", "specs", "passed", "failed", "skipped")
	for _, s := range summaries {
		fmt.Printf("%-12s %6d %6d %6d %7d\n", s.Suite, s.Tests, s.Passed, s.Failures+s.Errors, s.Skipped)
		for _, name := range s.Failed {
			fmt.Printf("  FAILED %s\n", name)
		}
	}
	fmt.Printf("JUnit reports: %s/\n", reports)
}
