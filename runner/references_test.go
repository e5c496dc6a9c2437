package runner

import (
	"fmt"
	"strings"
	"testing"
)

// spell writes every character of s as a numeric character reference in
// one spelling.
func spell(s string, format string) string {
	var b strings.Builder
	for _, c := range s {
		fmt.Fprintf(&b, format, c)
	}
	return b.String()
}

// A secret echoed with character references, in any spelling and for any
// of its characters, is redacted like the secret itself.
func TestCharacterReferencesInAnySpellingAreRedacted(t *testing.T) {
	const secret = `Vx'Q"w<k>&-Ünï-token-42`
	r := NewRedactor()
	r.Add("credentials.valid", secret)
	forms := map[string]string{
		"decimal":            spell(secret, "&#%d;"),
		"hex lower":          spell(secret, "&#x%x;"),
		"hex upper X":        spell(secret, "&#X%X;"),
		"leading zeros":      spell(secret, "&#%07d;"),
		"hex leading zeros":  spell(secret, "&#x%06x;"),
		"python html.escape": strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#x27;").Replace(secret),
		"only the quote":     strings.ReplaceAll(secret, "'", "&#x27;"),
		"only one letter":    strings.Replace(secret, "V", "&#86;", 1),
		"named and numeric":  strings.NewReplacer("&", "&amp;", "'", "&apos;", `"`, "&#34;", "<", "&#x3C;", ">", "&#062;").Replace(secret),
		"in a sentence":      "you sent " + spell(secret, "&#%d;") + ", which is wrong",
		"next to other refs": "&#60;b&#62;" + spell(secret, "&#x%x;") + "&#60;/b&#62;",
	}
	for name, form := range forms {
		got := r.Redact(form)
		if strings.Contains(got, "token-42") || strings.Contains(got, "&#") && strings.Contains(form, spell("token", "&#%d;")) {
			t.Errorf("%s: %q reads %q", name, form, got)
		}
		if !strings.Contains(got, "[redacted:credentials.valid]") {
			t.Errorf("%s: %q reads %q: no marker", name, form, got)
		}
		if clean := r.Clean(form); strings.Contains(clean, "token-42") {
			t.Errorf("%s: Clean shows the secret: %q", name, clean)
		}
	}
	// Text around it is left as it was, references included.
	if got := r.Redact("a &#39;quoted&#39; word"); got != "a &#39;quoted&#39; word" {
		t.Errorf("text without a secret changed: %q", got)
	}
}

// A non-ASCII secret a server decoded as Latin-1 (or Windows-1252) and
// encoded again as UTF-8 is redacted.
func TestMojibakeOfASecretIsRedacted(t *testing.T) {
	const secret = "pässwörd-€-ключ-42"
	r := NewRedactor()
	r.Add("credentials.valid", secret)
	for _, form := range mojibake(secret) {
		for _, text := range []string{form, "Bearer " + form + " was refused", `{"token":"` + form + `"}`} {
			if got := r.Redact(text); strings.Contains(got, "42") && !strings.Contains(got, "[redacted:credentials.valid]") {
				t.Errorf("%q reads %q", text, got)
			}
		}
	}
	if len(mojibake(secret)) != 2 || mojibake("ascii-only-secret") != nil {
		t.Errorf("mojibake forms: %q", mojibake(secret))
	}
}

// A transcript's excerpt never shows a secret's prefix, however it is spelt.
func TestExcerptNeverCutsASecretSpeltWithReferences(t *testing.T) {
	const secret = "excerpt-secret-value-0123456789"
	r := NewRedactor()
	r.Add("credentials.valid", secret)
	for pad := excerptBytes - 200; pad <= excerptBytes+10; pad += 7 {
		body := strings.Repeat("a", pad) + spell(secret, "&#x%04x;") + strings.Repeat("b", 100)
		var b strings.Builder
		writeBody(&b, "< ", []byte(body), r)
		out := b.String()
		for n := 8; n <= len(secret); n++ {
			if strings.Contains(out, spell(secret[:n], "&#x%04x;")) {
				t.Fatalf("pad %d: the excerpt shows %d characters of the secret", pad, n)
			}
		}
	}
}

// Decoding references costs one pass over the text, only when it holds one.
func BenchmarkRedactWithReferences(b *testing.B) {
	r := NewRedactor()
	r.Add("credentials.valid", `Vx'Q"w-ünï-token-42`)
	text := strings.Repeat("some text &#39;quoted&#39; and more ", 30000) // about 1 MB
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		_ = r.Redact(text)
	}
}
