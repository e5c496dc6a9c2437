package check

import (
	"strings"
	"testing"

	"github.com/confsuite/apiconform/runner"
)

// A message's excerpt is redacted before it is cut: no prefix of a secret
// is ever shown, and no marker is cut in two.
func TestExcerptRedactsBeforeCutting(t *testing.T) {
	const secret = "Vx'Q\"w-a-secret-of-49-characters-0123456789abcd"
	r := runner.NewRedactor()
	r.Add("credentials.valid", secret)
	Conceal(r.Redact)
	for pad := 0; pad < 45; pad++ {
		got := excerpt(strings.Repeat("x", pad) + secret + " tail")
		for n := 8; n <= len(secret); n++ {
			if strings.Contains(got, secret[:n]) {
				t.Fatalf("pad %d: %q shows %d characters of the secret", pad, got, n)
			}
		}
		if strings.Contains(got, "[redacted:") && !strings.Contains(got, "[redacted:credentials.valid]") {
			t.Errorf("pad %d: the marker is cut: %q", pad, got)
		}
	}
}
