package content

import (
	"fmt"
	"net/http"

	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
)

// probes by the names the catalog uses. A probe that sends one request
// names its step (config.yaml); the others are the
// functions below, every request of which is a configured step too.
func probes(cfg *Config, checker *check.Messages) map[string]suite.Probe {
	return map[string]suite.Probe{
		"model with its required parameters": {Run: succeeds(checker), Uses: []string{"requests.model"}},
		// The page names no way to provoke 400: the default is a guess.
		"unparseable query string": {Step: "unparseable_query",
			Guess: "the page names no way to provoke 400; the default sends a query that cannot be decoded (apiconform=%zz), which some query parsers accept"},
		"no key":                             {Step: "no_key"},
		"invalid key":                        {Step: "invalid_key"},
		"suspended key":                      {Step: "suspended_key"},
		"key used from an unbound address":   {Step: "unbound_key"},
		"key without access to the resource": {Step: "forbidden_resource"},
		"request burst":                      {Run: requestBurst(cfg), Weight: 3, Uses: []string{"requests.rate_limit", "limits.max_rate_requests"}},
		"missing object": {Items: items("not_found", cfg.NotFound, func(st target.Step) string {
			if len(st.Expect) > 0 && st.Expect[0]["objectName"] != "" {
				return st.Expect[0]["objectName"]
			}
			return st.Path
		})},
		"unsupported method": {Items: items("resources", cfg.Resources, func(st target.Step) string {
			return st.Method + " " + st.Path
		})},
		"geo_id left out":                  {Step: "required_missing"},
		"two required parameters left out": {Step: "two_required_missing"},
		"unknown fields value":             {Step: "incorrect_value"},
		"geo_id not an integer":            {Step: "wrong_type"},
		"XML body declared as JSON":        {Step: "xml_declared_json"},
		"JSON body declared as XML":        {Step: "json_declared_xml"},
		"abandoned requests":               {Run: abandonedRequests(cfg, checker), Weight: 2, Uses: []string{"requests.model", "abandon"}},
		"configured fault trigger":         {Run: faultTrigger, Uses: []string{"requests.fault"}},
	}
}

// succeeds checks the documented 200 on the model request.
func succeeds(checker *check.Messages) func(*suite.Spec) {
	return func(s *suite.Spec) {
		sent := s.Request("model")
		ex := s.Send(sent)
		modelExists(s, sent, ex)
		s.Verify(checker.Success(ex, s.Variant.Kind))
	}
}

// modelExists ends the spec as not checked when a request for the
// configured model is answered 404: the deployment has no such model
// (vars.model_id), so the condition the spec needs was never provoked.
func modelExists(s *suite.Spec, sent suite.Sent, ex *runner.Exchange) {
	if ex.Status == http.StatusNotFound {
		s.NotChecked(record.Verdict{Reason: record.Precondition, Step: sent.Key, Key: "vars.model_id",
			Message: fmt.Sprintf("%s answered 404: the deployment has no model %q; set vars.model_id to a model it has", sent.Key, sent.Vars["model_id"])})
	}
}

// requestBurst sends requests with the rate-limit key alone, so no other
// spec's quota is spent, stopping at the first refusal or at
// limits.max_rate_requests.
func requestBurst(cfg *Config) func(*suite.Spec) {
	return func(s *suite.Spec) {
		sent := s.Request("rate_limit")
		ex := s.Burst(sent, cfg.Limits.MaxRateRequests, "limits.max_rate_requests")
		modelExists(s, sent, ex)
		s.Judge(ex, sent)
	}
}

// abandonedRequests closes several connections right after sending a
// request, as clients that give up do (suite.InFlight at a time: they have
// no order among them); the server's 499 is for its own
// logs, so what the suite checks is that it still answers the next request
// correctly and within --timeout.
func abandonedRequests(cfg *Config, checker *check.Messages) func(*suite.Spec) {
	return func(s *suite.Spec) {
		s.Need("abandon", cfg.Abandon > 0)
		sent := s.Request("model")
		errs := make([]error, cfg.Abandon)
		at, _ := cfg.AbandonBytes() // checked at load
		suite.InParallel(cfg.Abandon, func(i int) { errs[i] = s.Client.AbandonAt(sent.Request, at) })
		for i, err := range errs {
			if err != nil {
				s.NotChecked(record.Verdict{Reason: record.Precondition, Step: sent.Key,
					Message: fmt.Sprintf("abandoning request %d failed: %v", i+1, err)})
			}
		}
		ex := s.Send(sent)
		modelExists(s, sent, ex)
		s.Verify(checker.Success(ex, s.Variant.Kind))
	}
}

// faultTrigger sends the request the deployment is configured to fail on.
// A correct server cannot be made to fail from outside: what is checked is
// the envelope of the 5xx it answers; an answer that is no 5xx provoked
// nothing to judge.
func faultTrigger(s *suite.Spec) {
	sent := s.Request("fault")
	ex := s.Send(sent)
	if ex.Status < 500 {
		s.NotChecked(record.Verdict{Reason: record.Precondition, Step: sent.Key,
			Message: fmt.Sprintf("%s answered %d: the fault trigger provoked no 5xx, so there was no envelope to judge; configure a request the deployment fails on (vars.fault_model)", sent.Key, ex.Status)})
	}
	s.Judge(ex, sent)
}
