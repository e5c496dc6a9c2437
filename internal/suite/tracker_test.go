package suite

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/confsuite/apiconform/runner"
)

func TestCreatedIDIsTheLiteralTextTheTargetSent(t *testing.T) {
	for _, c := range []struct {
		body, field, want string
		ok                bool
	}{
		{`{"id":12345678901234567890}`, "id", "12345678901234567890", true},
		{`{"id":1e3}`, "id", "1e3", true},
		{`{"uid":"ln-00a3"}`, "uid", "ln-00a3", true},
		{`{"line":{"uid":"x 1"}}`, "line.uid", "x 1", true},
		{`{"state":"preparing"}`, "id", "", false},
		{`{"id":true}`, "id", "", false},
		{`{"id":"a"}{"id":"b"}`, "id", "", false},
		{`not json`, "id", "", false},
	} {
		got, ok := createdID([]byte(c.body), c.field)
		if got != c.want || ok != c.ok {
			t.Errorf("createdID(%s, %s) = %q %v, want %q %v", c.body, c.field, got, ok, c.want, c.ok)
		}
	}
}

// An id that would name another resource once in a path is refused: a dot
// segment (DELETE …/extension/. names the collection once normalised), a
// separator, a backslash.
func TestUnsafeIDsAreRefused(t *testing.T) {
	for _, id := range []string{"", ".", "..", "a/..", "../x", "a/b", "a?b", "a#b", `a\b`, "x..y", strings.Repeat("7", MaxID+1)} {
		if unsafeID(id) == "" {
			t.Errorf("%q accepted", id)
		}
	}
	for _, id := range []string{"7001", "ln-00a3", "x 1", ".hidden", "a.b", "%2E"} {
		if why := unsafeID(id); why != "" {
			t.Errorf("%q refused: %s", id, why)
		}
	}
}

// An id shown in a report is cut to MaxShownID bytes, on a character
// boundary, saying how long it was.
func TestShownIDsAreBounded(t *testing.T) {
	long := strings.Repeat("é", 1<<19) // 1 MiB
	got := shortID(long)
	if len(got) > MaxShownID+40 || !utf8.ValidString(got) || !strings.Contains(got, "1048576 bytes") {
		t.Errorf("shortID of 1 MiB: %d bytes %q", len(got), got[:min(len(got), 200)])
	}
	if shortID("7001") != "7001" {
		t.Errorf("a short id changed")
	}
}

// Creates begun and never sent (the batch was abandoned) are not waited
// for, nor reported as possibly left.
func TestCancelledCreatesAreNotAwaited(t *testing.T) {
	var tr tracker
	a := tr.begin("extension", runner.Request{Method: "POST"}, time.Hour)
	b := tr.begin("extension", runner.Request{Method: "POST"}, time.Hour)
	tr.cancel(a, b, 0)
	done := make(chan struct{})
	go func() { tr.await(); close(done) }()
	select {
	case <-done:
	case <-time.After(CreateGrace):
		t.Fatal("await waited for creates that were never sent")
	}
	if len(tr.pending) != 0 || len(tr.unanswered) != 0 {
		t.Errorf("pending %v, unanswered %v", tr.pending, tr.unanswered)
	}
}
