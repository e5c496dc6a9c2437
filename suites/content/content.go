// Package content is everything the project knows about the Content API
// (004_f3934047545fb061.txt), as one value, API: the page and its rows
// (catalog.yaml), the configuration's defaults (config.yaml), the probes
// that provoke each row in each of the three formats (no format parameter,
// format=json, format=xml), how an answer is judged, and the reference
// servers (refserver/). Its suite runs from suites/content, or inside your
// own Ginkgo tree through package conform.
package content

import (
	"bytes"
	"cmp"
	"embed"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/confsuite/apiconform/fixtures"
	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
	"github.com/confsuite/apiconform/schemas"
	"github.com/confsuite/apiconform/suites/content/refserver"
)

//go:embed catalog.yaml config.yaml 004_f3934047545fb061.txt
var files embed.FS

// schema is the file in schemas/ every JSON error envelope is checked
// against.
const schema = "content-errors.schema.json"

// API is the Content API.
var API = suite.Define(suite.API{
	Name:  "content",
	Files: files,
	Judge: judge,
	Profiles: []suite.Profile{
		{Name: "default", Config: fixtures.Source("content.yaml"), Server: server(refserver.DefaultSeed)},
		{Name: "variant", Config: fixtures.Source("content-variant.yaml"), Server: server(refserver.VariantSeed)},
	},
	FaultHelp:   "make model " + refserver.FaultModelID + " (variant profile: " + refserver.VariantFaultModelID + ") answer 500 Internal server error",
	ReadPage:    readPage,
	MakeMutants: mutants,
}, runtime, plan)

func server(seed func() refserver.Seed) func(bool) http.Handler {
	return func(fault bool) http.Handler {
		s := seed()
		s.Fault = fault
		return refserver.New(s)
	}
}

// judge holds an answer to a row in format in the strict reading (a 200 by
// its code: the page states the format of error messages only). Each map
// pins the placeholders of one expected message; with none, one message
// with any values.
func judge(row catalog.Row, ex *runner.Exchange, format string, pins []map[string]string) ([]check.Problem, error) {
	c, err := check.NewMessages(schemas.Files, schema, check.Strict)
	if err != nil {
		return nil, err
	}
	if row.Code == http.StatusOK {
		return c.Success(ex, format), nil
	}
	if len(pins) == 0 {
		pins = []map[string]string{{}}
	}
	var want []check.Message
	for _, m := range pins {
		want = append(want, check.Message{Template: row.Message, Values: m, Lenient: row.Lenient, Wordings: row.Wordings})
	}
	return c.Errors(ex, format, row.Code, want), nil
}

// formats are the three ways of asking for an answer's format; every probe
// runs in each.
func formats(cfg *Config) []suite.Variant {
	param := cfg.FormatValues.Param
	with := func(value string) func(*runner.Request) {
		return func(r *runner.Request) { r.Query.Set(param, value) }
	}
	return []suite.Variant{
		{Name: "no format", Labels: []string{"format-no-format"}, Kind: check.JSON},
		{Name: "json", Labels: []string{"format-json"}, Kind: check.JSON, Apply: with(cfg.FormatValues.JSON)},
		{Name: "xml", Labels: []string{"format-xml"}, Kind: check.XML, Apply: with(cfg.FormatValues.XML)},
	}
}

// plan is the suite for one deployment. It also sets the rule that holds
// for every answer of the run: a 5xx carries the error envelope in the
// requested format.
func plan(env *suite.Env, cfg *Config) (suite.Plan, error) {
	checker, err := check.NewMessages(schemas.Files, schema, env.Reading)
	if err != nil {
		return suite.Plan{}, err
	}
	checker.SuccessFormat = cfg.SuccessFormat
	return suite.Plan{
		Deployment: &cfg.Deployment,
		Probes:     probes(cfg, checker),
		Variants:   formats(cfg),
		Fresh: func() func() map[string]string {
			f := cfg.Freshener()
			f.Lane(suite.Lane())
			return f.Values
		}(),
		Check: func(s *suite.Spec, ex *runner.Exchange, sent suite.Sent) []check.Problem {
			msgs := s.Messages(sent)
			for i := range msgs {
				if strings.Contains(msgs[i].Template, "{"+ipPlaceholder+"}") && msgs[i].Values[ipPlaceholder] == "" {
					msgs[i].Addresses = map[string]string{ipPlaceholder: unpinnedIP(s, ex)}
				}
			}
			return checker.Errors(ex, s.Variant.Kind, s.Row.Code, msgs)
		},
		// The page documents the refusal as 403 «Rate limit exceeded».
		Throttled: func(ex *runner.Exchange) bool {
			return ex.Status == http.StatusForbidden && bytes.Contains(ex.Body, []byte("Rate limit exceeded"))
		},
		Observe: func(ex *runner.Exchange) []check.Problem {
			if ex.Status < 500 {
				return nil
			}
			kind := check.JSON
			if ex.Request.Query.Get(cfg.FormatValues.Param) == cfg.FormatValues.XML {
				kind = check.XML
			}
			return checker.Envelope(ex, kind)
		},
	}, nil
}

// ipPlaceholder is the 401 message's address of the caller.
const ipPlaceholder = "IP"

var ipNote sync.Once

// unpinnedIP is what the 401 message's {IP} must be when vars.client_ip
// does not pin it: on a target on loopback or a private network, reached
// without a proxy, the address the suite's connection came from (the one
// the target sees); elsewhere any IP address (""). The run says once that
// it was not pinned, and which address the connection had.
func unpinnedIP(s *suite.Spec, ex *runner.Exchange) string {
	want := ""
	remote := net.ParseIP(ex.Remote)
	if s.Client.ProxyFor() == "none" && remote != nil && (remote.IsLoopback() || remote.IsPrivate()) {
		want = ex.Local
	}
	ipNote.Do(func() {
		held := "any IP address (the target is not on loopback or a private network, or is reached through a proxy)"
		if want != "" {
			held = "the address of the suite's connection, " + want + ", as the target is on " + map[bool]string{true: "loopback", false: "a private network"}[remote.IsLoopback()]
		}
		fmt.Fprintf(os.Stdout, "note: vars.client_ip is not set: the 401 message's {IP} is held to %s; the suite's connection came from %s. Pin it with vars.client_ip.\n", held, cmp.Or(ex.Local, "an address not known"))
	})
	return want
}

// items makes one item per configured step of a list.
func items(key string, steps []target.Step, name func(target.Step) string) func() []suite.Item {
	return func() []suite.Item {
		var out []suite.Item
		for i, st := range steps {
			out = append(out, suite.Item{Name: name(st), Key: fmt.Sprintf("%s[%d]", key, i), Step: st})
		}
		return out
	}
}
