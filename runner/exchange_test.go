package runner

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// tricky is a secret with every character quoting changes: ' for the shell,
// " and \ for %q. Its ends are distinctive so a surviving fragment shows.
const tricky = `K9x'Qz"Lm\Pw-7731`

func trickyExchange() *Exchange {
	r := NewRedactor()
	r.Add("tokens.valid", tricky)
	return &Exchange{
		Method:         "POST",
		URL:            "http://127.0.0.1:1/x",
		RequestHeader:  http.Header{"Authorization": {"Bearer " + tricky}},
		Request:        Request{Body: []byte(`{"token":"` + tricky + `"}`)},
		Status:         200,
		Proto:          "HTTP/1.1",
		ResponseHeader: http.Header{"X-Echo": {"Bearer " + tricky}},
		redactor:       r,
	}
}

func assertNoFragment(t *testing.T, name, text string) {
	t.Helper()
	for _, fragment := range []string{"K9x", "Pw-7731", `Qz"Lm`, `Qz\"Lm`} {
		if strings.Contains(text, fragment) {
			t.Errorf("%s shows part of the secret (%q):\n%s", name, fragment, text)
			return
		}
	}
	if !strings.Contains(text, "[redacted:tokens.valid]") {
		t.Errorf("%s should say which secret was redacted:\n%s", name, text)
	}
}

func TestCurlRedactsBeforeQuoting(t *testing.T) {
	ex := trickyExchange()
	assertNoFragment(t, "curl", ex.Curl())
	if !strings.Contains(ex.Curl(), `--data-binary '{"token":"[redacted:tokens.valid]"}'`) {
		t.Errorf("the body should be the redacted body, quoted once:\n%s", ex.Curl())
	}
}

func TestTranscriptRedactsBeforeQuotingABinaryBody(t *testing.T) {
	ex := trickyExchange()
	ex.Body = []byte("\xff\x00 token=" + tricky) // shown with %q
	assertNoFragment(t, "transcript", ex.Transcript())
	ex.Request.Body = []byte("\x00" + tricky)
	assertNoFragment(t, "transcript", ex.Transcript())
}

func TestExcerptNeverCutsASecret(t *testing.T) {
	ex := trickyExchange()
	for _, at := range []int{excerptBytes - 8, excerptBytes - 1, excerptBytes - len(tricky) + 1} {
		ex.Body = []byte(strings.Repeat("a", at) + tricky + strings.Repeat("b", 100))
		text := ex.Transcript()
		assertNoFragment(t, "transcript", text)
		if !strings.Contains(text, "[… 100 more bytes]") {
			t.Errorf("secret at %d: the excerpt should end after the secret:\n%s", at, text[len(text)-200:])
		}
	}
}

func TestExcerptEndsOnARuneBoundary(t *testing.T) {
	ex := trickyExchange()
	ex.Body = []byte(strings.Repeat("a", excerptBytes-1) + "é and more")
	text := ex.Transcript()
	if !utf8.ValidString(text) || strings.Contains(text, `\x`) {
		t.Errorf("a UTF-8 body cut inside a character should not turn into %%q:\n%s", text[len(text)-100:])
	}
}

func TestEscapeControl(t *testing.T) {
	for in, want := range map[string]string{
		"plain\ttext\nnext line":  "plain\ttext\nnext line",
		"\x1b[2J\x1b]0;pwned\x07": `\x1b[2J\x1b]0;pwned\x07`,
		"progress\rOVERWRITE":     `progress\x0dOVERWRITE`,
		"ab\bc\x00d\x7f":          `ab\x08c\x00d\x7f`,
		"c1 \u009b31m \u0085":     `c1 \u009b31m \u0085`,
		"raw byte \x9b31m":        `raw byte \x9b31m`,
		"clé ✓ \ufffd 😀":          "clé ✓ \ufffd 😀",
		"":                        "",
	} {
		if got := EscapeControl(in); got != want {
			t.Errorf("EscapeControl(%q) = %q, want %q", in, got, want)
		}
	}
}

// safe says whether text can go to a terminal: no control character but
// newline and tab, no C1 control, valid UTF-8.
func safe(text string) bool {
	if !utf8.ValidString(text) {
		return false
	}
	for _, c := range text {
		if c < 0x20 && c != '\n' && c != '\t' || c >= 0x7f && c <= 0x9f {
			return false
		}
	}
	return true
}

func TestTranscriptEscapesWhatTheTargetSent(t *testing.T) {
	ex := trickyExchange()
	ex.ResponseHeader = http.Header{"X-Evil": {"a\x1b[2Jb\rc"}, "X-Line": {"v\n< X-Fake: yes"}}
	ex.Body = []byte("hello \x1b]0;title\x07 world\r\n\u009b31m red\n")
	ex.Err = errors.New("read: \x1b[31mboom\u0085")
	text := ex.Transcript()
	if !safe(text) {
		t.Errorf("the transcript passes control characters to the terminal: %q", text)
	}
	for _, want := range []string{`X-Evil: a\x1b[2Jb\x0dc`, `X-Line: v\x0a< X-Fake: yes`, `< hello \x1b]0;title\x07 world\x0d`, `\u009b31m red`, `! read: \x1b[31mboom\u0085`} {
		if !strings.Contains(text, want) {
			t.Errorf("want %q in:\n%s", want, text)
		}
	}
}

func TestCleanRedactsThenEscapes(t *testing.T) {
	r := NewRedactor()
	r.Add("tokens.valid", tricky)
	if got, want := r.Clean("\x1b[1m"+tricky+"\r"), `\x1b[1m[redacted:tokens.valid]\x0d`; got != want {
		t.Errorf("Clean = %q, want %q", got, want)
	}
	var none *Redactor
	if got := none.Clean("a\x1b"); got != `a\x1b` {
		t.Errorf("a nil redactor's Clean should still escape: %q", got)
	}
}

func TestCurlKeepsControlCharactersOffTheTerminal(t *testing.T) {
	ex := trickyExchange()
	ex.RequestHeader = http.Header{"X-Probe": {"a\x1bb"}}
	ex.Request.Body = []byte("line\x1b[2J\r")
	if c := ex.Curl(); !safe(c) || !strings.Contains(c, `-H $'X-Probe: a\x1bb'`) || !strings.Contains(c, `--data-binary $'line\x1b[2J\x0d'`) {
		t.Errorf("curl: %q", c)
	}
	ex.Request.Body = []byte("nul\x00" + tricky + "'%\\")
	c := ex.Curl()
	if !safe(c) || !strings.HasPrefix(c, `printf 'nul\000[redacted:tokens.valid]\047%%\\' | curl `) || !strings.HasSuffix(c, " --data-binary @-") {
		t.Errorf("a body with NUL should be piped from printf: %q", c)
	}
}
