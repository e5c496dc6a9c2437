package runner

import (
	"fmt"
	"net/http"
	"sort"
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

// Transcript renders the exchange for a report, secrets redacted.
func (e *Exchange) Transcript() string {
	var b strings.Builder
	fmt.Fprintf(&b, "> %s %s\n", e.Method, e.URL)
	writeHeaders(&b, "> ", e.RequestHeader)
	switch {
	case e.Request.Stream != nil:
		s := e.Request.Stream
		fmt.Fprintf(&b, ">\n> [%d bytes streamed: %d-byte prefix, then 0x%02x repeated, then a %d-byte suffix]\n", s.Size, len(s.Prefix), s.Fill, len(s.Suffix))
	case len(e.Request.Body) > 0:
		b.WriteString(">\n")
		writeBody(&b, "> ", e.Request.Body)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, "< %s %d %s (after %s)\n", e.Proto, e.Status, http.StatusText(e.Status), e.Elapsed.Round(time.Microsecond))
		writeHeaders(&b, "< ", e.ResponseHeader)
		b.WriteString("<\n")
		writeBody(&b, "< ", e.Body)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, "! %v\n", e.Err)
	}
	return e.redactor.Redact(b.String())
}

func writeHeaders(b *strings.Builder, prefix string, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, k, v)
		}
	}
}

func writeBody(b *strings.Builder, prefix string, body []byte) {
	if len(body) == 0 {
		fmt.Fprintf(b, "%s[empty body]\n", prefix)
		return
	}
	shown := body
	if len(shown) > excerptBytes {
		shown = shown[:excerptBytes]
	}
	text := string(shown)
	if !utf8.ValidString(text) || strings.ContainsRune(text, 0) {
		text = fmt.Sprintf("%q", shown)
	}
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintf(b, "%s%s\n", prefix, line)
	}
	if len(body) > len(shown) {
		fmt.Fprintf(b, "%s[… %d more bytes]\n", prefix, len(body)-len(shown))
	}
}

// Curl renders a shell command that sends the same request, secrets redacted.
func (e *Exchange) Curl() string {
	var b strings.Builder
	if s := e.Request.Stream; s != nil {
		fmt.Fprintf(&b, "{ printf '%s'; head -c %d /dev/zero", printfEscape(s.Prefix), s.Size-int64(len(s.Prefix))-int64(len(s.Suffix)))
		if s.Fill != 0 {
			fmt.Fprintf(&b, " | tr '\\0' '\\%03o'", s.Fill)
		}
		fmt.Fprintf(&b, "; printf '%s'; } | ", printfEscape(s.Suffix))
	}
	fmt.Fprintf(&b, "curl -sS -i -X %s %s", e.Method, shellQuote(e.URL))
	keys := make([]string, 0, len(e.RequestHeader))
	for k := range e.RequestHeader {
		if k != "User-Agent" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range e.RequestHeader[k] {
			fmt.Fprintf(&b, " -H %s", shellQuote(k+": "+v))
		}
	}
	switch {
	case e.Request.Stream != nil:
		b.WriteString(" --data-binary @-")
	case e.Request.Body != nil:
		fmt.Fprintf(&b, " --data-binary %s", shellQuote(string(e.Request.Body)))
	}
	return e.redactor.Redact(b.String())
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func printfEscape(p []byte) string {
	var b strings.Builder
	for _, c := range p {
		fmt.Fprintf(&b, "\\x%02x", c)
	}
	return b.String()
}
