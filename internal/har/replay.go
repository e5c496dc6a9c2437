package har

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/confsuite/apiconform/runner"
)

// Read reads a HAR file: one this suite recorded, or one another tool
// wrote (a browser's developer tools, a proxy).
func Read(path string) (*HAR, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var h HAR
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("%s is not a HAR file: %w", path, err)
	}
	if h.Log.Version == "" || h.Log.Entries == nil {
		return nil, fmt.Errorf("%s is not a HAR file: it has no log.version or no log.entries", path)
	}
	for i, e := range h.Log.Entries {
		if _, err := url.Parse(e.Request.URL); err != nil || e.Request.Method == "" {
			return nil, fmt.Errorf("%s: entry %d has no request method or URL", path, i+1)
		}
	}
	return &h, nil
}

// About says where a recording comes from, for the replay's record: the
// run it recorded (this suite's), else the tool that wrote it and when
// its first request was sent.
func (h *HAR) About() (version, target string, recorded time.Time) {
	if r := h.Log.Run; r != nil {
		return r.Version, r.Target, r.Started
	}
	version = strings.TrimSpace(h.Log.Creator.Name + " " + h.Log.Creator.Version)
	for _, e := range h.Log.Entries {
		if t, err := time.Parse(time.RFC3339Nano, e.StartedDateTime); err == nil && (recorded.IsZero() || t.Before(recorded)) {
			recorded = t
		}
	}
	if len(h.Log.Entries) > 0 {
		if u, err := url.Parse(h.Log.Entries[0].Request.URL); err == nil {
			target = (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
		}
	}
	return version, target, recorded
}

// Replay answers requests from a recording: an http.RoundTripper for
// runner.Options.Replay.
//
// A request is matched to the first entry not yet used, in the file's
// order, that has
//
//   - the same spec, when the recording tags its entries with _spec (one
//     this suite wrote); a HAR from another tool is one pool;
//   - the same method, URL path and query (as sent, byte for byte);
//   - the same value for every header the suite sends but User-Agent (the
//     credential's header holds its [redacted:…] marker on both sides;
//     headers only the recording has are ignored);
//   - the same body: its bytes, or, past MaxPostText, its size and SHA-256.
//
// Both sides are compared after redaction, since the recording holds only
// redacted values, and values the suite made up for its run alone (a new
// name: runner.Request.Fresh) match any value in their place. A request
// with no such entry gets runner.ErrNotRecorded, naming how it differs
// from the closest entry.
type Replay struct {
	mu       sync.Mutex
	once     sync.Once
	h        *HAR
	slots    []*slot
	tagged   bool
	specs    map[string]int // entries by spec
	redactor *runner.Redactor
	tag      Tag
}

type slot struct {
	e      Entry
	used   bool
	path   string
	query  string
	header http.Header
	body   []byte // nil: only the digest is known
	digest string
	stream *Stream // a streamed body's shape, when recorded
}

// NewReplay prepares h to answer requests; r redacts what the recording
// holds (a HAR from another tool holds the secrets themselves) when the
// first request comes, so secrets added to r until then count; tag says
// which spec sent a request.
func NewReplay(h *HAR, r *runner.Redactor, tag Tag) *Replay {
	return &Replay{h: h, specs: map[string]int{}, redactor: r, tag: tag}
}

// index reads the recording's entries, redacted.
func (p *Replay) index() {
	r := p.redactor
	for _, e := range p.h.Log.Entries {
		s := &slot{e: e, header: http.Header{}}
		if u, err := url.Parse(r.Redact(e.Request.URL)); err == nil {
			s.path, s.query = u.EscapedPath(), u.RawQuery
		}
		for _, nv := range e.Request.Headers {
			s.header.Add(nv.Name, r.Redact(nv.Value))
		}
		s.body, s.digest = []byte{}, digest(nil)
		if pd := e.Request.PostData; pd != nil {
			// A body the file holds neither as text nor as a digest (a
			// browser leaves large ones out) is unknown: digest "".
			s.body, s.digest, s.stream = nil, pd.SHA256, pd.Stream.decoded()
			switch {
			case pd.Encoding == "base64":
				if b, err := base64.StdEncoding.DecodeString(pd.Text); err == nil {
					s.body = []byte(r.Redact(string(b)))
				}
			case pd.Text != "" || pd.SHA256 == "" && e.Request.BodySize <= 0:
				s.body = []byte(r.Redact(pd.Text))
			}
			if s.body != nil {
				s.digest = digest(s.body)
			}
		}
		if e.Spec != "" {
			p.tagged = true
			p.specs[e.Spec]++
		}
		p.slots = append(p.slots, s)
	}
}

// live is a request the suite sends, redacted.
type live struct {
	method, path, query string
	header              http.Header
	body                []byte
	digest              string
	stream              *Stream
	fresh               []string
}

// RoundTrip answers hr from the recording.
func (p *Replay) RoundTrip(hr *http.Request) (*http.Response, error) {
	p.once.Do(p.index)
	req, _ := runner.RequestOf(hr.Context())
	l, err := p.live(hr, req)
	if err != nil {
		return nil, err
	}
	spec := ""
	if p.tag != nil {
		spec, _ = p.tag(req.Origin)
	}
	p.mu.Lock()
	var pool []*slot
	for _, s := range p.slots {
		if !p.tagged || s.e.Spec == spec {
			pool = append(pool, s)
		}
	}
	var found *slot
	for _, s := range pool {
		if !s.used && l.differs(s) == "" {
			found, s.used = s, true
			break
		}
	}
	p.mu.Unlock()
	if found == nil {
		return nil, p.miss(l, spec, pool)
	}
	return answer(found.e, hr, p.redactor)
}

func (p *Replay) live(hr *http.Request, req runner.Request) (*live, error) {
	r := p.redactor
	l := &live{method: hr.Method, header: http.Header{}}
	if u, err := url.Parse(r.Redact(hr.URL.String())); err == nil {
		l.path, l.query = u.EscapedPath(), u.RawQuery
	}
	for k, vs := range hr.Header {
		for _, v := range vs {
			l.header.Add(k, r.Redact(v))
		}
	}
	for _, f := range req.Fresh {
		l.fresh = append(l.fresh, r.Redact(f))
	}
	switch {
	case req.Stream != nil:
		s := req.Stream
		l.stream = &Stream{Prefix: r.Redact(string(s.Prefix)), Fill: int(s.Fill), Suffix: r.Redact(string(s.Suffix)), Size: s.Size}
		l.digest = StreamDigest(l.stream)
	case hr.Body != nil:
		b, err := io.ReadAll(hr.Body)
		hr.Body.Close()
		if err != nil {
			return nil, err
		}
		l.body = []byte(r.Redact(string(b)))
		l.digest = digest(l.body)
	default:
		l.body, l.digest = []byte{}, digest(nil)
	}
	return l, nil
}

// differs says how the recorded request s differs from l, "" if not.
func (l *live) differs(s *slot) string {
	var diffs []string
	if !strings.EqualFold(l.method, s.e.Request.Method) {
		diffs = append(diffs, fmt.Sprintf("method %s, recorded %s", l.method, s.e.Request.Method))
	}
	if !matches(l.path, s.path, l.fresh) {
		diffs = append(diffs, fmt.Sprintf("path %s, recorded %s", l.path, s.path))
	}
	if !matches(l.query, s.query, l.fresh) {
		diffs = append(diffs, fmt.Sprintf("query %q, recorded %q", l.query, s.query))
	}
	keys := make([]string, 0, len(l.header))
	for k := range l.header {
		if k != "User-Agent" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		want, got := strings.Join(l.header[k], ", "), strings.Join(s.header.Values(k), ", ")
		if !matches(want, got, l.fresh) {
			diffs = append(diffs, fmt.Sprintf("header %s %q, recorded %q", k, want, got))
		}
	}
	// A credential the recorded request carried must be sent too.
	recorded := make([]string, 0, len(s.header))
	for k := range s.header {
		recorded = append(recorded, k)
	}
	sort.Strings(recorded)
	for _, k := range recorded {
		got := strings.Join(s.header.Values(k), ", ")
		if _, sent := l.header[k]; !sent && (k == "Authorization" || strings.Contains(got, "[redacted:")) {
			diffs = append(diffs, fmt.Sprintf("header %s not sent, recorded %q", k, got))
		}
	}
	switch {
	case l.digest == s.digest, s.body == nil && s.digest == "":
	case l.stream != nil && s.stream != nil:
		a, b := l.stream, s.stream
		if a.Size != b.Size || a.Fill != b.Fill || !matches(a.Prefix, b.Prefix, l.fresh) || !matches(a.Suffix, b.Suffix, l.fresh) {
			diffs = append(diffs, fmt.Sprintf("streamed body of %d bytes (sha256 %.12s), recorded %d bytes (sha256 %.12s)", a.Size, l.digest, b.Size, s.digest))
		}
	case s.body != nil && l.body != nil:
		if !matches(string(l.body), string(s.body), l.fresh) {
			diffs = append(diffs, fmt.Sprintf("body of %d bytes (sha256 %.12s), recorded %d bytes (sha256 %.12s)", len(l.body), l.digest, len(s.body), s.digest))
		}
	case l.digest != s.digest:
		diffs = append(diffs, fmt.Sprintf("body sha256 %.12s, recorded %.12s", l.digest, s.digest))
	}
	return strings.Join(diffs, "; ")
}

// matches tells whether the recorded text equals the sent one, each fresh
// value of the sent one standing for any text of one or more bytes that
// holds no delimiter (a name, an e-mail address, a multipart boundary).
func matches(sent, recorded string, fresh []string) bool {
	if sent == recorded {
		return true
	}
	var present []string
	for _, f := range fresh {
		if f != "" && strings.Contains(sent, f) {
			present = append(present, f)
		}
	}
	if len(present) == 0 {
		return false
	}
	slices.SortFunc(present, func(a, b string) int { return len(b) - len(a) })
	// The sent text cut at each fresh value, longest first.
	pieces := []string{sent}
	for _, f := range present {
		var next []string
		for i, p := range pieces {
			if i%2 == 1 {
				next = append(next, p) // a wildcard's place stays
				continue
			}
			parts := strings.Split(p, f)
			for j, part := range parts {
				if j > 0 {
					next = append(next, "")
				}
				next = append(next, part)
			}
		}
		pieces = next
	}
	literals := make([]string, 0, len(pieces)/2+1)
	for i := 0; i < len(pieces); i += 2 {
		literals = append(literals, pieces[i])
	}
	if !strings.HasPrefix(recorded, literals[0]) {
		return false
	}
	return wild(recorded[len(literals[0]):], literals[1:])
}

// wild matches s against a wildcard followed by literals[0], then a
// wildcard and literals[1], and so on to the end of s.
func wild(s string, literals []string) bool {
	if len(literals) == 0 {
		return s == ""
	}
	for j := 1; j <= len(s); j++ {
		if strings.IndexByte(delimiters, s[j-1]) >= 0 {
			return false
		}
		if strings.HasPrefix(s[j:], literals[0]) && wild(s[j+len(literals[0]):], literals[1:]) {
			return true
		}
	}
	return false
}

// delimiters never occur in a fresh value's place.
const delimiters = "\"'&/?=,;:{}[]<> \t\r\n"

// miss is the error of a request no entry answers, naming the closest.
func (p *Replay) miss(l *live, spec string, pool []*slot) error {
	what := l.method + " " + l.path
	if l.query != "" {
		what += "?" + l.query
	}
	if p.tagged && p.specs[spec] == 0 {
		return fmt.Errorf("%w: %s: the recording holds no request of spec %s (it did not run in the recorded run, or sent nothing)", runner.ErrNotRecorded, what, spec)
	}
	var closest *slot
	same := 0
	for _, s := range pool {
		if l.differs(s) == "" {
			same++
			continue
		}
		if s.used {
			continue
		}
		if closest == nil || strings.EqualFold(s.e.Request.Method, l.method) && s.path == l.path && !(strings.EqualFold(closest.e.Request.Method, l.method) && closest.path == l.path) {
			closest = s
		}
	}
	switch {
	case closest != nil:
		return fmt.Errorf("%w: %s differs from the recorded request it is closest to (%s %s): %s", runner.ErrNotRecorded, what, closest.e.Request.Method, closest.path, l.differs(closest))
	case same > 0:
		return fmt.Errorf("%w: %s: the recording holds this request %d times, and this is one more", runner.ErrNotRecorded, what, same)
	}
	return fmt.Errorf("%w: %s: the recording holds no further request here", runner.ErrNotRecorded, what)
}

// answer makes the recorded answer of e the response to hr: its status,
// headers and body, and the error the recorded run met reading it.
func answer(e Entry, hr *http.Request, r *runner.Redactor) (*http.Response, error) {
	rs := e.Response
	if rs.Status == 0 {
		why := e.Error
		if why == "" {
			why = "no answer"
		}
		return nil, fmt.Errorf("the recorded request got no answer: %s", why)
	}
	body := []byte(rs.Content.Text)
	if rs.Content.Encoding == "base64" {
		b, err := base64.StdEncoding.DecodeString(rs.Content.Text)
		if err != nil {
			return nil, fmt.Errorf("the recorded answer's body is not base64: %w", err)
		}
		body = b
	}
	body = []byte(r.Redact(string(body)))
	proto := strings.ToUpper(rs.HTTPVersion)
	switch proto { // as browsers write it
	case "HTTP/2", "H2":
		proto = "HTTP/2.0"
	case "HTTP/3", "H3":
		proto = "HTTP/3.0"
	}
	major, minor, ok := http.ParseHTTPVersion(proto)
	if !ok {
		proto, major, minor = "HTTP/1.1", 1, 1
	}
	resp := &http.Response{StatusCode: rs.Status, Status: strconv.Itoa(rs.Status) + " " + http.StatusText(rs.Status),
		Proto: proto, ProtoMajor: major, ProtoMinor: minor, Header: http.Header{}, Request: hr, ContentLength: int64(len(body))}
	for _, nv := range rs.Headers {
		resp.Header.Add(nv.Name, r.Redact(nv.Value))
	}
	var rest io.Reader = eofReader{}
	if e.Error != "" {
		resp.ContentLength = -1
		rest = errReader{errors.New(e.Error)}
		if strings.Contains(e.Error, runner.ErrBodyTooLarge.Error()) {
			rest = strings.NewReader("…") // the recorded run read past --max-body here
		}
	}
	resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), rest))
	return resp, nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
