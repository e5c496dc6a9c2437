package runner

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// keepAliveServer answers each request on a kept-alive connection with the
// bytes answer returns for it, written at once.
func keepAliveServer(t *testing.T, answer func(*http.Request) string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					if _, err := conn.Write([]byte(answer(req))); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// A body after a bodiless answer's headers is the answer's body, read off
// the connection, and never the start of the next answer.
func TestBodilessAnswerCarryingABody(t *testing.T) {
	const stray = `{"deleted":true}`
	cases := []struct {
		name, method, head string
	}{
		{"204 with Content-Length", http.MethodDelete, "HTTP/1.1 204 No Content\r\nContent-Length: 16\r\n\r\n"},
		{"204 without Content-Length", http.MethodDelete, "HTTP/1.1 204 No Content\r\n\r\n"},
		{"304", http.MethodGet, "HTTP/1.1 304 Not Modified\r\n\r\n"},
		{"HEAD", http.MethodHead, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			target := keepAliveServer(t, func(r *http.Request) string {
				if r.URL.Path == "/next" {
					return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
				}
				return tc.head + stray
			})
			c := client(t, target, Options{})
			ex := c.Do(Request{Method: tc.method, Path: "/x"})
			if ex.Err != nil || string(ex.Body) != stray {
				t.Fatalf("err %v, body %q: want the stray bytes %q as the body", ex.Err, ex.Body, stray)
			}
			for range 3 {
				next := c.Do(Request{Method: http.MethodGet, Path: "/next"})
				if next.Err != nil || next.Status != 200 || string(next.Body) != "ok" {
					t.Fatalf("the next request: err %v, status %d, body %q", next.Err, next.Status, next.Body)
				}
			}
		})
	}
}

// A bodiless answer without a body reads as one, and the client goes on.
func TestBodilessAnswerWithoutBody(t *testing.T) {
	target := keepAliveServer(t, func(r *http.Request) string {
		if r.Method == http.MethodHead {
			return "HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n"
		}
		return "HTTP/1.1 204 No Content\r\n\r\n"
	})
	c := client(t, target, Options{})
	for _, m := range []string{http.MethodDelete, http.MethodHead, http.MethodDelete} {
		ex := c.Do(Request{Method: m, Path: "/x"})
		if ex.Err != nil || len(ex.Body) != 0 {
			t.Fatalf("%s: err %v, body %q", m, ex.Err, ex.Body)
		}
	}
}

func TestFinalHeaders(t *testing.T) {
	for in, want := range map[string][2]int{
		"HTTP/1.1 204 No Content\r\n\r\nxx":                    {204, 27},
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 OK\r\n\r\n": {204, 44},
		"HTTP/1.1 204 No Content\r\nA: b\r\n":                  {0, 0},
		"HTTP/1.1 200 OK\n\nbody":                              {200, 17},
	} {
		s, e := finalHeaders([]byte(in))
		if s != want[0] || e != want[1] {
			t.Errorf("%q: got %d, %d, want %v (%q)", in, s, e, want, strings.TrimSpace(in))
		}
	}
}

// A credential's pace holds the requests carrying it, not the others, nor
// those marked Unpaced (the rate-limit burst).
func TestPaceRole(t *testing.T) {
	target := keepAliveServer(t, func(*http.Request) string { return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" })
	c := client(t, target, Options{})
	c.PaceRole("partner", 10) // one every 100 ms, the first at once
	send := func(req Request) time.Duration {
		start := time.Now()
		for range 3 {
			if ex := c.Do(req); ex.Err != nil {
				t.Fatal(ex.Err)
			}
		}
		return time.Since(start)
	}
	if d := send(Request{Method: "GET", Path: "/", Role: "partner"}); d < 190*time.Millisecond {
		t.Errorf("three partner requests took %s: want at least 200 ms at 10 a second", d)
	}
	unpaced := send(Request{Method: "GET", Path: "/", Role: "partner", Unpaced: true})
	other := send(Request{Method: "GET", Path: "/", Role: "valid"})
	if unpaced > 150*time.Millisecond || other > 150*time.Millisecond {
		t.Errorf("unpaced requests took %s, another role's %s: neither is paced", unpaced, other)
	}
}

// AbandonAt goes away after the headers and the bytes of the body asked
// for, the headers announcing the whole body.
func TestAbandonInTheMiddleOfTheBody(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan [2]int64, 1)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			req, err := http.ReadRequest(bufio.NewReader(conn))
			if err != nil {
				conn.Close()
				continue
			}
			n, _ := io.Copy(io.Discard, req.Body)
			got <- [2]int64{req.ContentLength, n}
			conn.Close()
		}
	}()
	c := client(t, "http://"+ln.Addr().String(), Options{})
	body := []byte(strings.Repeat("x", 100))
	for _, at := range []int64{0, 10, -1} {
		if err := c.AbandonAt(Request{Method: "POST", Path: "/", Body: body}, at); err != nil {
			t.Fatal(err)
		}
		want := at
		if at < 0 {
			want = 100
		}
		if g := <-got; g != [2]int64{100, want} {
			t.Errorf("abandon at %d: the server saw Content-Length %d and %d body bytes, want 100 and %d", at, g[0], g[1], want)
		}
	}
}

// Over TLS with HTTP/1.1 the tap sees the clear bytes too.
func TestBodilessAnswerCarryingABodyOverTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/next" {
			_, _ = io.WriteString(w, "ok")
			return
		}
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n{\"deleted\":true}")
		_ = rw.Flush()
	}))
	srv.StartTLS()
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	c := client(t, srv.URL, Options{Insecure: true})
	if ex := c.Do(Request{Method: http.MethodDelete, Path: "/x"}); ex.Err != nil || ex.Status != 204 || string(ex.Body) != `{"deleted":true}` {
		t.Fatalf("err %v, status %d, body %q: want the stray bytes as the body", ex.Err, ex.Status, ex.Body)
	}
	if ex := c.Do(Request{Method: http.MethodGet, Path: "/next"}); ex.Err != nil || string(ex.Body) != "ok" {
		t.Fatalf("the next request: %v %q", ex.Err, ex.Body)
	}
}
