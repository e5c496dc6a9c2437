package check

import (
	"strings"
	"sync"
	"unicode/utf8"
)

// concealers redact secrets from text a check quotes, before it cuts an
// excerpt: a message must never show a secret's prefix, which redaction
// after the cut could no longer recognise.
var (
	concealMu  sync.RWMutex
	concealers []func(string) string
)

// Conceal registers a function that redacts secrets (a run's
// runner.Redactor.Redact) from every excerpt a check quotes.
func Conceal(redact func(string) string) {
	concealMu.Lock()
	defer concealMu.Unlock()
	concealers = append(concealers, redact)
}

// excerptLen is how many bytes of a text a message quotes.
const excerptLen = 40

// excerpt is s, redacted, then cut to excerptLen bytes on a character
// boundary and never inside a redaction marker.
func excerpt(s string) string {
	s = strings.TrimSpace(s)
	concealMu.RLock()
	for _, redact := range concealers {
		s = redact(s)
	}
	concealMu.RUnlock()
	if len(s) <= excerptLen {
		return s
	}
	cut := excerptLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if open := strings.LastIndex(s[:cut], "[redacted:"); open >= 0 && !strings.Contains(s[open:cut], "]") {
		if end := strings.IndexByte(s[cut:], ']'); end >= 0 {
			cut += end + 1
		}
	}
	return s[:cut] + "…"
}
