package telephony

import (
	"fmt"

	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/internal/suite"
)

// probes by the names the catalog uses. A probe that sends one request
// names its step (config.yaml); the others are the
// functions below, every request of which is a configured step too.
func probes(cfg *Config) map[string]suite.Probe {
	return map[string]suite.Probe{
		"extension lifecycle": {Run: extensionLifecycle, Weight: 3,
			Uses: []string{"requests.create_extension", "requests.read_extension", "requests.update_extension", "requests.delete_extension"}},
		"token missing":                        {Step: "token_missing"},
		"token expired":                        {Step: "token_expired"},
		"token invalid":                        {Step: "token_invalid"},
		"another client's resource":            {Step: "foreign_client"},
		"blocked user's token":                 {Step: "blocked_user"},
		"read-only user writes":                {Step: "low_user_access"},
		"low-access application reads records": {Step: "low_app_access"},
		"unknown path":                         {Step: "unknown_path"},
		"missing client id":                    {Step: "missing_client"},
		"missing extension id":                 {Step: "missing_extension"},
		"unsupported method":                   {Items: resources(cfg)},
		"oversized request body":               {Run: oversizedBody(cfg), Weight: 2, Uses: []string{"requests.oversized_body", "limits.request_body_bytes"}},
		"oversized upload":                     {Run: oversizedUpload(cfg), Uses: []string{"requests.upload_large_file", "limits.large_file_bytes"}},
		"request burst":                        {Run: requestBurst(cfg), Weight: 3, Uses: []string{"requests.rate_limit", "limits.max_rate_requests"}},
		// Every create of an extension counts toward the client's limit,
		// and a spec that creates one while this probe holds the client at
		// its limit would be refused: it runs alone.
		// With existing.full_client, one create on that client alone.
		"extensions created to the limit": {Run: createToLimit(cfg), Serial: cfg.Existing.FullClient == "" && cfg.Existing.LimitClient == "", Weight: 6,
			Items: limitItems(cfg),
			Uses:  []string{"requests.create_extension", "limits.max_created"}},
		"required argument missing":           {Step: "extension_missing_name"},
		"argument of wrong type":              {Step: "extension_wrong_type"},
		"queue resource of a phone extension": {Step: "wrong_extension_type"},
		"upload not audio":                    {Step: "upload_wrong_file"},
		"client token asks for extension @me": {Step: "unresolvable_me"},
		// An archive pending is answered archive_already_requested before
		// no_records or records_size_too_large: the specs that request an
		// archive run one after another (each removes its own).
		"range without records": {Step: "archive_no_records", Group: "archive"},
		"range too large":       {Step: "archive_too_large", Group: "archive"},
		"second archive request": {Run: secondArchive(cfg), Group: "archive", Weight: 3, Uses: []string{"requests.archive_requestable"},
			Items: existing("existing.archive_client", cfg.Existing.ArchiveClient)},
		"second extension with the same e-mail": {Run: duplicate("email", cfg.Existing.Email), Weight: 3, Uses: []string{"requests.create_extension"},
			Items: existing("existing.email", cfg.Existing.Email)},
		"second extension with the same name": {Run: duplicate("name", cfg.Existing.Name), Weight: 3, Uses: []string{"requests.create_extension"},
			Items: existing("existing.name", cfg.Existing.Name)},
	}
}

// extensionLifecycle checks the success code of one method on a real
// create, read, update and delete of an extension; the other steps only
// prepare it.
func extensionLifecycle(s *suite.Spec) {
	create := s.Request("create_extension")
	created := s.Send(create)
	if s.Row.Method == "POST" {
		s.Verify(check.Success(created, s.Row.Code))
		return
	}
	s.Prepared(create.Key, created, create.Step.Codes...)
	id, ok, where := s.CreatedID(create, created)
	if !ok {
		s.NotChecked(record.Verdict{Reason: record.Precondition, Step: create.Key, Key: create.Key + ".id",
			Message: fmt.Sprintf("the create answer gave no id in its %s: the lifecycle cannot name the extension; say where the id is (the step's id, ids.extension or id_field)", where)})
	}
	var step string
	switch s.Row.Method {
	case "GET":
		step = "read_extension"
	case "PUT":
		step = "update_extension"
	case "DELETE":
		step = "delete_extension"
	default:
		s.Defect(fmt.Sprintf("catalog row %s: no lifecycle step for method %q", s.Row.ID, s.Row.Method))
	}
	ex := s.Do(step, "id", id)
	if s.Row.Method == "DELETE" && ex.Status >= 200 && ex.Status < 300 {
		s.Removed("extension", id) // even a wrong 2xx deleted it: DELETE 204 judges the code
	}
	s.Verify(check.Success(ex, s.Row.Code))
}

// oversizedBody streams one byte more than the documented limit, so the
// suite never holds the body in memory.
func oversizedBody(cfg *Config) func(*suite.Spec) {
	return func(s *suite.Spec) {
		sent := s.Request("oversized_body")
		sent.Stream(cfg.Limits.RequestBodyBytes+1, 'a')
		s.Judge(s.Send(sent), sent)
	}
}

// oversizedUpload sends a well-formed file, padded past the resource's limit
// but under the request-body limit, so only the file size is at fault.
func oversizedUpload(cfg *Config) func(*suite.Spec) {
	return func(s *suite.Spec) {
		sent := s.Request("upload_large_file")
		sent.Stream(cfg.Limits.LargeFileBytes, 0)
		s.Judge(s.Send(sent), sent)
	}
}

// requestBurst sends requests with the rate-limit credential alone, so no
// other spec's quota is spent, stopping at the first refusal or at
// limits.max_rate_requests.
func requestBurst(cfg *Config) func(*suite.Spec) {
	return func(s *suite.Spec) {
		sent := s.Request("rate_limit")
		s.Judge(s.Burst(sent, cfg.Limits.MaxRateRequests, "limits.max_rate_requests"), sent)
	}
}

// createToLimit creates extensions until the target refuses one, removing
// them all afterwards. The creates have no order among them, so they go in
// batches of suite.InFlight; the first refusal of a batch is judged, and
// no batch follows it.
func createToLimit(cfg *Config) func(*suite.Spec) {
	return func(s *suite.Spec) {
		if c := cfg.Existing.FullClient; c != "" {
			// A client at its limit already: one create is refused.
			sent := s.Request("create_extension", "client", c)
			s.Judge(s.Send(sent), sent)
			return
		}
		var on []string // a client of the probe's own, when configured
		if c := cfg.Existing.LimitClient; c != "" {
			on = []string{"client", c}
		}
		for sent := 0; sent < cfg.Limits.MaxCreated; {
			batch := make([]suite.Sent, min(suite.InFlight, cfg.Limits.MaxCreated-sent))
			for i := range batch {
				batch[i] = s.Request("create_extension", on...)
			}
			sent += len(batch)
			// Any 2xx created one (POST 201 judges the code); the first
			// other answer is the refusal this row judges.
			for i, ex := range s.SendAll(batch) {
				if ex.Status < 200 || ex.Status > 299 {
					s.Judge(ex, batch[i])
					return
				}
			}
		}
		s.NotChecked(record.Verdict{Reason: record.Precondition, Key: "limits.max_created",
			Message: fmt.Sprintf("%d extensions were created without reaching a limit: the target's limit, if it has one, is higher; raise limits.max_created", cfg.Limits.MaxCreated)})
	}
}

// existing splits a collision probe by the way it runs: against data it
// creates first (one spec, named as the catalog names the probe), or, when
// key is set, against the existing data it names (the spec's name says so).
func existing(key, value string) func() []suite.Item {
	return func() []suite.Item {
		if value == "" {
			return []suite.Item{{}}
		}
		return []suite.Item{{Name: "against " + key, Key: key}}
	}
}

// limitItems says which way the limit probe runs: on the configured
// client with the others kept away (Serial), on a client at its limit
// (existing.full_client), or on a client of its own (existing.limit_client).
func limitItems(cfg *Config) func() []suite.Item {
	if cfg.Existing.FullClient != "" {
		return existing("existing.full_client", cfg.Existing.FullClient)
	}
	if c := cfg.Existing.LimitClient; c != "" {
		return func() []suite.Item {
			return []suite.Item{{Name: "on existing.limit_client", Key: "existing.limit_client"}}
		}
	}
	return existing("", "")
}

// secondArchive requests an archive twice; the first is removed after the
// spec, which frees the client to ask again. With existing.archive_client,
// it asks once, for that client, whose archive is pending already.
func secondArchive(cfg *Config) func(*suite.Spec) {
	return func(s *suite.Spec) {
		if c := cfg.Existing.ArchiveClient; c != "" {
			again := s.Request("archive_requestable", "client", c)
			s.Judge(s.Send(again), again)
			return
		}
		first := s.Request("archive_requestable")
		s.Prepared(first.Key, s.Send(first), first.Step.Codes...)
		again := s.Request("archive_requestable")
		s.Judge(s.Send(again), again)
	}
}

// duplicate creates an extension, then another sharing the named value;
// with an existing value (existing.email, existing.name), it sends only
// the one create that shares it.
func duplicate(shared, existing string) func(*suite.Spec) {
	return func(s *suite.Spec) {
		if existing != "" {
			values := s.Fresh()
			values[shared] = existing
			again := s.Request("create_extension", "name", values["name"], "email", values["email"])
			s.Judge(s.Send(again), again)
			return
		}
		first := s.Fresh()
		created := s.Request("create_extension", "name", first["name"], "email", first["email"])
		s.Prepared(created.Key, s.Send(created), created.Step.Codes...)
		second := s.Fresh()
		second[shared] = first[shared]
		again := s.Request("create_extension", "name", second["name"], "email", second["email"])
		s.Judge(s.Send(again), again)
	}
}
