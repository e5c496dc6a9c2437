// Package content is the conformance suite of the Content API
// (004_f3934047545fb061.txt): every catalog row, provoked by its probes, in
// each of the three formats (no format parameter, format=json,
// format=xml), generated from internal/catalog/content.yaml.
package content

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/onsi/ginkgo/v2"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
)

// API is the suite's name in reports and labels.
const API = "content"

// format is one way of asking for an answer's format.
type format struct {
	name  string // in spec names and labels
	param string // value of the format parameter; "" sends none
	kind  string // check.JSON or check.XML
}

func formats(cfg *target.Content) []format {
	return []format{
		{name: "no format", kind: check.JSON},
		{name: "json", param: cfg.FormatValues.JSON, kind: check.JSON},
		{name: "xml", param: cfg.FormatValues.XML, kind: check.XML},
	}
}

// Setup loads the configuration and returns the suite's cases: what
// suite.Standalone calls.
var Setup = suite.SetupWith(target.LoadContent, Cases)

// Register adds the suite's specs to a Ginkgo tree you run yourself.
func Register(env *suite.Env, cfg *target.Content) bool {
	return suite.RegisterWith(env, cfg, Cases)
}

// Cases pairs every catalog row with its probes, each in every format. It
// also sets the rule that holds for every answer of the run: a 5xx carries
// the error envelope in the requested format.
func Cases(env *suite.Env, cfg *target.Content) ([]suite.Case, error) {
	cat, err := catalog.Load(API)
	if err != nil {
		return nil, err
	}
	checker, err := check.NewContent(env.Reading)
	if err != nil {
		return nil, err
	}
	c := &con{env: env, cfg: cfg, check: checker}
	env.Observe = c.observe
	var cases []suite.Case
	for _, row := range cat.Rows {
		for _, name := range row.Probes {
			p, ok := probes[name]
			if !ok {
				return nil, fmt.Errorf("catalog %s: row %s names probe %q, which suites/content does not define", API, row.ID, name)
			}
			for _, it := range p.items(cfg) {
				for _, f := range formats(cfg) {
					row, run, it, f := row, p.run, it, f
					probe := name
					if it.name != "" {
						probe += " " + it.name
					}
					cases = append(cases, suite.Case{Row: row, Probe: probe, Variant: f.name,
						Labels: []string{"format-" + suite.Label(f.name)},
						Run:    func(*suite.Env) { run(c, row, it, f) }})
				}
			}
		}
	}
	return cases, nil
}

// con is what a probe works with.
type con struct {
	env   *suite.Env
	cfg   *target.Content
	check *check.Content
}

// request builds a request to a path template ({id} filled in), with key as
// the Authorization header when set, the query, and the format parameter.
func (c *con) request(method, pathTemplate, id string, key target.Secret, query url.Values, f format) runner.Request {
	ginkgo.GinkgoHelper()
	p, err := target.Fill(pathTemplate, map[string]string{"id": id})
	if err != nil {
		ginkgo.Fail(fmt.Sprintf("configuration: %v", err))
	}
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	if f.param != "" {
		q.Set("format", f.param)
	}
	req := runner.Request{Method: method, Path: c.cfg.BasePath + p, Query: q, Header: http.Header{}}
	if key.Set() {
		req.Header.Set("Authorization", key.Value)
	}
	return req
}

// geo is the query every resource requires.
func (c *con) geo() url.Values { return url.Values{"geo_id": {c.cfg.GeoID}} }

// message is the row's template with the values the suite knows.
func message(row catalog.Row, values ...string) check.Message {
	m := check.Message{Template: row.Message, Values: map[string]string{}, Lenient: row.Lenient}
	for i := 0; i+1 < len(values); i += 2 {
		m.Values[values[i]] = values[i+1]
	}
	return m
}

// expect checks an error answer against the row and the expected messages.
func (c *con) expect(row catalog.Row, f format, ex *runner.Exchange, want ...check.Message) {
	ginkgo.GinkgoHelper()
	c.env.Verify(ex, c.check.Errors(ex, f.kind, row.Code, want))
}

// observe applies the rule for any 5xx: the documented envelope, in the
// format the request asked for.
func (c *con) observe(ex *runner.Exchange) []check.Problem {
	if ex.Status < 500 {
		return nil
	}
	kind := check.JSON
	if ex.Request.Query.Get("format") == c.cfg.FormatValues.XML {
		kind = check.XML
	}
	return c.check.Envelope(ex, kind)
}

// clientIP is the 401 message's {IP}: the configured address, or any.
func (c *con) clientIP() []string {
	if c.cfg.ClientIP == "" {
		return nil
	}
	return []string{"IP", c.cfg.ClientIP}
}
