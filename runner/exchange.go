package runner

import (
	"fmt"
	"net/http"
	"slices"
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
	// Local and Remote are the IP addresses of the connection the answer
	// came on (the suite's end, and the target's or a proxy's), when known.
	Local, Remote string
	redactor      *Redactor

	// Started is when the request was handed to the transport (zero when
	// it was not sent); FirstByte is from then to the answer's header.
	Started   time.Time
	FirstByte time.Duration
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
	// The window holds a secret that starts within the excerpt whole, even
	// spelt with character references, which are replaced first.
	window, back := r.unreferenced(string(body[:min(len(body), excerptBytes+referenceSpellingFactor*r.maxLen())]))
	text, shownInWindow := r.redactPrefix(window, excerptBytes)
	shown := back(shownInWindow)
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

// Curl renders a shell command that sends the same request, without its
// secrets: a secret the request holds verbatim is read from an environment
// variable (EnvVar of its label: "$APICONFORM_VALID", in a double-quoted
// word), and an encoded form of one (percent-encoded in the URL, escaped
// in a JSON body, base64) shows its [redacted:…] marker. Each piece is
// redacted before it is quoted, and a piece with a control character is
// quoted as $'…' with escapes (a body with a NUL byte is piped from
// printf), so the command never writes one to a terminal.
func (e *Exchange) Curl() string {
	r := e.redactor
	var b strings.Builder
	if s := e.Request.Stream; s != nil {
		prefix, prefixArgs := printfFormat(r.Split(string(s.Prefix)))
		fmt.Fprintf(&b, "{ printf '%s'%s; head -c %d /dev/zero", prefix, prefixArgs, s.Size-int64(len(s.Prefix))-int64(len(s.Suffix)))
		if s.Fill != 0 {
			fmt.Fprintf(&b, " | tr '\\0' '\\%03o'", s.Fill)
		}
		suffix, suffixArgs := printfFormat(r.Split(string(s.Suffix)))
		fmt.Fprintf(&b, "; printf '%s'%s; } | ", suffix, suffixArgs)
	}
	var body []Piece
	piped := e.Request.Stream != nil
	if e.Request.Stream == nil && e.Request.Body != nil {
		body = r.Split(string(e.Request.Body))
		if slices.ContainsFunc(body, func(p Piece) bool { return strings.ContainsRune(p.Text, 0) }) {
			format, args := printfFormat(body)
			fmt.Fprintf(&b, "printf '%s'%s | ", format, args)
			piped = true
		}
	}
	fmt.Fprintf(&b, "curl -sS -i -X %s %s", shellWord(r.Redact(e.Method)), shellPieces(r.Split(e.URL)))
	keys := make([]string, 0, len(e.RequestHeader))
	for k := range e.RequestHeader {
		if k != "User-Agent" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range e.RequestHeader[k] {
			fmt.Fprintf(&b, " -H %s", shellPieces(r.Split(k+": "+v)))
		}
	}
	switch {
	case piped:
		b.WriteString(" --data-binary @-")
	case e.Request.Body != nil:
		fmt.Fprintf(&b, " --data-binary %s", shellPieces(body))
	}
	return b.String()
}

// EnvVar is the environment variable a curl command reads a secret from,
// named after the secret's label: credentials.<role> becomes
// APICONFORM_<ROLE>, any other label APICONFORM_<LABEL>, in upper case,
// every character but an ASCII letter or digit written _.
func EnvVar(label string) string {
	var b strings.Builder
	b.WriteString("APICONFORM_")
	for _, c := range strings.TrimPrefix(label, "credentials.") {
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteRune(c - 'a' + 'A')
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// envRef is the shell's reference to the variable a piece's secret is
// read from: the first of its labels (a value several labels share is
// the same whichever is read).
func envRef(p Piece) string { return "$" + EnvVar(p.Keys[0]) }

// shellPieces quotes pieces as one shell word. With no secret held
// verbatim, as shellQuote does. Otherwise in double quotes, each such
// secret a reference to its variable ($NAME, or ${NAME} before a
// character that would continue the name), the rest escaped: \, ", $ and
// backquote with a backslash, ! in single quotes (no history expansion
// when pasted), and control characters in $'…' with \x escapes.
func shellPieces(pieces []Piece) string {
	if !slices.ContainsFunc(pieces, func(p Piece) bool { return len(p.Keys) > 0 }) {
		var s strings.Builder
		for _, p := range pieces {
			s.WriteString(p.Text)
		}
		return shellQuote(s.String())
	}
	var b strings.Builder
	b.WriteByte('"')
	for i, p := range pieces {
		if len(p.Keys) > 0 {
			ref := envRef(p)
			if i+1 < len(pieces) && len(pieces[i+1].Keys) == 0 && continuesName(pieces[i+1].Text) {
				ref = "${" + ref[1:] + "}"
			}
			b.WriteString(ref)
			continue
		}
		for j := 0; j < len(p.Text); {
			c, size := utf8.DecodeRuneInString(p.Text[j:])
			switch {
			case c == '\\' || c == '"' || c == '$' || c == '`':
				b.WriteByte('\\')
				b.WriteByte(p.Text[j])
			case c == '!':
				b.WriteString(`"'!'"`)
			case needsEscape(c, size, false):
				b.WriteString(`"$'`)
				for _, x := range []byte(p.Text[j : j+size]) {
					fmt.Fprintf(&b, `\x%02x`, x)
				}
				b.WriteString(`'"`)
			default:
				b.WriteString(p.Text[j : j+size])
			}
			j += size
		}
	}
	b.WriteByte('"')
	return b.String()
}

// continuesName says whether s starts with a character that would
// continue a variable's name after $NAME.
func continuesName(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
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

// printfFormat writes pieces as a printf format that prints them, and the
// arguments it takes: printable ASCII as is, except \, % and ', every
// other byte as an octal escape (POSIX printf has no \x), and each secret
// held verbatim as %s with its variable's reference as the argument, so
// the secret's own \ and % are printed as they are.
func printfFormat(pieces []Piece) (format, args string) {
	var b, a strings.Builder
	for _, p := range pieces {
		if len(p.Keys) > 0 {
			b.WriteString("%s")
			fmt.Fprintf(&a, ` "%s"`, envRef(p))
			continue
		}
		for i := 0; i < len(p.Text); i++ {
			switch c := p.Text[i]; {
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
	}
	return b.String(), a.String()
}
