package runner

import (
	"strings"
	"testing"
)

func TestSharedValueGetsOneLabelWhateverTheAddOrder(t *testing.T) {
	const v = "shared-secret-value"
	want := "Bearer [redacted:tokens.a|tokens.b]"
	for _, order := range [][]string{{"tokens.a", "tokens.b"}, {"tokens.b", "tokens.a"}, {"tokens.b", "tokens.a", "tokens.b"}} {
		r := NewRedactor()
		for _, label := range order {
			r.Add(label, v)
		}
		if got := r.Redact("Bearer " + v); got != want {
			t.Errorf("Add order %v: got %q, want %q", order, got, want)
		}
	}
}

func TestRedactionIsOnePassLongestFirst(t *testing.T) {
	r := NewRedactor()
	// The second secret contains the text the first is replaced by: a
	// sequential replacement would turn it into something else.
	r.Add("x", "abcdefgh")
	r.Add("y", "[redacted:x]-tail-1234")
	r.Add("z", "abcdefgh-longer")
	// A secret that is part of every replacement text.
	r.Add("w", "redacted")
	for in, want := range map[string]string{
		"[redacted:x]-tail-1234":         "[redacted:y]",
		"abcdefgh-longer and abcdefgh":   "[redacted:z] and [redacted:x]",
		"abcdefgh[redacted:x]-tail-1234": "[redacted:x][redacted:y]",
		"nothing here":                   "nothing here",
		"Bearer abcdefgh-longer":         "Bearer [redacted:z]",
		"redacted, abcdefgh":             "[redacted:w], [redacted:x]",
		"abcdefg":                        "abcdefg",
	} {
		if got := r.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNilAndEmptyRedactorsChangeNothing(t *testing.T) {
	var r *Redactor
	if got := r.Redact("a secret"); got != "a secret" {
		t.Errorf("nil redactor changed the text: %q", got)
	}
	r = NewRedactor()
	r.Add("empty", "")
	if got := r.Redact("a secret"); got != "a secret" {
		t.Errorf("empty secret changed the text: %q", got)
	}
}

func TestValidSecret(t *testing.T) {
	for _, ok := range []string{"s3cr3t-token-value", "12345678", "pass word", "pa\tss-word", "clé-secrète", "Zm9v+/==\"'\\<&>"} {
		if err := ValidSecret(ok); err != nil {
			t.Errorf("ValidSecret(%q) = %v, want nil", ok, err)
		}
	}
	for bad, want := range map[string]string{
		"":                     "shorter than 8",
		"1234567":              "shorter than 8",
		"clé1234":              "shorter than 8",
		"token-with\nnewline":  "a newline",
		"token-with\r\nCRLF":   "a carriage return",
		"token-with\x00NUL":    "a NUL byte",
		"token-with\x1bESC":    "control character 0x1b",
		"token-with\x7fDEL":    "control character 0x7f",
		" leading-space-token": "starts or ends",
		"trailing-tab-token\t": "starts or ends",
	} {
		err := ValidSecret(bad)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidSecret(%q) = %v, want an error saying %q", bad, err, want)
			continue
		}
		if len(bad) >= 4 && strings.Contains(err.Error(), bad[1:4]) {
			t.Errorf("the error shows part of the secret: %v", err)
		}
	}
}
