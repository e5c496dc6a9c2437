package suite

import "testing"

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
