package content

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/onsi/ginkgo/v2"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/target"
)

// probe provokes a row in one format.
type probe struct {
	run func(c *con, row catalog.Row, it item, f format)
	// each splits the probe into one spec per configured item; nil for one.
	each func(cfg *target.Content) []item
}

// item is one configured thing a probe is split by.
type item struct {
	name     string
	missing  target.MissingThing
	resource target.Resource
}

func (p probe) items(cfg *target.Content) []item {
	if p.each == nil {
		return []item{{}}
	}
	return p.each(cfg)
}

// authFailure sends the model request with a key (or none) the target must refuse.
func authFailure(key func(*target.Content) target.Secret, configKey string) probe {
	return probe{run: func(c *con, row catalog.Row, _ item, f format) {
		k := key(c.cfg)
		if configKey != "" {
			c.env.Need(configKey, k.Set())
		}
		ex := c.env.Send(c.request("GET", c.cfg.Paths.Model, c.cfg.ModelID, k, c.geo(), f))
		c.expect(row, f, ex, message(row, c.clientIP()...))
	}}
}

// probes by the names the catalog uses.
var probes = map[string]probe{
	"model with its required parameters": {run: func(c *con, _ catalog.Row, _ item, f format) {
		ex := c.env.Send(c.request("GET", c.cfg.Paths.Model, c.cfg.ModelID, c.cfg.Keys.Valid, c.geo(), f))
		c.env.Verify(ex, c.check.Success(ex, f.kind))
	}},
	// An invalid percent-escape: the query cannot be decoded.
	"unparseable query string": {run: func(c *con, row catalog.Row, _ item, f format) {
		req := c.request("GET", c.cfg.Paths.Model, c.cfg.ModelID, c.cfg.Keys.Valid, c.geo(), f)
		req.RawQuery = "apiconform=%zz"
		c.expect(row, f, c.env.Send(req), message(row))
	}},
	"no key":                           authFailure(func(*target.Content) target.Secret { return target.Secret{} }, ""),
	"invalid key":                      authFailure(func(cfg *target.Content) target.Secret { return cfg.Keys.Invalid }, "keys.invalid"),
	"suspended key":                    authFailure(func(cfg *target.Content) target.Secret { return cfg.Keys.Suspended }, "keys.suspended"),
	"key used from an unbound address": authFailure(func(cfg *target.Content) target.Secret { return cfg.Keys.Unbound }, "keys.unbound"),
	"key without access to the resource": {run: func(c *con, row catalog.Row, _ item, f format) {
		c.env.Need("keys.limited", c.cfg.Keys.Limited.Set())
		ex := c.env.Send(c.request("GET", c.cfg.Paths.Forbidden, c.cfg.ModelID, c.cfg.Keys.Limited, c.geo(), f))
		c.expect(row, f, ex, message(row))
	}},
	"request burst": {run: requestBurst},
	"missing object": {run: func(c *con, row catalog.Row, it item, f format) {
		ex := c.env.Send(c.request("GET", it.missing.Path, it.missing.ID, c.cfg.Keys.Valid, c.geo(), f))
		c.expect(row, f, ex, message(row, "objectName", it.missing.Object))
	}, each: func(cfg *target.Content) []item {
		var out []item
		for _, m := range cfg.NotFound {
			out = append(out, item{name: m.Object, missing: m})
		}
		return out
	}},
	"unsupported method": {run: func(c *con, row catalog.Row, it item, f format) {
		ex := c.env.Send(c.request(it.resource.Method, it.resource.Path, c.cfg.ModelID, c.cfg.Keys.Valid, c.geo(), f))
		c.expect(row, f, ex, message(row, "method", it.resource.Method))
	}, each: func(cfg *target.Content) []item {
		var out []item
		for _, r := range cfg.Resources {
			out = append(out, item{name: r.Method + " " + r.Path, resource: r})
		}
		return out
	}},
	"geo_id left out": {run: func(c *con, row catalog.Row, _ item, f format) {
		ex := c.env.Send(c.request("GET", c.cfg.Paths.Model, c.cfg.ModelID, c.cfg.Keys.Valid, nil, f))
		c.expect(row, f, ex, message(row, "parameterName", "geo_id"))
	}},
	"two required parameters left out": {run: func(c *con, row catalog.Row, _ item, f format) {
		c.env.Need("search_required (two parameters)", len(c.cfg.SearchRequired) >= 2)
		var want []check.Message
		for _, p := range c.cfg.SearchRequired {
			want = append(want, message(row, "parameterName", p))
		}
		c.expect(row, f, c.env.Send(c.request("GET", c.cfg.Paths.Search, "", c.cfg.Keys.Valid, nil, f)), want...)
	}},
	"unknown fields value": {run: func(c *con, row catalog.Row, _ item, f format) {
		q := c.geo()
		q.Set(c.cfg.Fields.Name, c.cfg.Fields.Invalid)
		ex := c.env.Send(c.request("GET", c.cfg.Paths.Model, c.cfg.ModelID, c.cfg.Keys.Valid, q, f))
		c.expect(row, f, ex, message(row, "parameterName", c.cfg.Fields.Name, "value", c.cfg.Fields.Invalid,
			"allowedValues", strings.Join(c.cfg.Fields.Allowed, ", ")))
	}},
	"geo_id not an integer": {run: func(c *con, row catalog.Row, _ item, f format) {
		ex := c.env.Send(c.request("GET", c.cfg.Paths.Model, c.cfg.ModelID, c.cfg.Keys.Valid, url.Values{"geo_id": {"apiconform"}}, f))
		c.expect(row, f, ex, message(row, "parameterName", "geo_id", "format", c.cfg.GeoIDType))
	}},
	"XML body declared as JSON": {run: func(c *con, row catalog.Row, _ item, f format) {
		mismatchedBody(c, row, f, c.cfg.Bodies.XML, "application/json")
	}},
	"JSON body declared as XML": {run: func(c *con, row catalog.Row, _ item, f format) {
		mismatchedBody(c, row, f, c.cfg.Bodies.JSON, "application/xml")
	}},
	"abandoned requests": {run: abandonedRequests},
	"configured fault trigger": {run: func(c *con, row catalog.Row, _ item, f format) {
		c.env.Need("fault_path", c.cfg.FaultPath != "")
		ex := c.env.Send(c.request("GET", c.cfg.FaultPath, "", c.cfg.Keys.Valid, c.geo(), f))
		c.expect(row, f, ex, message(row))
	}},
}

// mismatchedBody posts a well-formed body in one syntax declared as the
// other. Strictly, the message names the declared type as the value of the
// parameter Content-Type (docs/decisions.md); leniently, any value and
// parameter are accepted.
func mismatchedBody(c *con, row catalog.Row, f format, body, declared string) {
	req := c.request("POST", c.cfg.Paths.Body, "", c.cfg.Keys.Valid, nil, f)
	req.Body = []byte(body)
	req.Header.Set("Content-Type", declared)
	want := message(row)
	if c.env.Reading == check.Strict {
		want = message(row, "value", declared, "parameterName", "Content-Type")
	}
	c.expect(row, f, c.env.Send(req), want)
}

// requestBurst sends requests with the rate-limit key alone, so no other
// spec's quota is spent, stopping at the first refusal or at
// limits.max_rate_requests.
func requestBurst(c *con, row catalog.Row, _ item, f format) {
	c.env.Need("keys.rate_limit", c.cfg.Keys.RateLimit.Set())
	req := c.request("GET", c.cfg.Paths.Model, c.cfg.ModelID, c.cfg.Keys.RateLimit, c.geo(), f)
	c.expect(row, f, c.env.Burst(req, c.cfg.Limits.MaxRateRequests, "limits.max_rate_requests"), message(row))
}

// abandonedRequests closes several connections right after sending a
// request, as a client that gives up does; the server's 499 is for its own
// logs, so what the suite checks is that it still answers the next request
// correctly and within --timeout.
func abandonedRequests(c *con, _ catalog.Row, _ item, f format) {
	c.env.Need("abandon", c.cfg.Abandon > 0)
	req := c.request("GET", c.cfg.Paths.Model, c.cfg.ModelID, c.cfg.Keys.Valid, c.geo(), f)
	for i := 0; i < c.cfg.Abandon; i++ {
		if err := c.env.Client.Abandon(req); err != nil {
			ginkgo.Fail(fmt.Sprintf("setup: abandoning request %d failed: %v", i+1, err))
		}
	}
	ex := c.env.Send(req)
	c.env.Verify(ex, c.check.Success(ex, f.kind))
}
