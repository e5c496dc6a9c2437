package serve

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestTableFind(t *testing.T) {
	table := NewTable(
		Route[string]{Pattern: "", Methods: map[string]string{"GET": "root"}},
		Route[string]{Pattern: "a/lookup", Methods: map[string]string{"POST": "lookup"}},
		Route[string]{Pattern: "a/*", Methods: map[string]string{"GET": "one", "DELETE": "drop"}},
		Route[string]{Pattern: "a/*/b/*", Methods: map[string]string{"PUT": "two"}},
	)
	for _, tc := range []struct {
		method, path string
		want         string
		args         []string
		code         int
	}{
		{"GET", "", "root", nil, 0},
		{"GET", "a/7", "one", []string{"7"}, 0},
		{"DELETE", "a/7", "drop", []string{"7"}, 0},
		{"PUT", "a/7/b/x", "two", []string{"7", "x"}, 0},
		{"POST", "a/lookup", "lookup", nil, 0},
		{"GET", "a/lookup", "", nil, http.StatusMethodNotAllowed}, // first match wins
		{"POST", "a/7", "", nil, http.StatusMethodNotAllowed},
		{"GET", "a/7/b", "", nil, http.StatusNotFound},
		{"GET", "z", "", nil, http.StatusNotFound},
	} {
		var segs []string
		if tc.path != "" {
			segs = strings.Split(tc.path, "/")
		}
		h, args, code := table.Find(tc.method, segs)
		if h != tc.want || code != tc.code || (len(args) > 0 || len(tc.args) > 0) && !reflect.DeepEqual(args, tc.args) {
			t.Errorf("%s %q: got %q %v %d, want %q %v %d", tc.method, tc.path, h, args, code, tc.want, tc.args, tc.code)
		}
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		path string
		segs []string
		ok   bool
	}{
		{"/base/a/b", []string{"a", "b"}, true},
		{"/base/a/b/", nil, false},
		{"/base/a//b", nil, false},
		{"/base/", nil, false},
		{"/base", nil, false},
		{"/basement/a", nil, false},
		{"/other/a", nil, false},
	} {
		segs, ok := Split(tc.path, "/base")
		if ok != tc.ok || !reflect.DeepEqual(segs, tc.segs) {
			t.Errorf("Split(%q) = %v %v, want %v %v", tc.path, segs, ok, tc.segs, tc.ok)
		}
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestWindow(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0).Add(250 * time.Millisecond)}
	w := NewWindow(time.Second, c.now)
	for i := 0; i < 3; i++ {
		if ok, _ := w.Hit("k", 3); !ok {
			t.Fatalf("request %d refused", i+1)
		}
	}
	ok, after := w.Hit("k", 3)
	if ok || after != 1 {
		t.Fatalf("4th request: ok=%v retryAfter=%d, want false 1", ok, after)
	}
	if ok, _ := w.Hit("other", 3); !ok {
		t.Fatal("another key shares the count")
	}
	c.t = c.t.Add(749 * time.Millisecond) // 1 ms before the reset
	if ok, after := w.Hit("k", 3); ok || after != 1 {
		t.Fatalf("just before reset: ok=%v retryAfter=%d, want false 1", ok, after)
	}
	c.t = c.t.Add(time.Millisecond)
	if ok, _ := w.Hit("k", 3); !ok {
		t.Fatal("new window still refuses")
	}
	if ok, after := w.Hit("k", 0); !ok || after != 0 {
		t.Fatal("limit 0 limits")
	}
}

func TestWindowRetryAfterRoundsUp(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0).Add(10*time.Second + 500*time.Millisecond)}
	w := NewWindow(time.Minute, c.now) // 1_800_000_000 is a multiple of 60
	w.Hit("k", 1)
	if _, after := w.Hit("k", 1); after != 50 {
		t.Fatalf("retryAfter = %d, want 50 (49.5 s rounded up)", after)
	}
}

func TestReadBody(t *testing.T) {
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/", strings.NewReader("12345"))
	if _, err := ReadBody(rec, r, 4); err != ErrTooLarge || rec.Header().Get("Connection") != "close" {
		t.Fatalf("Content-Length over: %v, Connection %q", err, rec.Header().Get("Connection"))
	}
	r = httptest.NewRequest("POST", "/", strings.NewReader("12345"))
	r.ContentLength = -1
	if _, err := ReadBody(httptest.NewRecorder(), r, 4); err != ErrTooLarge {
		t.Fatalf("unknown length over: %v", err)
	}
	r = httptest.NewRequest("POST", "/", strings.NewReader("1234"))
	if b, err := ReadBody(httptest.NewRecorder(), r, 4); err != nil || string(b) != "1234" {
		t.Fatalf("at the limit: %q %v", b, err)
	}
}

func TestJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	JSON(rec, 201, JSONType, map[string]int{"a": 1})
	if rec.Code != 201 || rec.Header().Get("Content-Type") != "application/json" || rec.Body.String() != "{\"a\":1}\n" {
		t.Fatalf("got %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	rec = httptest.NewRecorder()
	JSON(rec, 204, JSONType, nil)
	if rec.Body.Len() != 0 {
		t.Fatalf("nil body wrote %q", rec.Body.String())
	}
}
