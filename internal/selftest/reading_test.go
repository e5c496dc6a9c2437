package selftest

import (
	"net/http"
	"testing"

	"github.com/confsuite/apiconform/internal/mutant"
	reftel "github.com/confsuite/apiconform/suites/telephony/refserver"
)

// Answers that only the lenient reading accepts (docs/decisions.md): the
// strict run must fail exactly the rows concerned, the lenient run nothing.
func TestReadingSwitchesBetweenStrictAndLenient(t *testing.T) {
	for _, c := range []struct {
		api        string
		server     func() http.Handler
		strictRows []string
	}{
		{
			api: "telephony",
			// A status on rows without one, and Content-Type text/plain on them.
			server: func() http.Handler {
				return mutant.Rewrite(reftel.New(reftel.DefaultSeed()), func(_ mutant.Request, r *mutant.Response) {
					if status, _ := mutant.JSONField(r.Body, "status"); r.Code >= 400 && status == "" {
						mutant.SetJSONField(r, "status", "generic_error")
						r.Header.Set("Content-Type", "text/plain")
					}
				})
			},
			strictRows: []string{"tel.401.none", "tel.404.none", "tel.405.none", "tel.413.none"},
		},
		{
			api: "content",
			// The page's examples' spellings instead of its templates.
			server: lenientOnlyContent,
			// The allowed-values example's wording is the page's own: both
			// readings accept it.
			strictRows: []string{"con.405.method", "con.422.not-supported"},
		},
	} {
		t.Run(c.api, func(t *testing.T) {
			strict := runSuite(t, c.api, c.server(), nil)
			failing := strict.failedRows()
			for _, row := range c.strictRows {
				if len(failing[row]) == 0 {
					t.Errorf("strict reading: row %s should fail", row)
				}
				delete(failing, row)
			}
			if c.api == "content" {
				// The lenient spelling of "not supported" is only documented for 405.
				delete(failing, "con.422.not-supported")
			}
			if len(failing) > 0 {
				t.Errorf("strict reading: other rows failed too: %v", failing)
			}
			lenient := runSuite(t, c.api, c.server(), nil, "--reading=lenient")
			wantLenientFailures := map[string]bool{}
			if c.api == "content" {
				wantLenientFailures["con.422.not-supported"] = true
			}
			for row := range lenient.failedRows() {
				if !wantLenientFailures[row] {
					t.Errorf("lenient reading: row %s failed", row)
				}
			}
		})
	}
}
