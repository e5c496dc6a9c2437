package latency

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// within bounds how long a test waits for something that should happen at
// once; reaching it is a failure, not a synchronisation.
const within = 10 * time.Second

type seen struct {
	Method, RawQuery, Host, Body string
	ForwardedFor                 string
}

func upstream(t *testing.T, got chan<- seen) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		b, _ := io.ReadAll(r.Body)
		if got != nil {
			got <- seen{r.Method, r.URL.RawQuery, r.Host, string(b), r.Header.Get("X-Forwarded-For")}
		}
		w.Header().Set("X-Upstream", "yes")
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte("answer"))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestForwardsAsSentAndCounts(t *testing.T) {
	got := make(chan seen, 3)
	up, n := upstream(t, got)
	s, err := Listen(up.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("proxy listens on %s, want loopback", s.URL)
	}
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/v2/models?a=%zz&b;c", strings.NewReader("body"))
		req.Host = "api.example.test"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusTeapot || string(b) != "answer" || resp.Header.Get("X-Upstream") != "yes" {
			t.Fatalf("answer %d %q %v, want the upstream's", resp.StatusCode, b, resp.Header)
		}
		g := <-got
		want := seen{Method: "POST", RawQuery: "a=%zz&b;c", Host: "api.example.test", Body: "body"}
		if g != want {
			t.Fatalf("upstream saw %+v, want %+v", g, want)
		}
	}
	if s.Requests() != 3 || n.Load() != 3 || s.Failed() != 0 {
		t.Fatalf("proxy counted %d (failed %d), upstream %d; want 3, 0, 3", s.Requests(), s.Failed(), n.Load())
	}
	s.Reset()
	if s.Requests() != 0 {
		t.Fatalf("after Reset: %d", s.Requests())
	}
}

// The delay comes before forwarding: while a request waits it out, the
// proxy has counted it and the target has not seen it.
func TestDelayComesBeforeForwarding(t *testing.T) {
	up, n := upstream(t, nil)
	p, err := New(up.URL, Options{Delay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	waiting, release := make(chan time.Duration), make(chan struct{})
	p.wait = func(ctx context.Context, d time.Duration) error {
		waiting <- d
		<-release
		return nil
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	done := make(chan int, 1)
	go func() {
		resp, err := http.Get(srv.URL + "/x")
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	select {
	case d := <-waiting:
		if d != time.Hour {
			t.Fatalf("waits %s, want the configured hour", d)
		}
	case <-time.After(within):
		t.Fatal("the request never reached the delay")
	}
	if p.Requests() != 1 || n.Load() != 0 {
		t.Fatalf("during the delay: proxy %d, target %d; want 1, 0", p.Requests(), n.Load())
	}
	close(release)
	if code := <-done; code != http.StatusTeapot {
		t.Fatalf("after the delay: %d, want the target's 418", code)
	}
	if n.Load() != 1 {
		t.Fatalf("target saw %d requests, want 1", n.Load())
	}
}

// The real delay: a lower bound only, which no amount of machine load can
// break.
func TestDelayIsAdded(t *testing.T) {
	up, _ := upstream(t, nil)
	s, err := Listen(up.URL, Options{Delay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	resp, err := http.Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if el := time.Since(start); el < 20*time.Millisecond {
		t.Fatalf("answered after %s, before the 20ms delay", el)
	}
}

// A client that goes away while its request waits is counted, the delay is
// still waited out, and the request is not forwarded.
func TestClientGoneDuringDelay(t *testing.T) {
	up, n := upstream(t, nil)
	p, err := New(up.URL, Options{Delay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	waiting, gone, release := make(chan struct{}), make(chan struct{}), make(chan struct{})
	p.wait = func(ctx context.Context, d time.Duration) error {
		close(waiting)
		<-release
		return nil
	}
	handled := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(handled)
		go func() {
			<-r.Context().Done()
			close(gone)
		}()
		p.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	go func() {
		<-waiting
		cancel()
	}()
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("a cancelled request got an answer")
	}
	select {
	case <-gone:
	case <-time.After(within):
		t.Fatal("the proxy never noticed the client went away")
	}
	select {
	case <-handled:
		t.Fatal("the proxy let the client go before the delay was over")
	default:
	}
	close(release)
	select {
	case <-handled:
	case <-time.After(within):
		t.Fatal("the proxy kept the request after the delay")
	}
	if p.Requests() != 1 || p.Failed() != 1 || n.Load() != 0 {
		t.Fatalf("proxy %d, failed %d, target %d; want 1, 1, 0", p.Requests(), p.Failed(), n.Load())
	}
}

// The body is streamed: the target reads its first part before the client
// has written the rest.
func TestStreamsRequestBody(t *testing.T) {
	first := make(chan string)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		head := make([]byte, 5)
		if _, err := io.ReadFull(r.Body, head); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		first <- string(head)
		rest, _ := io.ReadAll(r.Body)
		_, _ = w.Write(append(head, rest...))
	}))
	defer up.Close()
	s, err := Listen(up.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte("hello"))
		select {
		case <-first:
			_, _ = pw.Write([]byte(" world"))
			pw.Close()
		case <-time.After(within):
			pw.CloseWithError(io.ErrUnexpectedEOF)
		}
	}()
	resp, err := http.Post(s.URL, "text/plain", pr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "hello world" {
		t.Fatalf("target read %q: the proxy held the body back", b)
	}
}

// A target that answers before reading a large body (413) is heard.
func TestEarlyAnswerToLargeBody(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
	}))
	defer up.Close()
	s, err := Listen(up.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	body := bytes.NewReader(make([]byte, 16<<20))
	req, _ := http.NewRequest(http.MethodPost, s.URL, body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("got %d, want 413", resp.StatusCode)
	}
}

// The body rate slows the body down (a lower bound: 96 KiB at 256 KiB/s,
// less the first 32 KiB burst, is at least 250 ms) and keeps it intact.
func TestBodyRate(t *testing.T) {
	got := make(chan seen, 1)
	up, _ := upstream(t, got)
	s, err := Listen(up.URL, Options{BodyRate: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	body := bytes.Repeat([]byte("0123456789abcdef"), 96<<10/16)
	start := time.Now()
	resp, err := http.Post(s.URL, "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if el := time.Since(start); el < 240*time.Millisecond {
		t.Fatalf("96 KiB at 256 KiB/s took %s", el)
	}
	if g := <-got; g.Body != string(body) {
		t.Fatalf("target read %d bytes, want the %d sent", len(g.Body), len(body))
	}
}

func TestNewRejects(t *testing.T) {
	for _, target := range []string{"https://127.0.0.1:1", "127.0.0.1:1", "::"} {
		if _, err := New(target, Options{}); err == nil {
			t.Errorf("New(%q) accepted", target)
		}
	}
	if _, err := New("http://127.0.0.1:1", Options{Delay: -1}); err == nil {
		t.Error("a negative delay was accepted")
	}
}
