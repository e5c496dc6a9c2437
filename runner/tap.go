package runner

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Go's client never reads the body of a 204 or a 304, nor of an answer to
// HEAD: a server that sends one anyway is invisible to the check, and its
// bytes break the next request on that connection. Every connection the
// client dials is a tapConn, which keeps the bytes read since the request
// was written; once the headers of such a bodiless answer have come, it
// takes no new request, so what follows them is the answer's own, and Do
// closes the connection after reading it (the stray bytes never reach
// another exchange).

// strayWait is how long Do waits for the bytes a bodiless answer's
// Content-Length announces; strayGlance is how long it waits for any
// byte when no length is announced (bytes sent with the headers are
// already read by then).
const (
	strayWait   = 200 * time.Millisecond
	strayGlance = 5 * time.Millisecond
	// tapLimit bounds what a tap keeps of one answer.
	tapLimit = 256 << 10
)

// errQuarantined refuses a request on a connection whose bodiless answer
// is still being read: nothing is written, so the transport sends the
// request on another connection.
var errQuarantined = errors.New("connection closed after a bodiless answer")

type tapConn struct {
	net.Conn
	mu         sync.Mutex
	seen       bool   // something was written
	plain      bool   // the connection carries HTTP/1 in clear (not TLS, not a CONNECT tunnel)
	method     string // the method of the request last written
	writing    bool   // a request is being written; the next read starts its answer
	log        []byte // bytes read since the request was written
	total      int    // how many, beyond tapLimit too
	end        int    // where the final headers end in log, 0 until they have come
	bodiless   bool   // the answer's headers say it has no body
	quarantine bool
	arrived    chan struct{} // closed and replaced at every read
}

func tapDial(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &tapConn{Conn: c, arrived: make(chan struct{})}, nil
	}
}

func (c *tapConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.quarantine {
		c.mu.Unlock()
		return 0, errQuarantined
	}
	if !c.seen {
		c.seen, c.plain = true, requestLine(p)
	}
	if c.plain && !c.writing {
		c.writing = true
		method, _, _ := bytes.Cut(p, []byte(" ")) // the request line starts the first write
		c.method = string(method)
		c.plain = c.method != http.MethodConnect
		c.log, c.total, c.end, c.bodiless = c.log[:0], 0, 0, false
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *tapConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	hold := c.quarantine
	c.mu.Unlock()
	if hold {
		return c.drain()
	}
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.plain {
		return n, err
	}
	c.writing = false
	if c.end != 0 {
		return n, err // the body of an answer that may have one: not the tap's
	}
	c.total += n
	c.keep(p[:n])
	if c.end == 0 {
		if status, end := finalHeaders(c.log); end > 0 {
			c.end = end
			c.bodiless = c.method == http.MethodHead || status == http.StatusNoContent || status == http.StatusNotModified
			if c.bodiless {
				// The transport gets the headers alone: what follows is
				// kept here, and the connection takes no other request.
				c.quarantine = true
				n -= c.total - end
			}
		}
	}
	return n, err
}

// drain reads what follows a bodiless answer's headers into the log, for
// stray, until the connection is closed; the transport gets none of it.
func (c *tapConn) drain() (int, error) {
	buf := make([]byte, 4096)
	for {
		n, err := c.Conn.Read(buf)
		c.mu.Lock()
		c.total += n
		c.keep(buf[:n])
		c.mu.Unlock()
		if err != nil {
			return 0, err
		}
	}
}

// keep appends what was read to the log, within tapLimit, and wakes stray.
func (c *tapConn) keep(b []byte) {
	if len(b) == 0 {
		return
	}
	if len(c.log) < tapLimit {
		c.log = append(c.log, b[:min(len(b), tapLimit-len(c.log))]...)
	}
	close(c.arrived)
	c.arrived = make(chan struct{})
}

// tapTLS dials a TLS connection as the transport would, and taps it above
// TLS when it speaks HTTP/1.1, so the tap sees the clear bytes; an HTTP/2
// connection is handed over as it is (its framing keeps a stray body
// apart). Proxied requests do not come here: the transport tunnels them
// itself.
func tapTLS(t *http.Transport) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		raw, err := t.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cfg := t.TLSClientConfig.Clone()
		if cfg.ServerName == "" {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				host = addr
			}
			cfg.ServerName = host
		}
		tc := tls.Client(raw, cfg)
		hctx, cancel := context.WithTimeout(ctx, t.TLSHandshakeTimeout)
		defer cancel()
		if err := tc.HandshakeContext(hctx); err != nil {
			raw.Close()
			return nil, err
		}
		if tc.ConnectionState().NegotiatedProtocol == "h2" {
			return tc, nil
		}
		return &tapConn{Conn: tc, arrived: make(chan struct{})}, nil
	}
}

// requestLine says whether a connection's first bytes are an HTTP/1
// request line (an upper-case method, a space), not a TLS handshake.
func requestLine(p []byte) bool {
	method, _, ok := bytes.Cut(p, []byte(" "))
	if !ok || len(method) == 0 {
		return false
	}
	for _, b := range method {
		if b < 'A' || b > 'Z' {
			return false
		}
	}
	return true
}

// finalHeaders finds the end of the final (not 1xx) header block in an
// HTTP/1 answer, and its status; 0 while it has not all come.
func finalHeaders(b []byte) (status, end int) {
	start := 0
	for {
		rest := b[start:]
		i := bytes.Index(rest, []byte("\n\r\n"))
		j := bytes.Index(rest, []byte("\n\n"))
		switch {
		case i < 0 && j < 0:
			return 0, 0
		case i >= 0 && (j < 0 || i < j):
			i += 3
		default:
			i = j + 2
		}
		line, _, _ := bytes.Cut(rest, []byte("\n"))
		fields := bytes.Fields(line)
		if len(fields) < 2 {
			return 0, 0
		}
		code, err := strconv.Atoi(string(fields[1]))
		if err != nil {
			return 0, 0
		}
		start += i
		if code >= 200 || code == http.StatusSwitchingProtocols {
			return code, start
		}
	}
}

// stray returns the bytes the target sent after the headers of a bodiless
// answer, waiting for those its Content-Length announces (or, with none, a
// glance), then closes the connection so they reach no other exchange.
func (c *tapConn) stray(ctx context.Context, announced int64) []byte {
	wait := strayGlance
	if announced > 0 {
		wait = strayWait
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	defer c.Conn.Close()
	for {
		c.mu.Lock()
		if !c.bodiless {
			c.mu.Unlock()
			return nil
		}
		got := c.log[c.end:]
		arrived := c.arrived
		if announced > 0 && int64(len(got)) >= announced || announced <= 0 && len(got) > 0 {
			out := bytes.Clone(got)
			c.mu.Unlock()
			return out
		}
		c.mu.Unlock()
		select {
		case <-arrived:
		case <-timer.C:
			c.mu.Lock()
			out := bytes.Clone(c.log[c.end:])
			c.mu.Unlock()
			return out
		case <-ctx.Done():
			return nil
		}
	}
}

// hostOf is the IP address of a connection's end, or "".
func hostOf(a net.Addr) string {
	if a == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return ""
	}
	return host
}

// bodilessBody reads what a target sent as the body of an answer Go's
// client never reads (a 204, a 304, an answer to HEAD), from the tap of
// the connection it came on; nil for any other answer, or over a
// connection the tap does not see in clear (HTTP/2, a TLS tunnel through
// a proxy).
func bodilessBody(ctx context.Context, conn net.Conn, method string, resp *http.Response) []byte {
	if method != http.MethodHead && resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusNotModified {
		return nil
	}
	tap, ok := conn.(*tapConn)
	if !ok || resp.ProtoMajor != 1 {
		return nil
	}
	var announced int64
	if method != http.MethodHead && resp.StatusCode == http.StatusNoContent {
		// A 304's or a HEAD answer's Content-Length is the representation's
		// (RFC 9110 §8.6), not bytes to come; a 204's can only be a body.
		announced, _ = strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
	}
	return tap.stray(ctx, announced)
}

// CloseWrite closes the sending side, as Abandon needs, when the
// connection underneath can.
func (c *tapConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.New("the connection cannot close its sending side alone")
}
