// Package serve holds what the reference servers share: path-pattern
// routing with method tables (404 for an unknown path, 405 for a known path
// and another method), a fixed-window per-credential rate counter with an
// injectable clock, a size-limited body reader and a JSON writer.
package serve

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Profiles a reference server's Seed may name: the deployment
// fixtures/<api>.yaml describes, and the variant (fixtures/<api>-variant.yaml).
const (
	ProfileDefault = "default" // also ""
	ProfileVariant = "variant"
)

// Route is a path pattern and what answers each method it supports. The
// pattern is segments separated by "/", with no leading or trailing slash;
// "*" matches any one segment; "" is the empty path.
type Route[H any] struct {
	Pattern string
	Methods map[string]H
}

// Table finds the route of a request; the first pattern that matches wins.
type Table[H any] struct {
	routes   []Route[H]
	patterns [][]string
}

// NewTable builds a table of routes, tried in order.
func NewTable[H any](routes ...Route[H]) *Table[H] {
	t := &Table[H]{routes: routes}
	for _, r := range routes {
		var p []string
		if r.Pattern != "" {
			p = strings.Split(r.Pattern, "/")
		}
		t.patterns = append(t.patterns, p)
	}
	return t
}

// Find returns what answers method on the path segments, and the segments
// the pattern's "*" matched, in order. code is 0 when found,
// http.StatusNotFound when no pattern matches and
// http.StatusMethodNotAllowed when one matches but lacks the method.
func (t *Table[H]) Find(method string, segs []string) (h H, args []string, code int) {
	for i, p := range t.patterns {
		if len(p) != len(segs) {
			continue
		}
		args = args[:0]
		ok := true
		for j, s := range p {
			if s == "*" {
				args = append(args, segs[j])
			} else if s != segs[j] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		h, found := t.routes[i].Methods[method]
		if !found {
			return h, nil, http.StatusMethodNotAllowed
		}
		return h, args, 0
	}
	return h, nil, http.StatusNotFound
}

// Split returns the segments of path below base. It reports false when path
// does not start with base+"/" or has an empty segment (so a trailing or
// doubled slash does not match).
func Split(path, base string) ([]string, bool) {
	rest, ok := strings.CutPrefix(path, base+"/")
	if !ok {
		return nil, false
	}
	segs := strings.Split(rest, "/")
	for _, s := range segs {
		if s == "" {
			return nil, false
		}
	}
	return segs, true
}

// Clock is a window's clock for tests: it stands still, or with Step set
// moves on by Step at each reading, so that each request meets a window of
// its own. Its Now is a Seed's (or NewWindow's) now.
type Clock struct {
	T    time.Time
	Step time.Duration
}

// Now reads the clock, moving it on by Step.
func (c *Clock) Now() time.Time {
	c.T = c.T.Add(c.Step)
	return c.T
}

// Window counts requests by credential in fixed windows of a set length,
// aligned to multiples of the length since the Unix epoch.
type Window struct {
	length time.Duration
	now    func() time.Time
	mu     sync.Mutex
	index  int64
	counts map[string]int
}

// NewWindow builds a counter with windows of length; now is the clock, nil
// meaning time.Now.
func NewWindow(length time.Duration, now func() time.Time) *Window {
	if now == nil {
		now = time.Now
	}
	return &Window{length: length, now: now, counts: map[string]int{}}
}

// Hit counts one request by key against limit requests a window. It reports
// whether the request is within the limit and, when it is not, the seconds
// until the window resets, rounded up and at least 1 (for Retry-After). A
// limit of 0 or less is no limit, and the request is not counted.
func (w *Window) Hit(key string, limit int) (ok bool, retryAfter int) {
	if limit <= 0 {
		return true, 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now().UnixNano()
	length := w.length.Nanoseconds()
	if i := now / length; i != w.index {
		w.index, w.counts = i, map[string]int{}
	}
	w.counts[key]++
	if w.counts[key] <= limit {
		return true, 0
	}
	left := (w.index+1)*length - now
	secs := int((left + int64(time.Second) - 1) / int64(time.Second))
	return false, max(secs, 1)
}

// ErrTooLarge is ReadBody's answer to a body over its limit.
var ErrTooLarge = errors.New("request body too large")

// ReadBody reads the request body, at most limit bytes. A Content-Length
// over the limit is refused before reading (and the connection marked to
// close); a body that turns out longer is cut at the limit. Both give
// ErrTooLarge.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		w.Header().Set("Connection", "close")
		return nil, ErrTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, ErrTooLarge
	}
	return body, err
}

// JSONType is the plain JSON media type, without parameters.
const JSONType = "application/json"

// JSON writes code with v encoded as JSON, under contentType; a nil v
// writes no body.
func JSON(w http.ResponseWriter, code int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(code)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}
