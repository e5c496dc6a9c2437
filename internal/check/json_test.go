package check

import (
	"encoding/json"
	"strings"
	"testing"
)

// noPanic runs f and turns a panic into a test failure that names it.
func noPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s panicked: %v", what, r)
		}
	}()
	f()
}

func TestViolationsTurnsAValidatorPanicIntoAViolation(t *testing.T) {
	s, err := CompileSchema("const.json", []byte(`{"properties":{"status":{"const":"user_blocked"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	// gojsonschema dereferences a nil pointer in its const check on a
	// number out of float64 range.
	noPanic(t, "Violations", func() { got = s.Violations(map[string]any{"status": json.Number("1e999")}) })
	if len(got) != 1 || !strings.Contains(got[0], "panic") || !strings.Contains(got[0], "cannot judge") {
		t.Fatalf("want one violation naming the panic, got %q", got)
	}
}
