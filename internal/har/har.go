// Package har writes a run's exchanges as an HTTP Archive (HAR 1.2) and
// reads one back to answer a replayed run: --record FILE and --replay FILE.
//
// A recorded entry holds the request and the answer as the runner sent and
// received them, redacted as every other output is (runner.Redactor), and,
// in fields HAR allows (names starting with _), the spec that sent it, its
// row and outcome. A replay matches each request a spec sends to an entry
// (see Replay) and answers with it, so the probes and checks run unchanged.
package har

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/confsuite/apiconform/runner"
)

// HAR is an HTTP Archive.
type HAR struct {
	Log Log `json:"log"`
}

// Log is a HAR's log: HAR 1.2, with the run it records in _apiconform.
type Log struct {
	Version string  `json:"version"`
	Creator Creator `json:"creator"`
	Entries []Entry `json:"entries"`
	Comment string  `json:"comment,omitempty"`
	Run     *Run    `json:"_apiconform,omitempty"`
}

// Creator names the tool that wrote the HAR.
type Creator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Run is what a recording says of the run it comes from.
type Run struct {
	API      string    `json:"api"`
	Version  string    `json:"version"`
	Catalog  string    `json:"catalog"`
	Target   string    `json:"target"`
	Config   string    `json:"config"`
	Reading  string    `json:"reading"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
}

// Entry is one exchange. The _ fields are this suite's: the spec that sent
// the request (its id, as docs/specs.md lists it), its row, the spec's
// outcome and reason, what sent it, and a transport error.
type Entry struct {
	StartedDateTime string   `json:"startedDateTime"`
	Time            float64  `json:"time"`
	Request         Request  `json:"request"`
	Response        Response `json:"response"`
	Cache           struct{} `json:"cache"`
	Timings         Timings  `json:"timings"`
	Spec            string   `json:"_spec,omitempty"`
	Row             string   `json:"_row,omitempty"`
	Outcome         string   `json:"_outcome,omitempty"`
	Reason          string   `json:"_reason,omitempty"`
	Origin          string   `json:"_origin,omitempty"`
	Role            string   `json:"_role,omitempty"`
	Fresh           []string `json:"_fresh,omitempty"`
	Process         int      `json:"_process,omitempty"`
	Error           string   `json:"_error,omitempty"`
}

// Request is a HAR request.
type Request struct {
	Method      string    `json:"method"`
	URL         string    `json:"url"`
	HTTPVersion string    `json:"httpVersion"`
	Cookies     []Cookie  `json:"cookies"`
	Headers     []NV      `json:"headers"`
	QueryString []NV      `json:"queryString"`
	PostData    *PostData `json:"postData,omitempty"`
	HeadersSize int       `json:"headersSize"`
	BodySize    int64     `json:"bodySize"`
}

// Response is a HAR response; status 0 is a request that got no answer.
type Response struct {
	Status      int      `json:"status"`
	StatusText  string   `json:"statusText"`
	HTTPVersion string   `json:"httpVersion"`
	Cookies     []Cookie `json:"cookies"`
	Headers     []NV     `json:"headers"`
	Content     Content  `json:"content"`
	RedirectURL string   `json:"redirectURL"`
	HeadersSize int      `json:"headersSize"`
	BodySize    int64    `json:"bodySize"`
}

// Cookie is a HAR cookie; the suite lists none apart from the headers.
type Cookie struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// NV is a header or a query parameter.
type NV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// PostData is a request body: its text, or, for bytes that are not text,
// base64 in _encoding; past MaxPostText only its _size and _sha256, and a
// streamed body's shape in _stream.
type PostData struct {
	MimeType string  `json:"mimeType"`
	Text     string  `json:"text,omitempty"`
	Encoding string  `json:"_encoding,omitempty"`
	Size     int64   `json:"_size"`
	SHA256   string  `json:"_sha256"`
	Stream   *Stream `json:"_stream,omitempty"`
}

// Stream is a body the suite produced on the fly: Prefix, then the byte
// Fill repeated, then Suffix, Size bytes in all.
type Stream struct {
	Prefix string `json:"prefix"`
	Fill   int    `json:"fill"`
	Suffix string `json:"suffix"`
	Size   int64  `json:"size"`
	// Encoding is "base64" when prefix and suffix are not text.
	Encoding string `json:"encoding,omitempty"`
}

// encoded is s as a recording holds it: prefix and suffix base64 when
// either is not text.
func (s Stream) encoded() *Stream {
	if isText([]byte(s.Prefix)) && isText([]byte(s.Suffix)) {
		return &s
	}
	enc := base64.StdEncoding.EncodeToString
	return &Stream{Prefix: enc([]byte(s.Prefix)), Fill: s.Fill, Suffix: enc([]byte(s.Suffix)), Size: s.Size, Encoding: "base64"}
}

// decoded is a recorded s with its prefix and suffix as sent.
func (s *Stream) decoded() *Stream {
	if s == nil || s.Encoding != "base64" {
		return s
	}
	prefix, err1 := base64.StdEncoding.DecodeString(s.Prefix)
	suffix, err2 := base64.StdEncoding.DecodeString(s.Suffix)
	if err1 != nil || err2 != nil {
		return nil
	}
	return &Stream{Prefix: string(prefix), Fill: s.Fill, Suffix: string(suffix), Size: s.Size}
}

// Content is a response body; Encoding "base64" for bytes that are not
// text, as HAR says.
type Content struct {
	Size     int64  `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
	Encoding string `json:"encoding,omitempty"`
	SHA256   string `json:"_sha256,omitempty"`
}

// Timings are in milliseconds: wait is from sending to the answer's
// header, receive from there to the last body byte; the suite does not
// time sending apart (0).
type Timings struct {
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

// MaxPostText is the largest request body a recording holds in full;
// a larger one is recorded as its size and SHA-256. Response bodies are
// held in full: --max-body bounds them.
const MaxPostText = 1 << 20

// Tag says which spec a request's origin (runner.Request.Origin) is, and
// its row; "" for a request of no spec (the preflight).
type Tag func(origin string) (spec, row string)

// FromExchange makes ex an entry, every text redacted by r.
func FromExchange(ex *runner.Exchange, r *runner.Redactor, tag Tag) Entry {
	red := r.Redact
	started := ex.Started
	if started.IsZero() {
		started = time.Now().Add(-ex.Elapsed)
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	e := Entry{StartedDateTime: started.UTC().Format(time.RFC3339Nano), Time: ms(ex.Elapsed),
		Timings: Timings{Wait: ms(min(ex.FirstByte, ex.Elapsed)), Receive: ms(max(0, ex.Elapsed-ex.FirstByte))},
		Origin:  red(ex.Request.Origin), Role: ex.Request.Role}
	for _, f := range ex.Request.Fresh {
		e.Fresh = append(e.Fresh, red(f))
	}
	if tag != nil {
		e.Spec, e.Row = tag(ex.Request.Origin)
	}
	proto := "HTTP/1.1"
	if ex.Proto != "" {
		proto = ex.Proto
	}
	u := red(ex.URL)
	e.Request = Request{Method: ex.Method, URL: u, HTTPVersion: proto, Cookies: []Cookie{},
		Headers: headers(ex.RequestHeader, red), QueryString: query(u), HeadersSize: -1}
	e.Request.PostData, e.Request.BodySize = postData(ex.Request, ex.RequestHeader.Get("Content-Type"), red)
	if ex.Err != nil {
		e.Error = red(ex.Err.Error())
	}
	e.Response = Response{Status: ex.Status, Cookies: []Cookie{}, Headers: []NV{}, HeadersSize: -1}
	if ex.Status != 0 {
		e.Response.StatusText = http.StatusText(ex.Status)
		e.Response.HTTPVersion = proto
		e.Response.Headers = headers(ex.ResponseHeader, red)
		e.Response.BodySize = int64(len(ex.Body))
		e.Response.Content = content(ex.Body, ex.ResponseHeader.Get("Content-Type"), red)
	}
	return e
}

func headers(h http.Header, red func(string) string) []NV {
	out := []NV{}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			out = append(out, NV{Name: k, Value: red(v)})
		}
	}
	return out
}

// query lists a URL's query parameters as sent (a malformed pair as it
// is, with an empty value).
func query(raw string) []NV {
	out := []NV{}
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return out
	}
	for _, pair := range strings.Split(u.RawQuery, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		out = append(out, NV{Name: k, Value: v})
	}
	return out
}

// isText tells bytes a HAR holds as text.
func isText(b []byte) bool { return utf8.Valid(b) && !slices.Contains(b, 0) }

func postData(req runner.Request, mime string, red func(string) string) (*PostData, int64) {
	switch {
	case req.Stream != nil:
		s := req.Stream
		st := &Stream{Prefix: red(string(s.Prefix)), Fill: int(s.Fill), Suffix: red(string(s.Suffix)), Size: s.Size}
		return &PostData{MimeType: mime, Size: s.Size, SHA256: StreamDigest(st), Stream: st.encoded()}, s.Size
	case req.Body == nil:
		return nil, 0
	}
	body := red(string(req.Body))
	p := &PostData{MimeType: mime, Size: int64(len(req.Body)), SHA256: digest([]byte(body))}
	switch {
	case len(body) > MaxPostText:
	case isText([]byte(body)):
		p.Text = body
	default:
		p.Text, p.Encoding = base64.StdEncoding.EncodeToString([]byte(body)), "base64"
	}
	return p, int64(len(req.Body))
}

func content(body []byte, mime string, red func(string) string) Content {
	text := red(string(body))
	c := Content{Size: int64(len(body)), MimeType: mime, SHA256: digest([]byte(text))}
	if isText([]byte(text)) {
		c.Text = text
	} else {
		c.Text, c.Encoding = base64.StdEncoding.EncodeToString([]byte(text)), "base64"
	}
	return c
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// StreamDigest is the SHA-256 of a streamed body (its prefix and suffix
// redacted), computed without holding it.
func StreamDigest(s *Stream) string {
	h := sha256.New()
	io.WriteString(h, s.Prefix)
	fill := make([]byte, 64<<10)
	for i := range fill {
		fill[i] = byte(s.Fill)
	}
	for rest := s.Size - int64(len(s.Prefix)) - int64(len(s.Suffix)); rest > 0; {
		n := min(rest, int64(len(fill)))
		h.Write(fill[:n])
		rest -= n
	}
	io.WriteString(h, s.Suffix)
	return hex.EncodeToString(h.Sum(nil))
}
