package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// The ginkgo CLI starts the suite processes itself, so their peak memory is
// out of the driver's sight. The driver therefore hands the CLI (and the
// sequential run) a link named <api>.test to its own executable: started
// under that name with wrapDirEnv set, it runs the real suite from that
// folder with the same arguments, standard streams and environment, and
// appends the suite process's peak RSS (KiB) to the file rssLogEnv names.
const (
	wrapDirEnv = "BENCHREMOTE_SUITE_DIR"
	rssLogEnv  = "BENCHREMOTE_RSS_LOG"
)

// wrapperFor makes the link dir/<api>.test.
func wrapperFor(dir, api string) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	link := filepath.Join(dir, api+".test")
	return link, os.Symlink(self, link)
}

// wrapped runs the wrapper when this process was started as one; it
// reports whether it was (it does not return then).
func wrapped() bool {
	dir := os.Getenv(wrapDirEnv)
	name := filepath.Base(os.Args[0])
	if dir == "" || !strings.HasSuffix(name, ".test") {
		return false
	}
	cmd := exec.Command(filepath.Join(dir, name), os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		fmt.Fprintln(os.Stderr, "benchremote wrapper:", err)
		os.Exit(2)
	}
	if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		if f, err := os.OpenFile(os.Getenv(rssLogEnv), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintln(f, u.Maxrss)
			f.Close()
		}
	}
	os.Exit(code)
	return true
}

// maxRSS is the largest peak in the wrappers' log, in KiB.
func maxRSS(log string) (int64, error) {
	f, err := os.Open(log)
	if err != nil {
		return 0, fmt.Errorf("no suite process reported its memory: %w", err)
	}
	defer f.Close()
	var peak int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, err := strconv.ParseInt(strings.TrimSpace(sc.Text()), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", log, err)
		}
		peak = max(peak, v)
	}
	return peak, sc.Err()
}
