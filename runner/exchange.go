package runner

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// excerptBytes is how much of a body a transcript shows.
const excerptBytes = 2048

// Exchange is one request and what came back, as the suite saw it.
type Exchange struct {
	Method         string
	URL            string
	Request        Request
	RequestHeader  http.Header
	Status         int // 0 when no response arrived
	Proto          string
	ResponseHeader http.Header
	Body           []byte
	Elapsed        time.Duration
	Err            error
	redactor       *Redactor
}

// ContentType is the response's Content-Type header, or "".
func (e *Exchange) ContentType() string {
	if e.ResponseHeader == nil {
		return ""
	}
	return e.ResponseHeader.Get("Content-Type")
}

// Transcript renders the exchange for a report: secrets redacted, then
// control characters escaped, piece by piece (a header line, the body
// excerpt), so neither quoting nor escaping can hide a secret from the
// redactor and nothing the target sent can rewrite a terminal.
func (e *Exchange) Transcript() string {
	r := e.redactor
	line := func(s string) string { return escapeControl(r.Redact(s), true) }
	var b strings.Builder
	fmt.Fprintf(&b, "> %s %s\n", line(e.Method), line(e.URL))
	writeHeaders(&b, "> ", e.RequestHeader, line)
	switch {
	case e.Request.Stream != nil:
		s := e.Request.Stream
		fmt.Fprintf(&b, ">\n> [%d bytes streamed: %d-byte prefix, then 0x%02x repeated, then a %d-byte suffix]\n", s.Size, len(s.Prefix), s.Fill, len(s.Suffix))
	case len(e.Request.Body) > 0:
		b.WriteString(">\n")
		writeBody(&b, "> ", e.Request.Body, r)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, "< %s %d %s (after %s)\n", line(e.Proto), e.Status, http.StatusText(e.Status), e.Elapsed.Round(time.Microsecond))
		writeHeaders(&b, "< ", e.ResponseHeader, line)
		b.WriteString("<\n")
		writeBody(&b, "< ", e.Body, r)
	}
	if e.Err != nil {
		for _, l := range strings.Split(r.Clean(e.Err.Error()), "\n") {
			fmt.Fprintf(&b, "! %s\n", l)
		}
	}
	return b.String()
}

func writeHeaders(b *strings.Builder, prefix string, h http.Header, line func(string) string) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s%s\n", prefix, line(k+": "+v))
		}
	}
}

// writeBody shows the first excerptBytes bytes of body, extended to the end
// of a secret that starts within them, so the cut never shows part of one.
func writeBody(b *strings.Builder, prefix string, body []byte, r *Redactor) {
	if len(body) == 0 {
		fmt.Fprintf(b, "%s[empty body]\n", prefix)
		return
	}
	window := body[:min(len(body), excerptBytes+r.maxLen())]
	text, shown := r.redactPrefix(string(window), excerptBytes)
	if shown < len(body) && utf8.Valid(body[:min(len(body), shown+utf8.UTFMax)]) {
		// Cut before a character split by the limit, not inside it.
		for cut := len(text); cut > 0 && len(text)-cut < utf8.UTFMax; cut-- {
			if utf8.RuneStart(text[cut-1]) {
				if !utf8.FullRuneInString(text[cut-1:]) {
					shown -= len(text) - (cut - 1)
					text = text[:cut-1]
				}
				break
			}
		}
	}
	if !utf8.ValidString(text) || strings.ContainsRune(text, 0) {
		text = strconv.Quote(text)
	} else {
		text = EscapeControl(text)
	}
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintf(b, "%s%s\n", prefix, line)
	}
	if len(body) > shown {
		fmt.Fprintf(b, "%s[… %d more bytes]\n", prefix, len(body)-shown)
	}
}

// Curl renders a shell command that sends the same request, secrets
// redacted. Each piece is redacted before it is quoted, and a piece with a
// control character is quoted as $'…' with escapes (a body with a NUL byte
// is piped from printf), so the command never writes one to a terminal.
func (e *Exchange) Curl() string {
	r := e.redactor
	var b strings.Builder
	if s := e.Request.Stream; s != nil {
		fmt.Fprintf(&b, "{ printf '%s'; head -c %d /dev/zero", printfFormat(r.Redact(string(s.Prefix))), s.Size-int64(len(s.Prefix))-int64(len(s.Suffix)))
		if s.Fill != 0 {
			fmt.Fprintf(&b, " | tr '\\0' '\\%03o'", s.Fill)
		}
		fmt.Fprintf(&b, "; printf '%s'; } | ", printfFormat(r.Redact(string(s.Suffix))))
	}
	var body string
	if e.Request.Stream == nil && e.Request.Body != nil {
		body = r.Redact(string(e.Request.Body))
		if strings.ContainsRune(body, 0) {
			fmt.Fprintf(&b, "printf '%s' | ", printfFormat(body))
		}
	}
	fmt.Fprintf(&b, "curl -sS -i -X %s %s", shellWord(r.Redact(e.Method)), shellQuote(r.Redact(e.URL)))
	keys := make([]string, 0, len(e.RequestHeader))
	for k := range e.RequestHeader {
		if k != "User-Agent" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range e.RequestHeader[k] {
			fmt.Fprintf(&b, " -H %s", shellQuote(r.Redact(k+": "+v)))
		}
	}
	switch {
	case e.Request.Stream != nil, strings.ContainsRune(body, 0):
		b.WriteString(" --data-binary @-")
	case e.Request.Body != nil:
		fmt.Fprintf(&b, " --data-binary %s", shellQuote(body))
	}
	return b.String()
}

// shellWord leaves a plain word as it is and quotes anything else.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == "" {
		return s
	}
	return shellQuote(s)
}

// shellQuote quotes s as one shell word: '…', or $'…' with \x escapes when s
// has a character EscapeControl would escape (a newline is kept as is).
func shellQuote(s string) string {
	if EscapeControl(s) == s {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == '\\' || c == '\'':
			b.WriteByte('\\')
			b.WriteByte(s[i])
		case needsEscape(c, size, false):
			for _, x := range []byte(s[i : i+size]) {
				fmt.Fprintf(&b, `\x%02x`, x)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('\'')
	return b.String()
}

// printfFormat writes p as a printf format that prints it: printable ASCII
// as is, except \, % and ', and every other byte as an octal escape (POSIX
// printf has no \x).
func printfFormat(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '%':
			b.WriteString("%%")
		case c == '\\':
			b.WriteString(`\\`)
		case c >= 0x20 && c < 0x7f && c != '\'':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "\\%03o", c)
		}
	}
	return b.String()
}
