package runner

import (
	"sort"
	"strings"
)

// Redactor replaces every known secret value with a label naming where the
// secret came from, so a transcript still tells which credential was used
// without showing it.
type Redactor struct {
	secrets map[string]string // value -> label
	ordered []string          // values, longest first, so a secret containing another is replaced whole
}

// NewRedactor returns a Redactor that knows no secrets yet.
func NewRedactor() *Redactor {
	return &Redactor{secrets: map[string]string{}}
}

// Add registers a secret value under a label such as "tokens.valid".
// Empty values are ignored: they cannot leak and would match everywhere.
func (r *Redactor) Add(label, value string) {
	if value == "" {
		return
	}
	if _, seen := r.secrets[value]; !seen {
		r.ordered = append(r.ordered, value)
		sort.Slice(r.ordered, func(i, j int) bool { return len(r.ordered[i]) > len(r.ordered[j]) })
	}
	r.secrets[value] = label
}

// Redact returns s with every registered secret replaced by [redacted:label].
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return s
	}
	for _, v := range r.ordered {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, "[redacted:"+r.secrets[v]+"]")
		}
	}
	return s
}
