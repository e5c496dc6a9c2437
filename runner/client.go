// Package runner is the HTTP client every spec uses: it sends one request to
// the target, bounded in time and in the size of what it reads back, never
// follows a redirect (so credentials reach no other host), and records the
// exchange as a redacted transcript and a curl command that reproduces it.
//
// What a response should look like is not decided here: see internal/check.
package runner

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// Defaults for Options, documented in the README.
const (
	DefaultTimeout    = 10 * time.Second
	DefaultRunTimeout = 15 * time.Minute
	DefaultMaxBody    = 1 << 20
	// DefaultMinUploadRate is the slowest link, in bytes a second, a
	// request body is given time for: 1 MB/s.
	DefaultMinUploadRate = 1_000_000
)

// MaxInFlight is the most requests one spec has on the wire at once (a
// batch of creates or removals, a rate-limit burst): the client keeps as
// many idle connections to the target, so a batch reuses them instead of
// connecting again.
const MaxInFlight = 4

// Options configure a Client.
type Options struct {
	Target  string        // base URL; request paths are appended to it
	Timeout time.Duration // per request, connection to last body byte
	// MinUploadRate, in bytes a second, stretches the timeout of a request
	// with a body by the time the body takes to send at that rate: a
	// request's bound is Timeout + body bytes / MinUploadRate, so a large
	// body over a slow link is judged on the answer, not cut off. 0 takes
	// DefaultMinUploadRate.
	MinUploadRate int64
	MaxBody       int64  // most response-body bytes read; more is an error
	CAFile        string // PEM bundle trusted in addition to nothing else
	Insecure      bool   // skip TLS verification
	Redactor      *Redactor
	// Deadline bounds the whole run: once passed, every request fails at once,
	// except removals of what the run created, which have CleanupGrace more.
	Deadline time.Time
	// Rate paces every request, in requests a second; 0 does not pace.
	Rate float64
	// Proxy is the HTTP proxy every request goes through; empty takes
	// HTTPS_PROXY, HTTP_PROXY and NO_PROXY from the environment, as curl and
	// Go do (a loopback target is never proxied).
	Proxy string
	// MaxTransportFailures is how many requests in a row may get no answer
	// (a timeout, a reset) before the target counts as unreachable and every
	// later request fails at once; 0 takes DefaultMaxTransportFailures.
	MaxTransportFailures int
	// Recorder, when set, is handed every exchange a request was sent
	// for, once it is complete (--record).
	Recorder func(*Exchange)
	// Replay, when set, answers every request instead of the network
	// (--replay): no connection is made, nothing is paced, and a request
	// it holds no answer for (ErrNotRecorded) does not count toward an
	// unreachable target.
	Replay http.RoundTripper
}

// ErrNotRecorded is the error of a request a replayed recording holds no
// answer for.
var ErrNotRecorded = errors.New("not in the recording")

type requestKey struct{}

// RequestOf is the Request an http.Request the client sends was built
// from, for a Replay transport.
func RequestOf(ctx context.Context) (Request, bool) {
	r, ok := ctx.Value(requestKey{}).(Request)
	return r, ok
}

// DefaultMaxTransportFailures is Options.MaxTransportFailures' default.
const DefaultMaxTransportFailures = 3

// CleanupGrace is how long past the run's deadline the removal of what the
// run created may still go on, so a run that ran out of time leaves
// nothing behind it could have removed.
const CleanupGrace = 30 * time.Second

// Client sends requests to one target.
type Client struct {
	base     *url.URL
	http     *http.Client
	timeout  time.Duration
	upload   int64 // MinUploadRate
	maxBody  int64
	redactor *Redactor
	deadline time.Time
	pace     *rate.Limiter
	roles    map[string]*rate.Limiter // pace by credential role (PaceRole)
	breaker  breaker
	recorder func(*Exchange)
	replay   bool
}

// breaker counts requests in a row that got no answer; past its limit the
// target is unreachable and requests are not sent. Requests may be on the
// wire together (a batch): once one has gone unanswered, the next go only
// while the unanswered and those on the wire stay under the limit, and
// the others wait for an answer, so no more than the limit go unanswered
// in a row when the target is found silent.
type breaker struct {
	mu      sync.Mutex
	limit   int
	failed  int
	pending int           // admitted and not yet recorded
	changed chan struct{} // closed and replaced at every record
	since   string        // the origin of the first failure in the row
	first   error
}

// open returns the error every request gets once the target is unreachable.
func (b *breaker) open() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.openLocked()
}

func (b *breaker) openLocked() error {
	if b.failed < b.limit {
		return nil
	}
	return fmt.Errorf("%w since %s: %d requests in a row got no answer, the first: %v (request not sent)", ErrUnreachable, b.since, b.failed, b.first)
}

// admit lets a request go, waiting while requests on the wire could take
// the row of unanswered requests to the limit; every request admitted is
// recorded once.
func (b *breaker) admit(ctx context.Context) error {
	b.mu.Lock()
	for {
		if err := b.openLocked(); err != nil {
			b.mu.Unlock()
			return err
		}
		if b.failed == 0 || b.failed+b.pending < b.limit {
			b.pending++
			b.mu.Unlock()
			return nil
		}
		if b.changed == nil {
			b.changed = make(chan struct{})
		}
		changed := b.changed
		b.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
		b.mu.Lock()
	}
}

// record notes whether an admitted request got an answer.
func (b *breaker) record(origin string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending--
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
	switch {
	case err == nil:
		b.failed = 0
	case errors.Is(err, ErrRunDeadline) || errors.Is(err, ErrUnreachable) || errors.Is(err, ErrNotRecorded):
	default:
		if b.failed == 0 {
			b.since, b.first = cmp.Or(origin, "the first request"), err
		}
		b.failed++
	}
}

// New checks the options and builds a Client.
func New(o Options) (*Client, error) {
	base, err := url.Parse(o.Target)
	if err != nil {
		return nil, errors.New("the target is not a URL: give one like https://api.example.com/")
	}
	if base.Scheme != "http" && base.Scheme != "https" || base.Host == "" {
		return nil, errors.New("the target must be an absolute http:// or https:// URL, like https://api.example.com/ or http://127.0.0.1:8080/")
	}
	// The URL is not repeated: whatever it carries could be a secret.
	switch {
	case base.User != nil:
		return nil, errors.New("the target URL holds user information: credentials in the URL would leak into reports; use the configuration's credentials")
	case base.RawQuery != "" || base.ForceQuery:
		return nil, errors.New("the target URL holds a query: a base URL takes none (configure query parameters per step)")
	case base.Fragment != "" || strings.Contains(o.Target, "#"):
		return nil, errors.New("the target URL holds a fragment: a base URL takes none")
	}
	base.Path = strings.TrimSuffix(base.Path, "/")
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	tlsConfig := &tls.Config{InsecureSkipVerify: o.Insecure} //nolint:gosec // the user asked for it, and the suite announces it
	if o.CAFile != "" {
		pem, err := ReadFileBounded(o.CAFile, MaxFlagFileBytes)
		if err != nil {
			return nil, fmt.Errorf("ca file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca file %s: no PEM certificate in it", o.CAFile)
		}
		tlsConfig.RootCAs = pool
	}
	proxy := http.ProxyFromEnvironment
	if o.Proxy != "" {
		u, err := url.Parse(o.Proxy)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") || u.Host == "" {
			return nil, errors.New("the proxy must be an absolute http://, https:// or socks5:// URL")
		}
		proxy = http.ProxyURL(u)
	}
	proxy = direct(proxy)
	transport := &http.Transport{
		Proxy:               proxy,
		DialContext:         tapDial((&net.Dialer{Timeout: o.Timeout}).DialContext),
		TLSClientConfig:     tlsConfig,
		TLSHandshakeTimeout: o.Timeout,
		// HTTP/2 when a TLS target offers it, as clients of the API would use.
		ForceAttemptHTTP2:      true,
		DisableCompression:     true, // the suite judges the bytes the server chose to send
		MaxResponseHeaderBytes: 64 << 10,
		MaxIdleConnsPerHost:    MaxInFlight,
		IdleConnTimeout:        30 * time.Second,
	}
	transport.DialTLSContext = tapTLS(transport)
	var rt http.RoundTripper = transport
	if o.Replay != nil {
		rt = o.Replay
	}
	return &Client{
		base: base,
		http: &http.Client{
			Transport: rt,
			// A conformance suite reports what the target answered; following a
			// redirect would hide it and could carry credentials elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout:  o.Timeout,
		upload:   cmp.Or(o.MinUploadRate, DefaultMinUploadRate),
		maxBody:  o.MaxBody,
		redactor: o.Redactor,
		deadline: o.Deadline,
		pace:     pacer(o.Rate),
		breaker:  breaker{limit: cmp.Or(o.MaxTransportFailures, DefaultMaxTransportFailures)},
		recorder: o.Recorder,
		replay:   o.Replay != nil,
	}, nil
}

// direct keeps a loopback target away from any proxy, --proxy included:
// a proxy on another host cannot reach this machine's loopback, and one
// that could would see its credentials.
func direct(proxy func(*http.Request) (*url.URL, error)) func(*http.Request) (*url.URL, error) {
	return func(r *http.Request) (*url.URL, error) {
		if loopback(r.URL.Hostname()) {
			return nil, nil
		}
		return proxy(r)
	}
}

// loopback tells whether host names this machine's loopback interface.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func pacer(perSecond float64) *rate.Limiter {
	if perSecond <= 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(perSecond), 1)
}

// Pace sets the pace of every request from now on, in requests a second;
// 0 or less stops pacing. Call it before the first request.
func (c *Client) Pace(perSecond float64) {
	if !c.replay {
		c.pace = pacer(perSecond)
	}
}

// Replaying says the client answers from a recording (Options.Replay).
func (c *Client) Replaying() bool { return c.replay }

// PaceRole paces every request carrying the credential role, in requests a
// second, besides the run's pace (a deployment that limits each
// credential); a request marked Unpaced is not held by it. Call it before
// the first request.
func (c *Client) PaceRole(role string, perSecond float64) {
	if c.roles == nil {
		c.roles = map[string]*rate.Limiter{}
	}
	c.roles[role] = pacer(perSecond)
}

// ProxyFor names the proxy requests to the target go through, user
// information redacted, or "none".
func (c *Client) ProxyFor() string {
	transport, ok := c.http.Transport.(*http.Transport)
	if !ok {
		return "none"
	}
	u, err := transport.Proxy(&http.Request{URL: c.base})
	if err != nil || u == nil {
		return "none"
	}
	return u.Redacted()
}

// Deadline is the run's deadline (zero: none): no request is sent past it.
func (c *Client) Deadline() time.Time { return c.deadline }

// Base returns the target's base URL.
func (c *Client) Base() string { return c.base.String() }

// Redactor returns the redactor every transcript passes through.
func (c *Client) Redactor() *Redactor { return c.redactor }

// Request is what a probe asks the runner to send.
type Request struct {
	Method string
	Path   string // appended to the target's base URL; must not name a host
	Query  url.Values
	// RawQuery is appended verbatim after Query, for a query string that is
	// deliberately malformed.
	RawQuery string
	Header   http.Header
	Body     []byte
	// Stream, when set, is sent instead of Body, produced on the fly so a
	// probe can send more than it should hold in memory.
	Stream *Stream
	// Timeout overrides the client's per-request timeout when shorter.
	Timeout time.Duration
	// Cleanup marks the removal of something the run created: it may go on
	// for CleanupGrace past the run's deadline.
	Cleanup bool
	// Create marks a request that may make something on the target: one
	// sent before the run's deadline is not cut off by it, but given its
	// own bound to answer, so what it made is known and can be removed.
	Create bool
	// Origin names what sent the request (a spec), for messages.
	Origin string
	// Role is the credential role the request carries ("" for none), for
	// the record: a run can tell when the valid credential is refused.
	Role string
	// Unpaced exempts the request from its role's pace (PaceRole): the
	// rate-limit burst, whose point is to exceed it.
	Unpaced bool
	// Fresh are values made up for this run alone (a new name): a replay
	// takes any value in their place as the same request.
	Fresh []string
}

// Stream is a request body of Size bytes: Prefix, then Fill repeated, then
// Suffix.
type Stream struct {
	Prefix []byte
	Fill   byte
	Size   int64
	Suffix []byte
}

func (s *Stream) reader() io.Reader {
	rest := s.Size - int64(len(s.Prefix)) - int64(len(s.Suffix))
	return io.MultiReader(bytes.NewReader(s.Prefix), io.LimitReader(repeat(s.Fill), rest), bytes.NewReader(s.Suffix))
}

type repeat byte

func (b repeat) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// Errors an Exchange may carry, for errors.Is.
var (
	ErrTimeout      = errors.New("timed out")
	ErrBodyTooLarge = errors.New("response body too large")
	ErrRunDeadline  = errors.New("run time bound exhausted")
	ErrUnreachable  = errors.New("target unreachable")
)

// Do sends req and returns the exchange; it never panics and never blocks
// longer than the per-request timeout. A transport failure is in Exchange.Err.
func (c *Client) Do(req Request) *Exchange {
	ex := &Exchange{Method: req.Method, Request: req, redactor: c.redactor}
	target, err := c.resolve(req)
	if err != nil {
		ex.Err = err
		return ex
	}
	ex.URL = target
	if err := c.breaker.open(); err != nil {
		ex.Err = err
		return ex
	}
	timeout := c.timeout
	if req.Timeout > 0 && req.Timeout < timeout {
		timeout = req.Timeout
	}
	bound := "--timeout"
	if up := c.uploadTime(req); up > 0 {
		bound = fmt.Sprintf("--timeout %s, plus %s for the body at --min-upload-rate", timeout, up.Round(time.Millisecond))
		timeout += up
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if deadline := c.deadlineFor(req); !deadline.IsZero() {
		if time.Now().After(deadline) {
			ex.Err = fmt.Errorf("%w (--run-timeout): request not sent", ErrRunDeadline)
			return ex
		}
		if !req.Create {
			var cancelRun context.CancelFunc
			ctx, cancelRun = context.WithDeadline(ctx, deadline)
			defer cancelRun()
		}
	}
	if err := c.breaker.admit(ctx); err != nil {
		if errors.Is(err, ErrUnreachable) {
			ex.Err = err
		} else {
			ex.Err = fmt.Errorf("request not sent while the target left others unanswered: %w", c.explain(ctx, err, timeout, bound))
		}
		return ex
	}
	defer func() { c.breaker.record(req.Origin, ex.transportErr()) }()
	if err := c.wait(ctx); err != nil {
		ex.Err = fmt.Errorf("%w (--run-timeout): request not sent while paced by --rate: %v", ErrRunDeadline, err)
		return ex
	}
	if l := c.roles[req.Role]; l != nil && !req.Unpaced {
		if err := l.Wait(ctx); err != nil {
			ex.Err = fmt.Errorf("%w (--run-timeout): request not sent while paced by rates.%s: %v", ErrRunDeadline, req.Role, err)
			return ex
		}
	}
	var body io.Reader
	switch {
	case req.Stream != nil:
		body = req.Stream.reader()
	case req.Body != nil:
		body = strings.NewReader(string(req.Body))
	}
	var conn net.Conn // the connection the answer came on (see tap.go)
	traced := httptrace.WithClientTrace(context.WithValue(ctx, requestKey{}, req), &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { conn = i.Conn }})
	hr, err := http.NewRequestWithContext(traced, req.Method, target, body)
	if err != nil {
		ex.Err = fmt.Errorf("build request: %w", err)
		return ex
	}
	if req.Stream != nil {
		hr.ContentLength = req.Stream.Size
		// Sent again on another connection when the one chosen takes none.
		hr.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(req.Stream.reader()), nil }
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	if hr.Header.Get("User-Agent") == "" {
		hr.Header.Set("User-Agent", "apiconform")
	}
	ex.RequestHeader = hr.Header.Clone()
	start := time.Now()
	ex.Started = start
	if c.recorder != nil {
		defer func() { c.recorder(ex) }()
	}
	resp, err := c.http.Do(hr)
	if errors.Is(err, errQuarantined) && (hr.Body == nil || hr.GetBody != nil) {
		// The connection the transport chose was closing after a bodiless
		// answer (tap.go) and took nothing of this request: send it once
		// more, on another.
		again := hr.Clone(traced)
		if hr.GetBody != nil {
			if again.Body, err = hr.GetBody(); err != nil {
				ex.Err = fmt.Errorf("build request: %w", err)
				return ex
			}
		}
		resp, err = c.http.Do(again)
	}
	ex.FirstByte = time.Since(start)
	if err != nil {
		ex.Elapsed = time.Since(start)
		ex.Err = c.explain(ctx, err, timeout, bound)
		return ex
	}
	defer resp.Body.Close()
	if conn != nil {
		ex.Local, ex.Remote = hostOf(conn.LocalAddr()), hostOf(conn.RemoteAddr())
	}
	// Reading the body stops when the request's time is up, whatever the
	// connection has become (a 101 hands it over, and its reads no longer
	// watch the context).
	stop := context.AfterFunc(ctx, func() { resp.Body.Close() })
	defer stop()
	ex.Status = resp.StatusCode
	ex.Proto = resp.Proto
	ex.ResponseHeader = resp.Header
	if resp.StatusCode < 200 {
		ex.Elapsed = time.Since(start)
		ex.Err = fmt.Errorf("the target's final answer is %d %s, which is not an answer to the request; the connection was closed", resp.StatusCode, http.StatusText(resp.StatusCode))
		return ex
	}
	length := resp.ContentLength
	if resp.Body == http.NoBody {
		length = 0 // a HEAD answer's Content-Length is the GET's
	}
	ex.Body, err = readBody(resp.Body, length, c.maxBody)
	if stray := bodilessBody(ctx, conn, req.Method, resp); len(stray) > 0 {
		ex.Body = stray
	}
	ex.Elapsed = time.Since(start)
	switch {
	case err != nil:
		ex.Err = fmt.Errorf("read response body: %w", c.explain(ctx, err, timeout, bound))
	case int64(len(ex.Body)) > c.maxBody:
		ex.Body = ex.Body[:c.maxBody]
		ex.Err = fmt.Errorf("%w: more than %d bytes (--max-body); reading stopped there", ErrBodyTooLarge, c.maxBody)
	}
	return ex
}

// readBody reads at most limit+1 bytes of a response body (one more than
// allowed tells a body too large). A Content-Length within the limit is
// allocated once, exactly; a body of unknown length is read into chunks
// that double up to 1 MiB and joined once at the end. Either way the
// memory held is at most about twice the body, where io.ReadAll's growth
// by appending holds up to 2.5 times it and allocates more.
func readBody(r io.Reader, length, limit int64) ([]byte, error) {
	r = io.LimitReader(r, limit+1)
	if length < 0 || length > limit {
		return readChunks(r)
	}
	body := make([]byte, length)
	n, err := io.ReadFull(r, body)
	if err != nil {
		return body[:n], err
	}
	var one [1]byte
	switch m, err := io.ReadFull(r, one[:]); {
	case m == 0 && err == io.EOF:
		return body, nil
	case m == 0:
		return body, err
	}
	// More than the Content-Length said (the transport does not let it
	// happen over HTTP/1.1; kept correct for any reader).
	rest, err := readChunks(r)
	return slices.Concat(body, one[:], rest), err
}

// readChunks reads r to its end; see readBody.
func readChunks(r io.Reader) ([]byte, error) {
	var chunks [][]byte
	var err error
	size, total := 512, 0
	for err == nil {
		chunk := make([]byte, size)
		n := 0
		for n < len(chunk) && err == nil {
			var m int
			m, err = r.Read(chunk[n:])
			n += m
		}
		chunks = append(chunks, chunk[:n])
		total += n
		size = min(2*size, 1<<20)
	}
	if err == io.EOF {
		err = nil
	}
	if len(chunks) == 1 {
		return chunks[0], err
	}
	out := make([]byte, 0, total)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return out, err
}

// Abandon sends req on a connection of its own and closes its sending side
// at once: a client that goes away before the answer. It then waits, within
// the per-request timeout, for the server to close the connection,
// discarding whatever the server writes unread, so the server has dealt
// with the abandoned request before the caller sends the next one.
func (c *Client) Abandon(req Request) error { return c.AbandonAt(req, -1) }

// AbandonAt is Abandon going away after the headers and bodyBytes bytes of
// the body (all of it when negative): a client that leaves in the middle
// of its request. The headers announce the whole body.
func (c *Client) AbandonAt(req Request, bodyBytes int64) error {
	target, err := c.resolve(req)
	if err != nil || c.replay {
		return err // a replay has no connection to abandon
	}
	if err := c.breaker.open(); err != nil {
		return err
	}
	var body io.Reader
	if req.Body != nil {
		body = strings.NewReader(string(req.Body))
	}
	hr, err := http.NewRequest(req.Method, target, body)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	hr.Header = req.Header.Clone()
	if hr.Header == nil {
		hr.Header = http.Header{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if !c.deadline.IsZero() {
		if time.Now().After(c.deadline) {
			return fmt.Errorf("%w (--run-timeout): request not abandoned, not sent", ErrRunDeadline)
		}
		var cancelRun context.CancelFunc
		ctx, cancelRun = context.WithDeadline(ctx, c.deadline)
		defer cancelRun()
	}
	if err := c.wait(ctx); err != nil {
		return fmt.Errorf("abandon %s: paced by --rate: %w", target, err)
	}
	transport := c.http.Transport.(*http.Transport)
	addr := hr.URL.Host
	if hr.URL.Port() == "" {
		addr = net.JoinHostPort(hr.URL.Hostname(), map[string]string{"http": "80", "https": "443"}[hr.URL.Scheme])
	}
	conn, err := transport.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("abandon %s: %w", target, err)
	}
	if hr.URL.Scheme == "https" {
		cfg := transport.TLSClientConfig.Clone()
		cfg.NextProtos = []string{"http/1.1"} // the abandoned request is written as HTTP/1.1
		cfg.ServerName = hr.URL.Hostname()
		tlsConn := tls.Client(conn, cfg)
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("abandon %s: %w", target, err)
		}
		conn = tlsConn
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	if bodyBytes >= 0 && bodyBytes < int64(len(req.Body)) {
		// Headers for the whole body, and only its first bodyBytes: Write
		// reports the shortfall once it has written them.
		hr.ContentLength = int64(len(req.Body))
		hr.Body = io.NopCloser(strings.NewReader(string(req.Body[:bodyBytes])))
		bw := bufio.NewWriter(conn)
		_ = hr.Write(bw)
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("abandon %s: %w", target, err)
		}
	} else if err := hr.Write(conn); err != nil {
		return fmt.Errorf("abandon %s: %w", target, err)
	}
	if hc, ok := conn.(interface{ CloseWrite() error }); ok {
		_ = hc.CloseWrite()
	}
	if _, err := io.Copy(io.Discard, io.LimitReader(conn, c.maxBody)); err != nil && !errors.Is(err, net.ErrClosed) {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("abandon %s: the server kept the connection open past %s (--timeout) after the client went away", target, c.timeout)
		}
	}
	return nil
}

// Describe is the curl command that would send req, secrets read from
// the environment: what a person checks when its answer never came.
func (c *Client) Describe(req Request) string {
	ex := &Exchange{Method: req.Method, Request: req, redactor: c.redactor, RequestHeader: req.Header.Clone()}
	ex.URL, _ = c.resolve(req)
	return ex.Curl()
}

// Bound is the longest req may take once sent: --timeout (or the
// request's own, when shorter) plus its body's time at MinUploadRate.
func (c *Client) Bound(req Request) time.Duration {
	timeout := c.timeout
	if req.Timeout > 0 && req.Timeout < timeout {
		timeout = req.Timeout
	}
	return timeout + c.uploadTime(req)
}

// uploadTime is the time a request's body is given to be sent, on top of
// the timeout: its size at MinUploadRate.
func (c *Client) uploadTime(req Request) time.Duration {
	size := int64(len(req.Body))
	if req.Stream != nil {
		size = req.Stream.Size
	}
	if size == 0 || c.upload <= 0 {
		return 0
	}
	return time.Duration(float64(size) / float64(c.upload) * float64(time.Second))
}

func (c *Client) deadlineFor(req Request) time.Time {
	if req.Cleanup && !c.deadline.IsZero() {
		return c.deadline.Add(CleanupGrace)
	}
	return c.deadline
}

// wait holds a request back until the pace allows it.
func (c *Client) wait(ctx context.Context) error {
	if c.pace == nil {
		return nil
	}
	return c.pace.Wait(ctx)
}

func (c *Client) explain(ctx context.Context, err error, timeout time.Duration, bound string) error {
	if ctx.Err() != nil {
		if !c.deadline.IsZero() && time.Now().After(c.deadline) {
			return fmt.Errorf("%w (--run-timeout): %v", ErrRunDeadline, err)
		}
		return fmt.Errorf("%w after %s (%s): %v", ErrTimeout, timeout, bound, err)
	}
	return err
}

// resolve joins the request path to the base URL, refusing anything that
// would send the request (and its credentials) to another host.
func (c *Client) resolve(req Request) (string, error) {
	ref, err := url.Parse(req.Path)
	if err != nil {
		return "", fmt.Errorf("request path %q: %w", req.Path, err)
	}
	if ref.Scheme != "" || ref.Host != "" || strings.HasPrefix(req.Path, "//") {
		return "", fmt.Errorf("request path %q names a host; paths are relative to the target", req.Path)
	}
	u := *c.base
	u.Path = c.base.Path + ref.Path
	u.RawPath = ""
	q := ref.Query()
	for k, vs := range req.Query {
		q[k] = append(q[k], vs...)
	}
	u.RawQuery = q.Encode()
	if req.RawQuery != "" {
		if strings.ContainsAny(req.RawQuery, " #\r\n") {
			return "", fmt.Errorf("raw query %q: spaces, # and line breaks cannot be sent", req.RawQuery)
		}
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += req.RawQuery
	}
	return u.String(), nil
}

// transportErr is the error of an exchange that got no answer at all, or
// whose answer did not end within its bound: a target that sends its
// headers and then drips the body is as unreachable as a silent one.
func (e *Exchange) transportErr() error {
	if e.Status != 0 && !errors.Is(e.Err, ErrTimeout) {
		return nil
	}
	return e.Err
}

// Preflight asks the target for path once, without credentials, before any
// spec, and returns an error only when nothing that speaks HTTP answers:
// the host cannot be resolved or reached, TLS fails, the bytes that come
// back are not HTTP, or the target's scheme is the wrong one (https:// for
// a port that speaks plain HTTP, http:// for one that speaks TLS). Any
// other HTTP answer will do, a 400 included. A timeout or a reset is left
// to the specs, and counts toward the unreachable target, unless the port
// turns out to speak TLS to an http:// target.
func (c *Client) Preflight(path string) error {
	ex := c.Do(Request{Method: http.MethodGet, Path: path, Origin: "the preflight request"})
	if c.base.Scheme == "http" {
		if why := c.speaksTLS(ex); why != "" {
			return fmt.Errorf("the target %s speaks TLS on that port, not plain HTTP (%s): use %s", c.base.Host, why, c.withScheme("https"))
		}
	}
	if ex.Status != 0 || ex.Err == nil {
		return nil
	}
	var dns *net.DNSError
	var op *net.OpError
	var cert *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	switch err := ex.Err; {
	case errors.As(err, &dns):
		return fmt.Errorf("cannot resolve the target's host %s: %v", c.base.Hostname(), dns)
	case errors.Is(err, http.ErrSchemeMismatch):
		return fmt.Errorf("the target %s speaks plain HTTP on that port, not TLS (it answered the TLS handshake in HTTP): use %s", c.base.Host, c.withScheme("http"))
	case errors.As(err, &cert), errors.As(err, &record), strings.Contains(err.Error(), "tls: "):
		return fmt.Errorf("TLS with %s failed (--ca-file, --insecure): %v", c.base.Host, err)
	case errors.As(err, &op) && op.Op == "dial":
		return fmt.Errorf("cannot connect to %s: %v", c.base.Host, op.Err)
	case strings.Contains(err.Error(), "malformed HTTP"):
		return fmt.Errorf("the target at %s does not speak HTTP: %v", c.base.Host, err)
	}
	return nil
}

// plainToTLS are what servers answer, with 400, to a plain HTTP request
// on a port that speaks TLS: Go's net/http, nginx.
var plainToTLS = []string{
	"Client sent an HTTP request to an HTTPS server",
	"The plain HTTP request was sent to HTTPS port",
}

// speaksTLS says why the answer to a plain HTTP request shows that the
// target's port speaks TLS, or returns "": a 400 saying so, a TLS alert
// record (0x15 0x03…) instead of HTTP, or a reset or close without an
// answer from a port that completes a TLS handshake.
func (c *Client) speaksTLS(ex *Exchange) string {
	if ex.Status == http.StatusBadRequest {
		for _, text := range plainToTLS {
			if bytes.Contains(ex.Body, []byte(text)) {
				return fmt.Sprintf("it answered 400 %q", text)
			}
		}
		return ""
	}
	if ex.Status != 0 || ex.Err == nil {
		return ""
	}
	if strings.Contains(ex.Err.Error(), `malformed HTTP response "\x15\x03`) {
		return "it answered with a TLS alert"
	}
	if errors.Is(ex.Err, syscall.ECONNRESET) || errors.Is(ex.Err, io.EOF) || errors.Is(ex.Err, io.ErrUnexpectedEOF) {
		if c.handshakes() {
			return "it closed the connection on a plain request, and completes a TLS handshake"
		}
	}
	return ""
}

// handshakes says whether the target's port completes a TLS handshake (or
// answers one with a TLS alert), certificate unchecked: nothing else is
// sent. A proxied target is not tried, as the proxy stands between.
func (c *Client) handshakes() bool {
	if c.ProxyFor() != "none" {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if !c.deadline.IsZero() {
		var cancelRun context.CancelFunc
		ctx, cancelRun = context.WithDeadline(ctx, c.deadline)
		defer cancelRun()
	}
	addr := net.JoinHostPort(c.base.Hostname(), cmp.Or(c.base.Port(), "80"))
	conn, err := c.http.Transport.(*http.Transport).DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	defer conn.Close()
	tlsConn := tls.Client(conn, &tls.Config{ServerName: c.base.Hostname(), InsecureSkipVerify: true}) //nolint:gosec // only asks whether the port speaks TLS; nothing is sent over it
	err = tlsConn.HandshakeContext(ctx)
	var op *net.OpError
	return err == nil || errors.As(err, &op) && op.Op == "remote error"
}

// withScheme is the target's base URL with another scheme, on the same
// port (written out when the scheme's default would change it).
func (c *Client) withScheme(scheme string) string {
	u := *c.base
	u.Scheme = scheme
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), map[string]string{"http": "443", "https": "80"}[scheme])
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String()
}

// MaxFlagFileBytes bounds a file a flag names (--ca-file, --baseline).
const MaxFlagFileBytes = 4 << 20

// ReadFileBounded reads a file a flag names, refusing anything but a
// regular file of at most limit bytes: it looks before it opens (opening
// a FIFO blocks) and reads at most limit+1 bytes.
func ReadFileBounded(name string, limit int64) ([]byte, error) {
	info, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", name, info.Mode().Type())
	}
	if info.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes, more than %d", name, info.Size(), limit)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(b)) > limit {
		err = fmt.Errorf("%s holds more than %d bytes", name, limit)
	}
	return b, err
}
