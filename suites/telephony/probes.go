package telephony

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/internal/target"
)

// probes by the names the catalog uses. A probe that sends one request
// names its step (internal/target/telephony.yaml); the others are the
// functions below, every request of which is a configured step too.
func probes(cfg *target.Telephony) map[string]suite.Probe {
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
		"extensions created to the limit": {Run: createToLimit(cfg), Serial: true, Weight: 6,
			Uses: []string{"requests.create_extension", "limits.max_created"}},
		"required argument missing":           {Step: "extension_missing_name"},
		"argument of wrong type":              {Step: "extension_wrong_type"},
		"queue resource of a phone extension": {Step: "wrong_extension_type"},
		"upload not audio":                    {Step: "upload_wrong_file"},
		"client token asks for extension @me": {Step: "unresolvable_me"},
		// An archive pending is answered archive_already_requested before
		// no_records or records_size_too_large: the specs that request an
		// archive run one after another (each removes its own).
		"range without records":                 {Step: "archive_no_records", Group: "archive"},
		"range too large":                       {Step: "archive_too_large", Group: "archive"},
		"second archive request":                {Run: secondArchive, Group: "archive", Weight: 3, Uses: []string{"requests.archive_requestable"}},
		"second extension with the same e-mail": {Run: duplicate("email"), Weight: 3, Uses: []string{"requests.create_extension"}},
		"second extension with the same name":   {Run: duplicate("name"), Weight: 3, Uses: []string{"requests.create_extension"}},
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
	id, ok := s.CreatedID(created)
	if !ok {
		s.NotChecked(record.Verdict{Reason: record.Precondition, Step: create.Key, Key: "id_field",
			Message: fmt.Sprintf("the create answer has no %q field (id_field): the lifecycle cannot name the extension", s.Deployment.IDField)})
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
func oversizedBody(cfg *target.Telephony) func(*suite.Spec) {
	return func(s *suite.Spec) {
		sent := s.Request("oversized_body")
		sent.Stream(cfg.Limits.RequestBodyBytes+1, 'a')
		s.Expect(s.Send(sent), sent)
	}
}

// oversizedUpload sends a well-formed file, padded past the resource's limit
// but under the request-body limit, so only the file size is at fault.
func oversizedUpload(cfg *target.Telephony) func(*suite.Spec) {
	return func(s *suite.Spec) {
		sent := s.Request("upload_large_file")
		sent.Stream(cfg.Limits.LargeFileBytes, 0)
		s.Expect(s.Send(sent), sent)
	}
}

// requestBurst sends requests with the rate-limit credential alone, so no
// other spec's quota is spent, stopping at the first refusal or at
// limits.max_rate_requests.
func requestBurst(cfg *target.Telephony) func(*suite.Spec) {
	return func(s *suite.Spec) {
		sent := s.Request("rate_limit")
		s.Expect(s.Burst(sent, cfg.Limits.MaxRateRequests, "limits.max_rate_requests"), sent)
	}
}

// createToLimit creates extensions until the target refuses one, removing
// them all afterwards. The creates have no order among them, so they go in
// batches of suite.InFlight; the first refusal of a batch is judged, and
// no batch follows it.
func createToLimit(cfg *target.Telephony) func(*suite.Spec) {
	return func(s *suite.Spec) {
		for sent := 0; sent < cfg.Limits.MaxCreated; {
			batch := make([]suite.Sent, min(suite.InFlight, cfg.Limits.MaxCreated-sent))
			for i := range batch {
				batch[i] = s.Request("create_extension")
			}
			sent += len(batch)
			// Any 2xx created one (POST 201 judges the code); the first
			// other answer is the refusal this row judges.
			for i, ex := range s.SendAll(batch) {
				if ex.Status < 200 || ex.Status > 299 {
					s.Expect(ex, batch[i])
					return
				}
			}
		}
		s.NotChecked(record.Verdict{Reason: record.Precondition, Key: "limits.max_created",
			Message: fmt.Sprintf("%d extensions were created without reaching a limit: the target's limit, if it has one, is higher; raise limits.max_created", cfg.Limits.MaxCreated)})
	}
}

// secondArchive requests an archive twice; the first is removed after the
// spec, which frees the client to ask again.
func secondArchive(s *suite.Spec) {
	first := s.Request("archive_requestable")
	s.Prepared(first.Key, s.Send(first), first.Step.Codes...)
	again := s.Request("archive_requestable")
	s.Expect(s.Send(again), again)
}

// duplicate creates an extension, then another sharing the named value.
func duplicate(shared string) func(*suite.Spec) {
	return func(s *suite.Spec) {
		first := freshValues()
		created := s.Request("create_extension", "name", first["name"], "email", first["email"])
		s.Prepared(created.Key, s.Send(created), created.Step.Codes...)
		second := freshValues()
		second[shared] = first[shared]
		again := s.Request("create_extension", "name", second["name"], "email", second["email"])
		s.Expect(s.Send(again), again)
	}
}

// freshValues are a name and an e-mail address no earlier run has used, so
// runs never collide.
func freshValues() map[string]string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	name := "apiconform-" + hex.EncodeToString(b)
	return map[string]string{"name": name, "email": name + "@apiconform.invalid"}
}
