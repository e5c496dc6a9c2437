package conform

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/onsi/gomega/types"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/runner"
	"github.com/confsuite/apiconform/suites"
)

// Formats an answer may be asked for, for Row.
const (
	JSON = check.JSON
	XML  = check.XML
)

// maxBody is the most of a response body a matcher reads.
const maxBody = 1 << 20

// Row matches an *http.Response that answers the named API's row id
// (docs/specs.md lists the ids) the way the page says, in the strict
// reading, judged as the API's own suite judges it. format is the format
// the request asked for (JSON or XML) where the API has formats, else "";
// each map pins the placeholders of one expected message
// ({"parameterName": "geo_id"}), where the API's errors are messages.
func Row(api, id, format string, pins ...map[string]string) types.GomegaMatcher {
	return &rowMatcher{api: api, id: id, format: format, pins: pins}
}

// TelephonyRow is Row("telephony", id, "").
func TelephonyRow(id string) types.GomegaMatcher { return Row("telephony", id, "") }

// ContentRow is Row("content", id, format, pins...).
func ContentRow(id, format string, pins ...map[string]string) types.GomegaMatcher {
	return Row("content", id, format, pins...)
}

type rowMatcher struct {
	api, id, format string
	pins            []map[string]string
	row             catalog.Row
	problems        []check.Problem
}

func (m *rowMatcher) Match(actual any) (bool, error) {
	resp, ok := actual.(*http.Response)
	if !ok || resp == nil {
		return false, fmt.Errorf("conform: want an *http.Response, got %T", actual)
	}
	a, err := suites.Find(m.api)
	if err != nil {
		return false, fmt.Errorf("conform: %w", err)
	}
	cat, err := a.Catalog()
	if err != nil {
		return false, err
	}
	found := false
	for _, r := range cat.Rows {
		if r.ID == m.id {
			m.row, found = r, true
		}
	}
	if !found {
		return false, fmt.Errorf("conform: %q is not a row of the %s catalog", m.id, m.api)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return false, fmt.Errorf("conform: read the response body: %w", err)
	}
	if len(body) > maxBody {
		return false, fmt.Errorf("conform: the response body is larger than %d bytes", maxBody)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	ex := &runner.Exchange{Status: resp.StatusCode, Proto: resp.Proto, ResponseHeader: resp.Header, Body: body}
	if m.problems, err = a.Judge(m.row, ex, m.format, m.pins); err != nil {
		return false, err
	}
	return len(m.problems) == 0, nil
}

func (m *rowMatcher) FailureMessage(any) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Expected the answer to conform to %s (%s, line %d): %s", m.row.Title(), m.row.Page, m.row.Line, m.row.EN)
	for _, p := range m.problems {
		fmt.Fprintf(&b, "\n  - %s", p)
	}
	return b.String()
}

func (m *rowMatcher) NegatedFailureMessage(any) string {
	return fmt.Sprintf("Expected the answer not to conform to %s (%s, line %d), and it does", m.row.Title(), m.row.Page, m.row.Line)
}
