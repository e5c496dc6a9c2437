// Package latency is test tooling: a reverse proxy on loopback that makes a
// target look far away. Every request waits a fixed delay before it is
// forwarded (one round trip's worth of added latency), request bodies can be
// limited to a bandwidth in bytes a second, and the proxy counts the requests
// it saw, so a benchmark can compare a run's wall time with its round-trip
// floor (requests × delay).
//
// Bodies are streamed both ways, never buffered: a 10 MB upload costs the
// proxy a few buffers. The request is forwarded as sent, with its raw query
// (even a malformed one), its Host header, and no X-Forwarded-* headers
// added, so the target sees what it would see without the proxy, except the
// hop-by-hop headers every proxy removes.
package latency

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Options configure a Proxy.
type Options struct {
	// Delay is added to every request before it is forwarded.
	Delay time.Duration
	// BodyRate limits how fast each request body is forwarded, in bytes a
	// second; 0 does not limit it.
	BodyRate int64
}

// Proxy forwards every request to one target after the delay.
type Proxy struct {
	opts     Options
	rp       *httputil.ReverseProxy
	requests atomic.Int64
	failed   atomic.Int64
	// wait is how a request waits out the delay; tests replace it.
	wait func(ctx context.Context, d time.Duration) error
}

// New builds a proxy to target, an http:// base URL.
func New(target string, o Options) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("latency: target %q: %w", target, err)
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("latency: target %q: want an http:// URL", target)
	}
	if o.Delay < 0 || o.BodyRate < 0 {
		return nil, errors.New("latency: negative delay or body rate")
	}
	p := &Proxy{opts: o, wait: sleep}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	transport.MaxIdleConns = 256
	transport.MaxIdleConnsPerHost = 256
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host
			// ReverseProxy drops unparsable query parameters; a conformance
			// probe sends some on purpose.
			pr.Out.URL.RawQuery = pr.In.URL.RawQuery
			if o.BodyRate > 0 && pr.Out.Body != nil && pr.Out.Body != http.NoBody {
				pr.Out.Body = throttle(pr.Out.Context(), pr.Out.Body, o.BodyRate)
			}
		},
		Transport:     transport,
		FlushInterval: -1,
		ErrorLog:      log.New(io.Discard, "", 0),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// A client that went away (the abandoned requests of a 499
			// probe) lands here too; it reads nothing.
			p.failed.Add(1)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	return p, nil
}

// ServeHTTP counts the request, waits the delay, then forwards it. A client
// that goes away (an abandoned request) still waits the whole delay before
// its connection is closed, as a far target would learn of it one way later
// and answer the close the other way; such a request is counted and not
// forwarded.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	if p.opts.Delay > 0 {
		_ = p.wait(context.WithoutCancel(r.Context()), p.opts.Delay)
	}
	if r.Context().Err() != nil {
		p.failed.Add(1)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// Requests is how many requests the proxy has received.
func (p *Proxy) Requests() int64 { return p.requests.Load() }

// Failed is how many of them got no answer from the target: the client went
// away, or the target could not be reached.
func (p *Proxy) Failed() int64 { return p.failed.Load() }

// Reset sets both counts to zero.
func (p *Proxy) Reset() {
	p.requests.Store(0)
	p.failed.Store(0)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Server is a Proxy listening on a loopback port.
type Server struct {
	*Proxy
	URL string // http://127.0.0.1:port
	srv *http.Server
}

// Listen starts a proxy to target on a free port of 127.0.0.1.
func Listen(target string, o Options) (*Server, error) {
	p, err := New(target, o)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("latency: listen: %w", err)
	}
	s := &Server{Proxy: p, URL: "http://" + ln.Addr().String(),
		srv: &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server and drops its connections.
func (s *Server) Close() error { return s.srv.Close() }

// throttle limits reads of body to perSecond bytes a second, in chunks of at
// most 32 KiB (less when the rate is lower), so a slow link is modelled
// without holding more than one chunk.
func throttle(ctx context.Context, body io.ReadCloser, perSecond int64) io.ReadCloser {
	burst := int(min(perSecond, 32<<10))
	return &throttled{ctx: ctx, body: body, lim: rate.NewLimiter(rate.Limit(perSecond), burst), burst: burst}
}

type throttled struct {
	ctx   context.Context
	body  io.ReadCloser
	lim   *rate.Limiter
	burst int
}

func (t *throttled) Read(p []byte) (int, error) {
	if len(p) > t.burst {
		p = p[:t.burst]
	}
	n, err := t.body.Read(p)
	if n > 0 {
		if werr := t.lim.WaitN(t.ctx, n); werr != nil && err == nil {
			err = werr
		}
	}
	return n, err
}

func (t *throttled) Close() error { return t.body.Close() }
