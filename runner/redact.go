package runner

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// Redactor replaces every known secret value with a label naming where the
// secret came from, so a transcript still tells which credential was used
// without showing it.
//
// Redaction is a single left-to-right pass: at each position the longest
// registered value that starts there is replaced, and the text that replaced
// it is never searched again. When several labels register the same value,
// its replacement names them all, sorted: [redacted:tokens.a|tokens.b],
// whatever the order of the Add calls.
//
// A Redactor is safe for concurrent use.
type Redactor struct {
	mu     sync.RWMutex
	labels map[string][]string // value -> its labels, sorted, distinct
	// verbatim holds, for a value, the labels it is the secret of as
	// added, not an encoded form: sorted, distinct.
	verbatim map[string][]string
	// trie holds every value, byte by byte; trie[0] is the root. A node
	// where a value ends holds its replacement.
	trie    []trieNode
	root    [256]int32 // the root's edges, by byte: the node or 0
	longest int        // length of the longest value
}

type trieNode struct {
	edges       []trieEdge
	replacement string // "" unless a value ends here
}

type trieEdge struct {
	b    byte
	next int32
}

// NewRedactor returns a Redactor that knows no secrets yet.
func NewRedactor() *Redactor {
	return &Redactor{labels: map[string][]string{}, verbatim: map[string][]string{}, trie: make([]trieNode, 1)}
}

// Add registers a secret value under a label such as "tokens.valid".
// Empty values are ignored: they cannot leak and would match everywhere.
// Add refuses nothing else: check a configured secret with ValidSecret first.
func (r *Redactor) Add(label, value string) {
	if value == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.labels == nil { // a zero Redactor
		r.labels, r.verbatim, r.trie = map[string][]string{}, map[string][]string{}, make([]trieNode, 1)
	}
	if i, found := slices.BinarySearch(r.verbatim[value], label); !found {
		r.verbatim[value] = slices.Insert(r.verbatim[value], i, label)
	}
	for _, v := range variants(value) {
		labels := r.labels[v]
		if i, found := slices.BinarySearch(labels, label); !found {
			r.labels[v] = slices.Insert(labels, i, label)
			r.index(v)
		}
	}
}

// index sets value's replacement in the trie from its current labels.
func (r *Redactor) index(value string) {
	n := int32(0)
	for i := 0; i < len(value); i++ {
		next := r.child(n, value[i])
		if next == 0 {
			next = int32(len(r.trie))
			r.trie = append(r.trie, trieNode{})
			if n == 0 {
				r.root[value[i]] = next
			} else {
				r.trie[n].edges = append(r.trie[n].edges, trieEdge{value[i], next})
			}
		}
		n = next
	}
	r.trie[n].replacement = "[redacted:" + strings.Join(r.labels[value], "|") + "]"
	r.longest = max(r.longest, len(value))
}

// child is the node after n on byte b, or 0 (the root is nobody's child).
func (r *Redactor) child(n int32, b byte) int32 {
	if n == 0 {
		return r.root[b]
	}
	for _, e := range r.trie[n].edges {
		if e.b == b {
			return e.next
		}
	}
	return 0
}

// Redact returns s with every registered secret replaced by [redacted:label].
func (r *Redactor) Redact(s string) string {
	s, _ = r.unreferenced(s)
	out, _ := r.redactPrefix(s, len(s))
	return out
}

// A Piece is a part of a text as Split cuts it: text that holds no
// secret, or the place of one secret.
type Piece struct {
	// Text is the text itself, or, in a secret's place, its redaction
	// marker [redacted:…]; never the secret.
	Text string
	// Secret says the piece is a secret's place.
	Secret bool
	// Keys are, for a secret that the text holds verbatim (as it was added,
	// not an encoded form), the labels it was added under, sorted. Writing
	// any one's value in the secret's place gives back the text's bytes.
	// Empty for an encoded form of a secret, or no secret.
	Keys []string
}

// Split cuts s into pieces as Redact replaces its secrets: the text
// between secrets, and each secret's place, found the same way (one pass,
// the longest value first). Joining the pieces' Text gives Redact(s). It
// lets a caller write a secret's place otherwise than as its marker, such
// as a reference to where the secret can be read, without ever seeing it.
func (r *Redactor) Split(s string) []Piece {
	if r == nil || r.trie == nil {
		return []Piece{{Text: s}}
	}
	s, _ = r.unreferenced(s)
	r.mu.RLock()
	defer r.mu.RUnlock()
	var pieces []Piece
	done := 0
	for i := 0; i < len(s); {
		length, replacement := r.longestAt(s[i:])
		if length == 0 {
			i++
			continue
		}
		if done < i {
			pieces = append(pieces, Piece{Text: s[done:i]})
		}
		pieces = append(pieces, Piece{Text: replacement, Secret: true, Keys: slices.Clone(r.verbatim[s[i:i+length]])})
		i += length
		done = i
	}
	if done < len(s) || len(pieces) == 0 {
		pieces = append(pieces, Piece{Text: s[done:]})
	}
	return pieces
}

// redactPrefix redacts s up to limit bytes, extended to the end of a secret
// that starts before limit, and says how many bytes of s that covers.
func (r *Redactor) redactPrefix(s string, limit int) (string, int) {
	if r == nil || r.trie == nil {
		return s[:min(limit, len(s))], min(limit, len(s))
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	var b strings.Builder
	done := 0 // s[:done] is in b, or replaced
	i := 0
	for i < len(s) && i < limit {
		length, replacement := r.longestAt(s[i:])
		if length == 0 {
			i++
			continue
		}
		if done == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[done:i])
		b.WriteString(replacement)
		i += length
		done = i
	}
	if done == 0 {
		return s[:i], i
	}
	b.WriteString(s[done:i])
	return b.String(), i
}

// maxLen is the length of the longest registered value, 0 for nil.
func (r *Redactor) maxLen() int {
	if r == nil {
		return 0
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.longest
}

// longestAt is the length of the longest registered value s starts with and
// its replacement, or 0.
func (r *Redactor) longestAt(s string) (int, string) {
	length, replacement := 0, ""
	n := int32(0)
	for i := 0; i < len(s); i++ {
		if n = r.child(n, s[i]); n == 0 {
			break
		}
		if repl := r.trie[n].replacement; repl != "" {
			length, replacement = i+1, repl
		}
	}
	return length, replacement
}

// variants are the forms of a secret Redact looks for: the value itself,
// then each distinct encoding of it a server commonly echoes back: in a JSON
// string, in a URL, in base64, in XML or HTML text.
func variants(value string) []string {
	out := []string{value}
	seen := map[string]bool{value: true}
	add := func(forms ...string) {
		for _, f := range forms {
			if f != "" && !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	add(jsonForms(value)...)
	add(url.QueryEscape(value), url.PathEscape(value))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		add(enc.EncodeToString([]byte(value)))
	}
	add(base64Cores(value)...)
	add(xmlForms(value)...)
	for _, m := range mojibake(value) {
		add(m)
		add(jsonForms(m)...)
		add(url.QueryEscape(m), url.PathEscape(m))
		add(xmlForms(m)...)
	}
	return out
}

// jsonForms are value inside a JSON string as encoders write it:
// encoding/json's (<, > and & as \u003c…), without HTML escaping, with
// every non-ASCII character as \uXXXX (Python, PHP), each also with "/"
// written "\/" (PHP).
func jsonForms(value string) []string {
	html, _ := json.Marshal(value)
	var plain bytes.Buffer
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(value)
	forms := []string{
		strings.Trim(string(html), `"`),
		strings.TrimSuffix(strings.TrimPrefix(plain.String(), `"`), "\"\n"),
	}
	var ascii strings.Builder
	for _, c := range forms[1] {
		if c < utf8.RuneSelf {
			ascii.WriteRune(c)
			continue
		}
		for _, u := range utf16.Encode([]rune{c}) {
			fmt.Fprintf(&ascii, `\u%04x`, u)
		}
	}
	forms = append(forms, ascii.String())
	for _, f := range forms[:3] {
		forms = append(forms, strings.ReplaceAll(f, "/", `\/`))
	}
	return forms
}

// base64Cores find value base64-encoded inside a longer text, such as the
// password in Basic credentials: for each of the three alignments value can
// start at, the characters that depend on value's bytes alone. A core
// shorter than 8 characters could match by chance and is left out.
func base64Cores(value string) []string {
	var cores []string
	for k := range 3 {
		buf := append(make([]byte, k), value...)
		from, to := (8*k+5)/6, 8*len(buf)/6
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			if s := enc.EncodeToString(buf); to-from >= 8 {
				cores = append(cores, s[from:to])
			}
		}
	}
	return cores
}

// xmlForms are value as XML or HTML text or attribute: & and < always
// escaped, > as is or &gt;, " as is, &quot; or &#34;, ' as is, &apos; or
// &#39; (encoding/xml and html.EscapeString write the numeric forms).
func xmlForms(value string) []string {
	if !strings.ContainsAny(value, `&<>"'`+"\t") {
		return nil
	}
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(value))
	forms := []string{b.String()}
	for _, gt := range []string{">", "&gt;"} {
		for _, quot := range []string{`"`, "&quot;", "&#34;"} {
			for _, apos := range []string{"'", "&apos;", "&#39;"} {
				r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", gt, `"`, quot, "'", apos)
				forms = append(forms, r.Replace(value))
			}
		}
	}
	return forms
}

// MinSecretLen is the shortest secret ValidSecret accepts, in characters.
const MinSecretLen = 8

// ValidSecret says why value cannot be used as a secret, or returns nil.
// A secret shorter than MinSecretLen would redact parts of every URL and
// body; a secret with a byte that may not appear in an HTTP header field
// value (a control character such as a newline, CR or NUL, or leading or
// trailing whitespace, which a server trims) cannot be sent as a header,
// and a server's copy of it would differ from the value Redact looks for.
// The error never contains the value.
func ValidSecret(value string) error {
	if n := utf8.RuneCountInString(value); n < MinSecretLen {
		return fmt.Errorf("secret is %d characters long, shorter than %d: redacting it would redact parts of every URL", n, MinSecretLen)
	}
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c < 0x20 && c != '\t' || c == 0x7f {
			name := map[byte]string{'\n': "a newline", '\r': "a carriage return", 0: "a NUL byte"}[c]
			if name == "" {
				name = fmt.Sprintf("control character 0x%02x", c)
			}
			return fmt.Errorf("secret contains %s at byte %d: not allowed in an HTTP header field value", name, i)
		}
	}
	if strings.TrimLeft(value, " \t") != value || strings.TrimRight(value, " \t") != value {
		return errors.New("secret starts or ends with a space or tab: an HTTP header field value cannot, and servers trim it")
	}
	return nil
}

// Clean makes s safe to print: secrets redacted, then control characters
// escaped (EscapeControl). Use it on anything that may hold a secret or
// text from the target before it reaches a terminal, a log or a report.
// A nil Redactor only escapes.
func (r *Redactor) Clean(s string) string {
	return EscapeControl(r.Redact(s))
}

// EscapeControl returns s with every character that could rewrite a
// terminal written as visible text: C0 controls except newline and tab
// (ESC, CR, BEL, backspace, NUL…) and DEL as \x1b-style escapes, C1
// controls (U+0080–U+009F) as \u009b-style escapes, and each byte that is
// not valid UTF-8 as \xff-style escapes. A backslash already in s is left
// as it is.
func EscapeControl(s string) string {
	return escapeControl(s, false)
}

// escapeControl is EscapeControl, escaping newlines too when oneLine.
func escapeControl(s string, oneLine bool) string {
	i := 0
	for i < len(s) {
		c, size := utf8.DecodeRuneInString(s[i:])
		if needsEscape(c, size, oneLine) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case !needsEscape(c, size, oneLine):
			b.WriteString(s[i : i+size])
		case c >= 0x80 && size > 1:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		}
		i += size
	}
	return b.String()
}

func needsEscape(c rune, size int, oneLine bool) bool {
	switch {
	case c == utf8.RuneError && size == 1:
		return true
	case c == '\t':
		return false
	case c == '\n':
		return oneLine
	default:
		return c < 0x20 || c >= 0x7f && c <= 0x9f
	}
}
