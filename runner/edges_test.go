package runner

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// A request that reaches its timeout after the headers came counts toward
// --max-transport-failures like one that got nothing.
func TestTimeoutAfterHeadersCountsTowardUnreachable(t *testing.T) {
	var requests atomic.Int64
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("x"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	c := client(t, srv.URL, Options{Timeout: 200 * time.Millisecond, MaxTransportFailures: 2})
	for i := range 2 {
		if ex := c.Do(Request{Method: "GET", Path: "/"}); !errors.Is(ex.Err, ErrTimeout) || ex.Status != 200 {
			t.Fatalf("request %d: status %d, %v", i, ex.Status, ex.Err)
		}
	}
	start := time.Now()
	ex := c.Do(Request{Method: "GET", Path: "/"})
	if !errors.Is(ex.Err, ErrUnreachable) || time.Since(start) > 50*time.Millisecond || requests.Load() != 2 {
		t.Fatalf("want the third request refused at once as unreachable, got %v after %s (%d sent)", ex.Err, time.Since(start), requests.Load())
	}
}

// A loopback target never goes through a proxy, --proxy included: its
// credentials reach no proxy.
func TestLoopbackTargetIsNeverProxied(t *testing.T) {
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer proxy.Close()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	for _, target := range []string{srv.URL, "http://localhost:" + port} {
		c := client(t, target, Options{Proxy: proxy.URL})
		if got := c.ProxyFor(); got != "none" {
			t.Errorf("%s: ProxyFor = %s", target, got)
		}
		if ex := c.Do(Request{Method: "GET", Path: "/", Header: http.Header{"Authorization": {"Bearer " + secret}}}); ex.Status != http.StatusNoContent {
			t.Errorf("%s: %d %v", target, ex.Status, ex.Err)
		}
	}
	if proxied.Load() != 0 {
		t.Errorf("%d requests went through the proxy", proxied.Load())
	}
	if c := client(t, "http://api.example.invalid", Options{Proxy: proxy.URL}); c.ProxyFor() == "none" {
		t.Errorf("a remote target ignores --proxy")
	}
}

// A create sent before the run's deadline is not cut off by it: it has its
// own bound to answer, so what it made is known.
func TestCreateOutlivesTheRunDeadline(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		w.WriteHeader(http.StatusCreated)
	})
	c := client(t, srv.URL, Options{Timeout: 2 * time.Second, Deadline: time.Now().Add(100 * time.Millisecond)})
	if ex := c.Do(Request{Method: "POST", Path: "/", Create: true}); ex.Status != http.StatusCreated {
		t.Fatalf("the create was cut off: %d %v", ex.Status, ex.Err)
	}
	if ex := c.Do(Request{Method: "POST", Path: "/", Create: true}); !errors.Is(ex.Err, ErrRunDeadline) {
		t.Fatalf("a create after the deadline was sent: %d %v", ex.Status, ex.Err)
	}
}
