package selftest

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/confsuite/apiconform/internal/latency"
	reftel "github.com/confsuite/apiconform/suites/telephony/refserver"
)

// Over a slow link the oversized body takes longer to send than --timeout.
// The reference server answers 413 by Content-Length, before the body; here
// it sits behind a front that reads every request body before passing the
// request on (as a buffering gateway does), so the answer comes only after
// the last byte. The time allowed for a request grows with its body
// (--min-upload-rate, default 1 MB/s), so the probe is judged on the
// target's answer, not cut off by the clock. Scaled down: a 1 MiB limit
// (on the server and in limits.request_body_bytes) over a link of 1.5 MiB/s
// takes about 0.7 s, beyond --timeout=300ms, well within the 2.4 s allowed
// at --min-upload-rate=500000 (a margin for a busy machine).
func TestOversizedBodyOverASlowLinkIsJudgedNotTimedOut(t *testing.T) {
	const limit = 1 << 20
	seed := reftel.DefaultSeed()
	seed.MaxBodyBytes = limit
	ref := reftel.New(seed)
	target := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		ref.ServeHTTP(w, r)
	}))
	proxy, err := latency.Listen(target, latency.Options{BodyRate: 3 << 19})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	raw, err := os.ReadFile("../../fixtures/telephony.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range []string{"prompt.wav", "not-audio.txt"} {
		copyFile(t, filepath.Join("../../fixtures/files", f), filepath.Join(dir, "files", f))
	}
	config := filepath.Join(dir, "telephony.yaml")
	cfg := replaceKey(t, string(raw), "request_body_bytes", strconv.Itoa(limit))
	if err := os.WriteFile(config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runBinary(t, "telephony", proxy.URL, nil, nil, "--config="+config, "--timeout=300ms", "--min-upload-rate=500000", "--ginkgo.label-filter=tel.413.none")
	if r.Exit != 0 || r.Report.Passed != 1 || r.Report.Failures+r.Report.Errors != 0 {
		t.Fatalf("exit %d, report %+v\n%s", r.Exit, r.Report, tail(r.Output))
	}
	// Without the allowance the same run is cut off by --timeout: the
	// target could not have answered in time, which is what the flag is for.
	r = runBinary(t, "telephony", proxy.URL, nil, nil, "--config="+config, "--timeout=300ms", "--min-upload-rate=1000000000", "--ginkgo.label-filter=tel.413.none")
	if r.Exit == 0 || r.Report.Passed != 0 {
		t.Fatalf("with no time for the body the probe should time out: exit %d, report %+v\n%s", r.Exit, r.Report, tail(r.Output))
	}
}
