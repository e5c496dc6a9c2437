package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
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

// assertNoFragment fails when text shows part of the tricky secret, or
// does not name it: as its marker, or in a curl command its variable.
func assertNoFragment(t *testing.T, name, text string) {
	t.Helper()
	want := "[redacted:tokens.valid]"
	if name == "curl" {
		want = "$APICONFORM_TOKENS_VALID"
	}
	for _, fragment := range []string{"K9x", "Pw-7731", `Qz"Lm`, `Qz\"Lm`} {
		if strings.Contains(text, fragment) {
			t.Errorf("%s shows part of the secret (%q):\n%s", name, fragment, text)
			return
		}
	}
	if !strings.Contains(text, want) {
		t.Errorf("%s should say which secret was redacted (%s):\n%s", name, want, text)
	}
}

func TestCurlRedactsBeforeQuoting(t *testing.T) {
	ex := trickyExchange()
	assertNoFragment(t, "curl", ex.Curl())
	for _, want := range []string{`-H "Authorization: Bearer $APICONFORM_TOKENS_VALID"`, `--data-binary "{\"token\":\"$APICONFORM_TOKENS_VALID\"}"`} {
		if !strings.Contains(ex.Curl(), want) {
			t.Errorf("want %s: the secret's variable, the rest quoted once:\n%s", want, ex.Curl())
		}
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
	if !safe(c) || !strings.HasPrefix(c, `printf 'nul\000%s\047%%\\' "$APICONFORM_TOKENS_VALID" | curl `) || !strings.HasSuffix(c, " --data-binary @-") {
		t.Errorf("a body with NUL should be piped from printf: %q", c)
	}
}

func TestEnvVar(t *testing.T) {
	for label, want := range map[string]string{
		"credentials.valid":        "APICONFORM_VALID",
		"credentials.blocked_user": "APICONFORM_BLOCKED_USER",
		"credentials.rate-limit.2": "APICONFORM_RATE_LIMIT_2",
		"credentials.clé":          "APICONFORM_CL_",
		"tokens.valid":             "APICONFORM_TOKENS_VALID",
	} {
		if got := EnvVar(label); got != want {
			t.Errorf("EnvVar(%q) = %q, want %q", label, got, want)
		}
	}
}

// nasty is a secret with every character a double-quoted shell word treats
// specially, and ' and !.
const nasty = "Zq7'dq\"dl$HOME\\bs`id`!x-9043"

func nastyExchange(labels ...string) *Exchange {
	r := NewRedactor()
	for _, label := range labels {
		r.Add(label, nasty)
	}
	return &Exchange{
		Method: "POST",
		URL:    "http://127.0.0.1:1/x?q=it's",
		RequestHeader: http.Header{
			"Authorization": {"Bearer " + nasty},
			"X-Note":        {"$HOME `id` \\ \" ' !x " + nasty + "_tail \x1b"},
		},
		Request:  Request{Body: []byte(`{"token":"` + nasty + `"}`)},
		redactor: r,
	}
}

// A secret is read from its variable in a double-quoted word, never shown.
func TestCurlReadsASecretFromItsVariable(t *testing.T) {
	c := nastyExchange("credentials.valid").Curl()
	for _, want := range []string{
		`-H "Authorization: Bearer $APICONFORM_VALID"`,
		`-H "X-Note: \$HOME \` + "`id\\`" + ` \\ \" ' "'!'"x ${APICONFORM_VALID}_tail "$'\x1b'""`,
		`--data-binary "{\"token\":\"$APICONFORM_VALID\"}"`,
		`'http://127.0.0.1:1/x?q=it'\''s'`, // no secret: quoted as before
	} {
		if !strings.Contains(c, want) {
			t.Errorf("want %s in:\n%s", want, c)
		}
	}
	for _, fragment := range []string{"Zq7'dq", `dl$HOME\bs`, "`id`!x", "9043", "[redacted:"} {
		if strings.Contains(c, fragment) {
			t.Errorf("curl shows %q:\n%s", fragment, c)
		}
	}
	if !safe(c) {
		t.Errorf("curl writes a control character: %q", c)
	}
	if tr := nastyExchange("credentials.valid").Transcript(); !strings.Contains(tr, "Bearer [redacted:credentials.valid]") || strings.Contains(tr, "$APICONFORM") {
		t.Errorf("the transcript keeps the marker:\n%s", tr)
	}
}

// A value two roles share is read from the first role's variable; the
// marker names both.
func TestCurlOfAValueTwoRolesShare(t *testing.T) {
	ex := nastyExchange("credentials.valid", "credentials.blocked_user")
	c := ex.Curl()
	if !strings.Contains(c, `-H "Authorization: Bearer $APICONFORM_BLOCKED_USER"`) || strings.Contains(c, "APICONFORM_VALID") || strings.Contains(c, "9043") {
		t.Errorf("curl:\n%s", c)
	}
	if tr := ex.Transcript(); !strings.Contains(tr, "[redacted:credentials.blocked_user|credentials.valid]") {
		t.Errorf("transcript:\n%s", tr)
	}
}

// An encoded form of a secret (here percent-encoded in a query) cannot be
// read from the variable as it is: its marker stays.
func TestCurlKeepsTheMarkerOfAnEncodedSecret(t *testing.T) {
	ex := nastyExchange("credentials.valid")
	ex.URL = "http://127.0.0.1:1/x?key=" + url.QueryEscape(nasty)
	if c := ex.Curl(); !strings.Contains(c, `'http://127.0.0.1:1/x?key=[redacted:credentials.valid]'`) {
		t.Errorf("curl:\n%s", c)
	}
}

// The curl command, pasted into bash with the secret exported (and history
// expansion on, as in an interactive shell), sends what the suite sent:
// the same headers and body bytes.
func TestCurlSendsTheSameRequest(t *testing.T) {
	bash, errBash := exec.LookPath("bash")
	curl, errCurl := exec.LookPath("curl")
	if errBash != nil || errCurl != nil {
		t.Skip("needs bash and curl")
	}
	var mu sync.Mutex
	var got []string
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, fmt.Sprintf("%s %s\nAuthorization: %q\nX-Note: %q\n%q", r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"), r.Header.Get("X-Note"), body))
	})
	r := NewRedactor()
	r.Add("credentials.valid", nasty)
	c, err := New(Options{Target: srv.URL, Redactor: r})
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir() // no curlrc, no proxy: the command goes to the loopback server only
	env := []string{"PATH=" + filepath.Dir(curl), "HOME=" + home, "XDG_CONFIG_HOME=" + home, "APICONFORM_VALID=" + nasty}
	for _, body := range []string{`{"token":"` + nasty + `","note":"$HOME \ !x '"}`, "nul\x00" + nasty + "'%\\"} {
		mu.Lock()
		got = nil
		mu.Unlock()
		ex := c.Do(Request{Method: "POST", Path: "/x", Query: url.Values{"q": {"a b"}}, Body: []byte(body), Header: http.Header{
			"Authorization": {"Bearer " + nasty},
			"X-Note":        {"$HOME `id` \\ \" ' !x " + nasty + "_tail"},
		}})
		if ex.Err != nil {
			t.Fatal(ex.Err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cmd := exec.CommandContext(ctx, bash)
		cmd.Stdin = strings.NewReader("set -o history -o histexpand\n" + ex.Curl() + "\n")
		cmd.Env, cmd.Dir = env, home
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("%v: %s\n%s", err, out, ex.Curl())
		}
		mu.Lock()
		if len(got) != 2 || got[0] != got[1] {
			t.Errorf("the suite sent, then curl:\n%s\n\ncurl: %s", strings.Join(got, "\n\n"), ex.Curl())
		}
		mu.Unlock()
	}
}
