package runner

import (
	"bufio"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

const secret = "s3cr3t-token-value"

// serve starts a loopback server, closed with every connection at the end.
// A handler that hangs waits on its request's context, which ends when the
// client gives up or the server closes.
func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	return srv
}

func client(t *testing.T, target string, o Options) *Client {
	t.Helper()
	r := NewRedactor()
	r.Add("tokens.valid", secret)
	o.Target, o.Redactor = target, r
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func authed(path string) Request {
	return Request{Method: "GET", Path: path, Header: http.Header{"Authorization": {"Bearer " + secret}}}
}

func TestTargetThatNeverAnswersTimesOut(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	ex := client(t, srv.URL, Options{Timeout: 200 * time.Millisecond}).Do(authed("/x"))
	if !errors.Is(ex.Err, ErrTimeout) {
		t.Fatalf("want a timeout, got status %d err %v", ex.Status, ex.Err)
	}
	if !strings.Contains(ex.Err.Error(), "--timeout") {
		t.Errorf("the error should name the flag that bounds it: %v", ex.Err)
	}
}

func TestBodyDrippedAfterHeadersTimesOut(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		_, _ = w.Write([]byte("{"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	ex := client(t, srv.URL, Options{Timeout: 200 * time.Millisecond}).Do(authed("/x"))
	if !errors.Is(ex.Err, ErrTimeout) {
		t.Fatalf("want a timeout while reading the body, got %v", ex.Err)
	}
}

func TestEndlessBodyStopsAtMaxBody(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("a", 4096))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	ex := client(t, srv.URL, Options{MaxBody: 64 << 10}).Do(authed("/x"))
	if !errors.Is(ex.Err, ErrBodyTooLarge) {
		t.Fatalf("want ErrBodyTooLarge, got %v", ex.Err)
	}
	if len(ex.Body) != 64<<10 {
		t.Errorf("kept %d bytes, want exactly the cap", len(ex.Body))
	}
	if !strings.Contains(ex.Err.Error(), "--max-body") {
		t.Errorf("the error should name the flag: %v", ex.Err)
	}
}

func TestRedirectToAnotherHostIsNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	var leaked atomic.Value
	other := serve(t, func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		leaked.Store(r.Header.Get("Authorization"))
	})
	// localhost and 127.0.0.1 are different hosts to an HTTP client.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherURL+"/steal", http.StatusFound)
	})
	ex := client(t, srv.URL, Options{}).Do(authed("/x"))
	if ex.Status != http.StatusFound {
		t.Fatalf("want the redirect itself reported, got %d %v", ex.Status, ex.Err)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("the other host got %d requests (Authorization %q)", n, leaked.Load())
	}
	if !strings.Contains(ex.Transcript(), "Location: "+otherURL) {
		t.Errorf("the transcript should show where the target pointed:\n%s", ex.Transcript())
	}
}

func TestPathNamingAnotherHostIsRefused(t *testing.T) {
	c := client(t, "http://127.0.0.1:1", Options{})
	for _, p := range []string{"http://example.invalid/x", "//example.invalid/x"} {
		if ex := c.Do(authed(p)); ex.Err == nil || !strings.Contains(ex.Err.Error(), "names a host") {
			t.Errorf("path %q: want a refusal, got %v", p, ex.Err)
		}
	}
}

func TestConnectionResetIsAnError(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			if tcp, ok := conn.(*net.TCPConn); ok {
				_ = tcp.SetLinger(0)
			}
			conn.Close()
		}
	})
	ex := client(t, srv.URL, Options{}).Do(authed("/x"))
	if ex.Err == nil || ex.Status != 0 {
		t.Fatalf("want a transport error, got %d %v", ex.Status, ex.Err)
	}
}

func TestBytesThatAreNotHTTPAreAnError(t *testing.T) {
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
			_, _ = conn.Write([]byte("\x00\x01garbage that is not HTTP\r\n\r\n"))
			conn.Close()
		}
	}()
	ex := client(t, "http://"+ln.Addr().String(), Options{}).Do(authed("/x"))
	if ex.Err == nil {
		t.Fatalf("want an error for a non-HTTP answer, got status %d", ex.Status)
	}
}

func TestRunDeadlineStopsRequests(t *testing.T) {
	c := client(t, "http://127.0.0.1:1", Options{Deadline: time.Now().Add(-time.Second)})
	if ex := c.Do(authed("/x")); !errors.Is(ex.Err, ErrRunDeadline) {
		t.Fatalf("want ErrRunDeadline, got %v", ex.Err)
	}
}

func TestSecretsAreRedactedEverywhere(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Echo", r.Header.Get("Authorization"))
		_, _ = w.Write(body)
	})
	req := authed("/x?key=" + secret)
	req.Method, req.Body = "POST", []byte(`{"token":"`+secret+`"}`)
	ex := client(t, srv.URL, Options{}).Do(req)
	if ex.Err != nil {
		t.Fatal(ex.Err)
	}
	for name, text := range map[string]string{"transcript": ex.Transcript(), "curl": ex.Curl()} {
		if strings.Contains(text, secret) {
			t.Errorf("%s shows the secret:\n%s", name, text)
		}
		want := map[string]string{"transcript": "[redacted:tokens.valid]", "curl": "$APICONFORM_TOKENS_VALID"}[name]
		if !strings.Contains(text, want) {
			t.Errorf("%s should say which secret was redacted (%s):\n%s", name, want, text)
		}
	}
}

func TestStreamedBodyIsSentWhole(t *testing.T) {
	var got atomic.Int64
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got.Store(n)
	})
	req := Request{Method: "POST", Path: "/x", Stream: &Stream{Prefix: []byte("RIFF"), Fill: 'a', Size: 3 << 20}}
	ex := client(t, srv.URL, Options{}).Do(req)
	if ex.Err != nil || got.Load() != 3<<20 {
		t.Fatalf("server got %d bytes (err %v), want %d", got.Load(), ex.Err, 3<<20)
	}
	if !strings.Contains(ex.Curl(), "head -c") {
		t.Errorf("curl for a streamed body should generate it: %s", ex.Curl())
	}
}

func TestNewRejectsBadTargets(t *testing.T) {
	for _, target := range []string{"", "ftp://x", "127.0.0.1:80", "http://user:pw@127.0.0.1/"} {
		if _, err := New(Options{Target: target}); err == nil {
			t.Errorf("target %q accepted", target)
		}
	}
}

func BenchmarkDo(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"access_denied","message":"no"}`))
	}))
	defer srv.Close()
	c, _ := New(Options{Target: srv.URL, Redactor: NewRedactor()})
	b.ReportAllocs()
	for b.Loop() {
		if ex := c.Do(authed("/x")); ex.Err != nil {
			b.Fatal(ex.Err)
		}
	}
}

func TestTLSNeedsTrustOrInsecure(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	if ex := client(t, srv.URL, Options{}).Do(authed("/x")); ex.Err == nil {
		t.Fatal("an untrusted certificate was accepted")
	}
	pemFile := filepath.Join(t.TempDir(), "ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(pemFile, block, 0o600); err != nil {
		t.Fatal(err)
	}
	if ex := client(t, srv.URL, Options{CAFile: pemFile}).Do(authed("/x")); ex.Err != nil || ex.Status != 200 {
		t.Fatalf("with --ca-file: %d %v", ex.Status, ex.Err)
	}
	if ex := client(t, srv.URL, Options{Insecure: true}).Do(authed("/x")); ex.Err != nil || ex.Status != 200 {
		t.Fatalf("with --insecure: %d %v", ex.Status, ex.Err)
	}
	if _, err := New(Options{Target: srv.URL, CAFile: filepath.Join(t.TempDir(), "missing.pem")}); err == nil {
		t.Fatal("a missing CA file was accepted")
	}
}

func TestAbandonClosesBeforeReadingTheAnswer(t *testing.T) {
	var served atomic.Int32
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		_, _ = w.Write([]byte("answer nobody reads"))
	})
	if err := client(t, srv.URL, Options{}).Abandon(authed("/x")); err != nil {
		t.Fatal(err)
	}
	if served.Load() != 1 {
		t.Fatalf("the server handled %d abandoned requests, want 1 before Abandon returns", served.Load())
	}
}

// Bodies are read whole, with or without a Content-Length, and a body
// that stops early is an error, not a shorter body.
func TestReadBody(t *testing.T) {
	long := strings.Repeat("0123456789", 100_000)
	for _, tc := range []struct {
		name   string
		body   string
		length int64
	}{
		{"empty, known", "", 0},
		{"known", long, int64(len(long))},
		{"unknown", long, -1},
		{"unknown, small", "abc", -1},
		{"longer than said", long, 10},
	} {
		got, err := readBody(strings.NewReader(tc.body), tc.length, 1<<21)
		if err != nil || string(got) != tc.body {
			t.Errorf("%s: read %d of %d bytes: %v", tc.name, len(got), len(tc.body), err)
		}
	}
	got, _ := readBody(strings.NewReader(long), -1, 1000)
	if len(got) != 1001 {
		t.Errorf("past the limit: want limit+1 bytes, got %d", len(got))
	}
	if _, err := readBody(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(io.ErrUnexpectedEOF)), -1, 100); err != io.ErrUnexpectedEOF {
		t.Errorf("a body cut short: want io.ErrUnexpectedEOF, got %v", err)
	}
	if _, err := readBody(strings.NewReader("abc"), 10, 100); err == nil {
		t.Error("a body shorter than its Content-Length must be an error")
	}
}

// A TLS target that offers HTTP/2 is spoken to in HTTP/2; an abandoned
// request still goes out as HTTP/1.1 on a connection of its own.
func TestHTTP2WhenTheTargetOffersIt(t *testing.T) {
	var abandoned atomic.Bool
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gone" {
			abandoned.Store(r.ProtoMajor == 1)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	c := client(t, srv.URL, Options{CAFile: ca, Timeout: 2 * time.Second})
	if ex := c.Do(authed("/x")); ex.Err != nil || ex.Proto != "HTTP/2.0" {
		t.Fatalf("want an HTTP/2 answer, got %q %v", ex.Proto, ex.Err)
	}
	if err := c.Abandon(Request{Method: "GET", Path: "/gone"}); err != nil {
		t.Fatal(err)
	}
	if !abandoned.Load() {
		t.Errorf("the abandoned request did not arrive as HTTP/1.1")
	}
}

// quietTLS starts a loopback TLS server whose handshake errors are not
// logged, closed at the end.
func quietTLS(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	return srv
}

// rawServer hands every connection to answer, one after the other; it is
// closed at the end.
func rawServer(t *testing.T, answer func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			answer(conn)
		}
	}()
	return ln.Addr().String()
}

// An https:// target whose port speaks plain HTTP stops the run, naming
// the URL to use.
func TestPreflightHTTPSToAPlainHTTPPort(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {})
	host := srv.Listener.Addr().String()
	err := client(t, "https://"+host+"/api", Options{}).Preflight("/")
	want := "the target " + host + " speaks plain HTTP on that port, not TLS (it answered the TLS handshake in HTTP): use http://" + host + "/api"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	// Without a port, the URL to use keeps 443.
	c := client(t, "https://api.example.invalid", Options{})
	if got := c.withScheme("http"); got != "http://api.example.invalid:443/" {
		t.Errorf("withScheme: %s", got)
	}
}

// An http:// target whose port speaks TLS stops the run, however the TLS
// server answers the plain request: Go's and nginx's 400, a TLS alert, a
// reset.
func TestPreflightHTTPToATLSPort(t *testing.T) {
	goTLS := quietTLS(t, func(w http.ResponseWriter, r *http.Request) {})
	nginx := rawServer(t, func(conn net.Conn) {
		defer conn.Close()
		_, _ = http.ReadRequest(bufio.NewReader(conn))
		_, _ = io.WriteString(conn, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"+
			"<html><head><title>400 The plain HTTP request was sent to HTTPS port</title></head>\r\n"+
			"<body><center><h1>400 Bad Request</h1></center><center>The plain HTTP request was sent to HTTPS port</center></body></html>\r\n")
	})
	alert := rawServer(t, func(conn net.Conn) {
		defer conn.Close()
		_, _ = http.ReadRequest(bufio.NewReader(conn))
		_, _ = conn.Write([]byte("\x15\x03\x01\x00\x02\x02\x46")) // fatal protocol_version
	})
	certs := goTLS.TLS.Certificates
	resets := rawServer(t, func(conn net.Conn) {
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tls.Server(conn, &tls.Config{Certificates: certs}).Handshake(); err != nil {
			_ = conn.(*net.TCPConn).SetLinger(0)
		}
	})
	for _, c := range []struct{ name, host, why string }{
		{"Go", goTLS.Listener.Addr().String(), `it answered 400 "Client sent an HTTP request to an HTTPS server"`},
		{"nginx", nginx, `it answered 400 "The plain HTTP request was sent to HTTPS port"`},
		{"alert", alert, "it answered with a TLS alert"},
		{"reset", resets, "it closed the connection on a plain request, and completes a TLS handshake"},
	} {
		err := client(t, "http://"+c.host, Options{Timeout: 5 * time.Second}).Preflight("/")
		want := "the target " + c.host + " speaks TLS on that port, not plain HTTP (" + c.why + "): use https://" + c.host + "/"
		if err == nil || err.Error() != want {
			t.Errorf("%s: got %v\nwant %s", c.name, err, want)
		}
	}
}

// Any other HTTP answer passes the preflight, an ordinary 400 included; a
// reset from a port that does not speak TLS either is left to the specs.
func TestPreflightAcceptsAnyOtherAnswer(t *testing.T) {
	bad := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"status":"bad_request","message":"Client sent a request this server cannot read"}`, http.StatusBadRequest)
	})
	if err := client(t, bad.URL, Options{}).Preflight("/"); err != nil {
		t.Errorf("an ordinary 400: %v", err)
	}
	resets := rawServer(t, func(conn net.Conn) {
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = conn.Read(make([]byte, 1)) // a request, or a TLS hello
		_ = conn.(*net.TCPConn).SetLinger(0)
	})
	if err := client(t, "http://"+resets, Options{}).Preflight("/"); err != nil {
		t.Errorf("a reset from a port that does not speak TLS: %v", err)
	}
}
