package runner

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxReferenceLen bounds one character reference the redactor decodes:
// "&#x" or "&#", up to 16 digits (leading zeros included), ";".
const maxReferenceLen = 3 + 16 + 1

// referenceSpellingFactor is how much longer than a secret its spelling
// with character references may be, for a window that must hold it whole.
const referenceSpellingFactor = maxReferenceLen

// span is a part of a text that holds a secret spelt, at least in part,
// with character references, and the marker that replaces it.
type span struct {
	from, to    int
	replacement string
}

var named = map[string]string{"amp": "&", "lt": "<", "gt": ">", "quot": `"`, "apos": "'"}

// reference decodes the character reference s starts with (&#39;,
// &#x27;, &#X0027;, &apos; …) and returns its text and length, or 0.
func reference(s string) (string, int) {
	if len(s) < 3 || s[0] != '&' {
		return "", 0
	}
	end := strings.IndexByte(s[:min(len(s), maxReferenceLen)], ';')
	if end < 0 {
		return "", 0
	}
	body := s[1:end]
	if text, ok := named[body]; ok {
		return text, end + 1
	}
	if len(body) < 2 || body[0] != '#' {
		return "", 0
	}
	digits, base := body[1:], 10
	if digits[0] == 'x' || digits[0] == 'X' {
		digits, base = digits[1:], 16
	}
	if digits == "" || strings.ContainsAny(digits, "+-_") {
		return "", 0
	}
	n, err := strconv.ParseUint(digits, base, 32)
	if err != nil || n > utf8.MaxRune {
		return "", 0
	}
	return string(rune(n)), end + 1
}

// referenceSpans finds the secrets s spells with character references
// (in any spelling: decimal or hexadecimal, either case, leading zeros,
// for any character), which the byte-wise pass cannot see. It decodes
// every reference, looks for secrets in the decoded text, and returns the
// spans of s holding one with at least one reference in it. The caller
// holds the read lock.
func (r *Redactor) referenceSpans(s string) []span {
	// Spellings with named references alone are among a secret's XML
	// forms already; only a numeric reference calls for decoding.
	if !strings.Contains(s, "&#") || r.longest == 0 {
		return nil
	}
	var decoded strings.Builder
	// start[j] is where in s the unit giving decoded byte j starts; a
	// unit is one byte, or one reference. end[j] is where it ends.
	start := make([]int32, 0, len(s))
	end := make([]int32, 0, len(s))
	refs := false
	for i := 0; i < len(s); {
		text, n := reference(s[i:])
		if n == 0 {
			text, n = s[i:i+1], 1
		} else {
			refs = true
		}
		for k := 0; k < len(text); k++ {
			start = append(start, int32(i))
			end = append(end, int32(i+n))
		}
		decoded.WriteString(text)
		i += n
	}
	if !refs {
		return nil
	}
	d := decoded.String()
	var spans []span
	for j := 0; j < len(d); {
		if j > 0 && start[j] == start[j-1] { // inside a unit
			j++
			continue
		}
		length, replacement := r.longestAt(d[j:])
		if length == 0 {
			j++
			continue
		}
		last := j + length - 1
		if last+1 < len(d) && start[last+1] == start[last] { // ends inside a unit
			j++
			continue
		}
		from, to := int(start[j]), int(end[last])
		if to-from != length || s[from:to] != d[j:j+length] {
			spans = append(spans, span{from: from, to: to, replacement: replacement})
		}
		j += length
	}
	return spans
}

// replaceSpans writes s with its spans replaced, and returns a function
// from an offset in the result to the offset in s it comes from.
func replaceSpans(s string, spans []span) (string, func(int) int) {
	if len(spans) == 0 {
		return s, func(i int) int { return i }
	}
	var b strings.Builder
	done := 0
	for _, sp := range spans {
		b.WriteString(s[done:sp.from])
		b.WriteString(sp.replacement)
		done = sp.to
	}
	b.WriteString(s[done:])
	back := func(off int) int {
		shift := 0
		for _, sp := range spans {
			at := sp.from + shift // where the marker starts in the result
			switch {
			case off <= at:
				return off - shift
			case off < at+len(sp.replacement):
				return sp.to // inside a marker: the whole secret is covered
			}
			shift += len(sp.replacement) - (sp.to - sp.from)
		}
		return off - shift
	}
	return b.String(), back
}

// unreferenced is s with every secret spelt with character references
// replaced by its marker, and the offset map back to s.
func (r *Redactor) unreferenced(s string) (string, func(int) int) {
	if r == nil || r.trie == nil || !strings.Contains(s, "&#") || len(s) > math.MaxInt32 {
		return s, func(i int) int { return i }
	}
	r.mu.RLock()
	spans := r.referenceSpans(s)
	r.mu.RUnlock()
	return replaceSpans(s, spans)
}

// mojibake are value's UTF-8 bytes read as Latin-1 (ISO 8859-1) and as
// Windows-1252, each written again as UTF-8: what a server that decodes
// headers as Latin-1 (WSGI) echoes of a non-ASCII secret.
func mojibake(value string) []string {
	ascii := true
	for i := 0; i < len(value); i++ {
		if value[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return nil
	}
	var latin1, cp1252 strings.Builder
	for i := 0; i < len(value); i++ {
		c := value[i]
		latin1.WriteRune(rune(c))
		if c >= 0x80 && c < 0xa0 && windows1252[c-0x80] != 0 {
			cp1252.WriteRune(windows1252[c-0x80])
		} else {
			cp1252.WriteRune(rune(c))
		}
	}
	return []string{latin1.String(), cp1252.String()}
}

// windows1252 maps 0x80–0x9F to the characters Windows-1252 gives them;
// 0 where it defines none (Latin-1's control character stays).
var windows1252 = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0,
}
