// Package telephony is the conformance suite of the Telephony API
// (000_06a165e8fd570c61.txt): one spec per catalog row and probe, generated
// from internal/catalog/telephony.yaml. Run it standalone (see the README),
// or inside your own Ginkgo suite:
//
//	var _ = telephony.Register(env, cfg) // env from suite.Env, cfg from target.LoadTelephony
package telephony

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/onsi/ginkgo/v2"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
)

// API is the suite's name in reports and labels.
const API = "telephony"

// Setup loads the configuration and returns the suite's cases: what
// suite.Standalone calls.
var Setup = suite.SetupWith(target.LoadTelephony, Cases)

// Register adds the suite's specs to a Ginkgo tree you run yourself.
func Register(env *suite.Env, cfg *target.Telephony) bool {
	return suite.RegisterWith(env, cfg, Cases)
}

// Cases pairs every catalog row with its probes.
func Cases(env *suite.Env, cfg *target.Telephony) ([]suite.Case, error) {
	cat, err := catalog.Load(API)
	if err != nil {
		return nil, err
	}
	checker, err := check.NewTelephony(env.Reading)
	if err != nil {
		return nil, err
	}
	t := &tel{env: env, cfg: cfg, check: checker}
	var cases []suite.Case
	for _, row := range cat.Rows {
		var labels []string
		switch {
		case row.Status != "":
			labels = []string{"status-" + row.Status}
		case row.Method == "":
			labels = []string{"status-none"}
		}
		for _, name := range row.Probes {
			p, ok := probes[name]
			if !ok {
				return nil, fmt.Errorf("catalog %s: row %s names probe %q, which suites/telephony does not define", API, row.ID, name)
			}
			for _, v := range p.variants(cfg) {
				row, run, variant := row, p.run, v
				cases = append(cases, suite.Case{Row: row, Probe: name, Variant: variant.name, Labels: labels, Serial: p.serial,
					Run: func(*suite.Env) { run(t, row, variant) }})
			}
		}
	}
	return cases, nil
}

// tel is what a probe works with.
type tel struct {
	env   *suite.Env
	cfg   *target.Telephony
	check *check.Telephony
}

// vars fills the path placeholders with the configured ids.
func (t *tel) vars(extra ...string) map[string]string {
	v := map[string]string{"client": t.cfg.IDs.Client, "extension": t.cfg.IDs.PhoneExtension}
	for i := 0; i+1 < len(extra); i += 2 {
		v[extra[i]] = extra[i+1]
	}
	return v
}

// request builds a request to a configured path template, authorised by
// token when it is set.
func (t *tel) request(method, pathTemplate string, token target.Secret, vars map[string]string, body string) runner.Request {
	ginkgo.GinkgoHelper()
	p, err := target.Fill(pathTemplate, vars)
	if err != nil {
		ginkgo.Fail(fmt.Sprintf("configuration: %v", err))
	}
	req := runner.Request{Method: method, Path: t.cfg.BasePath + p, Header: http.Header{}}
	if token.Set() {
		req.Header.Set("Authorization", "Bearer "+token.Value)
	}
	if body != "" {
		req.Body = []byte(body)
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// body fills a configured body template; values are JSON-escaped.
func (t *tel) body(template string, vars map[string]string) string {
	ginkgo.GinkgoHelper()
	escaped := map[string]string{}
	for k, v := range vars {
		raw, _ := json.Marshal(v)
		escaped[k] = string(raw[1 : len(raw)-1])
	}
	b, err := target.Fill(template, escaped)
	if err != nil {
		ginkgo.Fail(fmt.Sprintf("configuration: %v", err))
	}
	return b
}

// expect checks an exchange against the row it should have provoked.
func (t *tel) expect(row catalog.Row, ex *runner.Exchange) {
	ginkgo.GinkgoHelper()
	t.env.Verify(ex, t.check.Error(ex, row))
}

// newID reads the id of what a create answer made.
func (t *tel) newID(ex *runner.Exchange) (string, bool) {
	var obj map[string]any
	if json.Unmarshal(ex.Body, &obj) != nil {
		return "", false
	}
	switch v := obj[t.cfg.IDField].(type) {
	case string:
		return v, v != ""
	case float64:
		return fmt.Sprintf("%.0f", v), true
	}
	return "", false
}

// uniqueName is a name no earlier run has used, so runs never collide.
func uniqueName() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return "apiconform-" + hex.EncodeToString(b)
}
