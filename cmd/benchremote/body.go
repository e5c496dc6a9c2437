package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/confsuite/apiconform/runner"
)

// The body-size table: a loopback server answers one GET with a body of the
// size asked for, streamed from a small buffer; a child process of the
// driver reads it with the suites' runner (--max-body raised to the size)
// and reports its own peak RSS and heap, so each size starts from a fresh
// process.
const bodyChildEnv = "BENCHREMOTE_BODY_CHILD" // "<url> <size>"

type bodyResult struct {
	Size       int64  // bytes of the body
	Read       int    // bytes the runner returned
	Err        string // the exchange's error, if any
	RSSKB      int64  // peak RSS of the child process
	PeakHeap   uint64 // largest HeapInuse sampled during the request
	TotalAlloc uint64 // bytes allocated during the request
}

func measureBody(size int64) (bodyResult, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return bodyResult{}, err
	}
	chunk := bytes.Repeat([]byte{'a'}, 64<<10)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		for left := size; left > 0; {
			n := min(left, int64(len(chunk)))
			if _, err := w.Write(chunk[:n]); err != nil {
				return
			}
			left -= n
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	self, err := os.Executable()
	if err != nil {
		return bodyResult{}, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=http://%s %d", bodyChildEnv, ln.Addr(), size))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return bodyResult{}, fmt.Errorf("child: %w", err)
	}
	var r bodyResult
	if err := json.Unmarshal(out, &r); err != nil {
		return r, fmt.Errorf("child's answer %q: %w", out, err)
	}
	if r.Err != "" || int64(r.Read) != size {
		return r, fmt.Errorf("the runner read %d of %d bytes: %s", r.Read, size, r.Err)
	}
	return r, nil
}

// bodyChild is the child's side; it reports whether this process is one.
func bodyChild() bool {
	spec := os.Getenv(bodyChildEnv)
	if spec == "" {
		return false
	}
	target, sizeText, _ := strings.Cut(spec, " ")
	size, err := strconv.ParseInt(sizeText, 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchremote body child:", err)
		os.Exit(2)
	}
	c, err := runner.New(runner.Options{Target: target, MaxBody: max(size, 1), Timeout: time.Minute})
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchremote body child:", err)
		os.Exit(2)
	}
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		var m runtime.MemStats
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	ex := c.Do(runner.Request{Method: http.MethodGet, Path: "/body"})
	close(stop)
	<-stopped
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	peak.Store(max(peak.Load(), after.HeapInuse))
	r := bodyResult{Size: size, Read: len(ex.Body), PeakHeap: peak.Load(), TotalAlloc: after.TotalAlloc - before.TotalAlloc}
	if ex.Err != nil {
		r.Err = ex.Err.Error()
	}
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) == nil {
		r.RSSKB = u.Maxrss
	}
	runtime.KeepAlive(ex)
	_ = json.NewEncoder(os.Stdout).Encode(r)
	os.Exit(0)
	return true
}
