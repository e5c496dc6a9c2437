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
)

// Formats of a Content API answer, for ContentRow.
const (
	JSON = check.JSON
	XML  = check.XML
)

// maxBody is the most of a response body a matcher reads.
const maxBody = 1 << 20

// TelephonyRow matches an *http.Response that answers the Telephony API
// row id (docs/specs.md lists the ids) the way the page says, in the
// strict reading: Expect(resp).To(conform.TelephonyRow("tel.403.user_blocked")).
func TelephonyRow(id string) types.GomegaMatcher {
	return &rowMatcher{api: "telephony", id: id, judge: func(row catalog.Row, ex *runner.Exchange) ([]check.Problem, error) {
		if row.Method != "" {
			return check.Success(ex, row.Code), nil
		}
		t, err := check.NewTelephony(check.Strict)
		if err != nil {
			return nil, err
		}
		return t.Error(ex, row), nil
	}}
}

// ContentRow matches an *http.Response that answers the Content API row id
// in format (JSON or XML) the way the page says, in the strict reading (a
// 200 by its code: the page states the format of error messages only).
// Each map pins the placeholders of one expected message
// ({"parameterName": "geo_id"}); with none, one message with any values.
func ContentRow(id, format string, messages ...map[string]string) types.GomegaMatcher {
	return &rowMatcher{api: "content", id: id, judge: func(row catalog.Row, ex *runner.Exchange) ([]check.Problem, error) {
		c, err := check.NewContent(check.Strict)
		if err != nil {
			return nil, err
		}
		if row.Code == http.StatusOK {
			return c.Success(ex, format), nil
		}
		if len(messages) == 0 {
			messages = []map[string]string{{}}
		}
		var want []check.Message
		for _, m := range messages {
			want = append(want, check.Message{Template: row.Message, Values: m, Lenient: row.Lenient, Wordings: row.Wordings})
		}
		return c.Errors(ex, format, row.Code, want), nil
	}}
}

type rowMatcher struct {
	api, id  string
	judge    func(catalog.Row, *runner.Exchange) ([]check.Problem, error)
	row      catalog.Row
	problems []check.Problem
}

func (m *rowMatcher) Match(actual any) (bool, error) {
	resp, ok := actual.(*http.Response)
	if !ok || resp == nil {
		return false, fmt.Errorf("conform: want an *http.Response, got %T", actual)
	}
	cat, err := catalog.Load(m.api)
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
	if m.problems, err = m.judge(m.row, ex); err != nil {
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
