package telephony

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/onsi/ginkgo/v2"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
)

// probe provokes a row. Most probes send one request; some first create what
// the condition needs, and remove it again after the spec.
type probe struct {
	run func(t *tel, row catalog.Row, v variant)
	// each splits the probe into one spec per configured item; nil for one spec.
	each func(cfg *target.Telephony) []variant
	// serial: the probe holds state the whole client shares.
	serial bool
}

type variant struct {
	name     string
	resource target.Resource
}

func (p probe) variants(cfg *target.Telephony) []variant {
	if p.each == nil {
		return []variant{{}}
	}
	return p.each(cfg)
}

// probes by the names the catalog uses.
var probes = map[string]probe{
	"extension lifecycle": {run: extensionLifecycle},

	"token missing": {run: func(t *tel, row catalog.Row, _ variant) {
		t.expect(row, t.env.Send(t.request("GET", t.cfg.Paths.Client, target.Secret{}, t.vars(), "")))
	}},
	"token expired": {run: func(t *tel, row catalog.Row, _ variant) {
		t.env.Need("tokens.expired", t.cfg.Tokens.Expired.Set())
		t.expect(row, t.env.Send(t.request("GET", t.cfg.Paths.Client, t.cfg.Tokens.Expired, t.vars(), "")))
	}},
	"token invalid": {run: func(t *tel, row catalog.Row, _ variant) {
		t.env.Need("tokens.invalid", t.cfg.Tokens.Invalid.Set())
		t.expect(row, t.env.Send(t.request("GET", t.cfg.Paths.Client, t.cfg.Tokens.Invalid, t.vars(), "")))
	}},
	"another client's resource": {run: func(t *tel, row catalog.Row, _ variant) {
		t.env.Need("ids.foreign_client", t.cfg.IDs.ForeignClient != "")
		t.expect(row, t.env.Send(t.request("GET", t.cfg.Paths.Client, t.cfg.Tokens.Valid, t.vars("client", t.cfg.IDs.ForeignClient), "")))
	}},
	"blocked user's token": {run: func(t *tel, row catalog.Row, _ variant) {
		t.env.Need("tokens.blocked_user", t.cfg.Tokens.BlockedUser.Set())
		t.expect(row, t.env.Send(t.request("GET", t.cfg.Paths.Client, t.cfg.Tokens.BlockedUser, t.vars(), "")))
	}},
	// An empty update: should the target wrongly allow it, nothing changes.
	"read-only user writes": {run: func(t *tel, row catalog.Row, _ variant) {
		t.env.Need("tokens.low_user_access", t.cfg.Tokens.LowUserAccess.Set())
		t.expect(row, t.env.Send(t.request("PUT", t.cfg.Paths.Client, t.cfg.Tokens.LowUserAccess, t.vars(), "{}")))
	}},
	"low-access application reads records": {run: func(t *tel, row catalog.Row, _ variant) {
		t.env.Need("tokens.low_app_access", t.cfg.Tokens.LowAppAccess.Set())
		t.expect(row, t.env.Send(t.request("GET", t.cfg.Paths.Records, t.cfg.Tokens.LowAppAccess, t.vars(), "")))
	}},
	"unknown path": {run: func(t *tel, row catalog.Row, _ variant) {
		t.expect(row, t.env.Send(t.request("GET", t.cfg.Paths.Missing, t.cfg.Tokens.Valid, t.vars(), "")))
	}},
	"missing client id": {run: func(t *tel, row catalog.Row, _ variant) {
		t.env.Need("ids.missing_client", t.cfg.IDs.MissingClient != "")
		t.expect(row, t.env.Send(t.request("GET", t.cfg.Paths.Client, t.cfg.Tokens.Valid, t.vars("client", t.cfg.IDs.MissingClient), "")))
	}},
	"missing extension id": {run: func(t *tel, row catalog.Row, _ variant) {
		t.env.Need("ids.missing_extension", t.cfg.IDs.MissingExtension != "")
		t.expect(row, t.env.Send(t.request("GET", t.cfg.Paths.Extension, t.cfg.Tokens.Valid, t.vars("extension", t.cfg.IDs.MissingExtension), "")))
	}},
	"unsupported method": {run: unsupportedMethod, each: func(cfg *target.Telephony) []variant {
		var out []variant
		for _, r := range cfg.Resources {
			out = append(out, variant{name: r.Method + " " + r.Path, resource: r})
		}
		return out
	}},
	"oversized request body":          {run: oversizedBody},
	"oversized upload":                {run: oversizedUpload},
	"request burst":                   {run: requestBurst},
	"extensions created to the limit": {run: createToLimit, serial: true},
	"required argument missing": {run: func(t *tel, row catalog.Row, _ variant) {
		t.expect(row, t.createExtension(t.body(t.cfg.Bodies.ExtensionMissingName, map[string]string{"name": uniqueName()})))
	}},
	"argument of wrong type": {run: func(t *tel, row catalog.Row, _ variant) {
		t.expect(row, t.createExtension(t.body(t.cfg.Bodies.ExtensionWrongType, map[string]string{"name": uniqueName()})))
	}},
	"queue resource of a phone extension": {run: func(t *tel, row catalog.Row, _ variant) {
		t.env.Need("ids.phone_extension", t.cfg.IDs.PhoneExtension != "")
		t.expect(row, t.env.Send(t.request("GET", t.cfg.Paths.ExtensionQueue, t.cfg.Tokens.Valid, t.vars(), "")))
	}},
	"upload not audio": {run: func(t *tel, row catalog.Row, _ variant) {
		t.env.Need("upload.wrong_file", t.cfg.Upload.WrongFile != "")
		content, err := t.cfg.ReadFile(t.cfg.Upload.WrongFile)
		if err != nil {
			ginkgo.Fail(fmt.Sprintf("configuration: upload.wrong_file: %v", err))
		}
		req := t.request("POST", t.cfg.Paths.Sounds, t.cfg.Tokens.Valid, t.vars(), "")
		req.Body = content
		req.Header.Set("Content-Type", t.cfg.Upload.ContentType)
		t.expect(row, t.upload(req))
	}},
	// A client-level token has no extension of its own for @me to name.
	"client token asks for extension @me": {run: func(t *tel, row catalog.Row, _ variant) {
		t.expect(row, t.env.Send(t.request("GET", t.cfg.Paths.Extension, t.cfg.Tokens.Valid, t.vars("extension", "@me"), "")))
	}},
	"range without records": {run: func(t *tel, row catalog.Row, _ variant) {
		t.env.Need("archive.no_records", t.cfg.Archive.NoRecords.Set())
		t.expect(row, t.requestArchive(t.cfg.Archive.NoRecords))
	}},
	"range too large": {run: func(t *tel, row catalog.Row, _ variant) {
		t.env.Need("archive.too_large", t.cfg.Archive.TooLarge.Set())
		t.expect(row, t.requestArchive(t.cfg.Archive.TooLarge))
	}},
	"second archive request": {serial: true, run: func(t *tel, row catalog.Row, _ variant) {
		t.env.Need("archive.requestable", t.cfg.Archive.Requestable.Set())
		t.env.Setup("request an archive", t.requestArchive(t.cfg.Archive.Requestable), http.StatusCreated)
		t.expect(row, t.requestArchive(t.cfg.Archive.Requestable))
	}},
	"second extension with the same e-mail": {run: func(t *tel, row catalog.Row, _ variant) {
		email := uniqueName() + "@apiconform.invalid"
		first := t.createExtension(t.body(t.cfg.Bodies.CreateExtension, map[string]string{"name": uniqueName(), "email": email}))
		t.env.Setup("create the first extension", first, http.StatusCreated)
		t.expect(row, t.createExtension(t.body(t.cfg.Bodies.CreateExtension, map[string]string{"name": uniqueName(), "email": email})))
	}},
	"second extension with the same name": {run: func(t *tel, row catalog.Row, _ variant) {
		name := uniqueName()
		first := t.createExtension(t.body(t.cfg.Bodies.CreateExtension, map[string]string{"name": name, "email": uniqueName() + "@apiconform.invalid"}))
		t.env.Setup("create the first extension", first, http.StatusCreated)
		t.expect(row, t.createExtension(t.body(t.cfg.Bodies.CreateExtension, map[string]string{"name": name, "email": uniqueName() + "@apiconform.invalid"})))
	}},
}

// createExtension posts an extension and, when one is created, registers its
// removal: whatever the spec expects, nothing it makes is left behind.
func (t *tel) createExtension(body string) *runner.Exchange {
	ginkgo.GinkgoHelper()
	ex := t.env.Send(t.request("POST", t.cfg.Paths.Extensions, t.cfg.Tokens.Valid, t.vars(), body))
	if ex.Status >= 200 && ex.Status < 300 {
		id, ok := t.newID(ex)
		if !ok {
			ginkgo.Fail(fmt.Sprintf("the create answer has no %q field (id_field), so the extension it made cannot be removed; remove it by hand\n\n%s", t.cfg.IDField, ex.Transcript()))
		}
		t.env.Cleanup("extension "+id, t.request("DELETE", t.cfg.Paths.Extension, t.cfg.Tokens.Valid, t.vars("extension", id), ""), http.StatusNoContent, http.StatusNotFound)
	}
	return ex
}

// upload posts to the sounds resource, removing whatever it accepts.
func (t *tel) upload(req runner.Request) *runner.Exchange {
	ginkgo.GinkgoHelper()
	ex := t.env.Send(req)
	if ex.Status >= 200 && ex.Status < 300 {
		if id, ok := t.newID(ex); ok {
			t.env.Cleanup("sound "+id, t.request("DELETE", t.cfg.Paths.Sound, t.cfg.Tokens.Valid, t.vars("sound", id), ""), http.StatusNoContent, http.StatusNotFound)
		}
	}
	return ex
}

// requestArchive asks for a recordings archive; one that is granted is
// downloaded after the spec, which is what frees the client to ask again.
func (t *tel) requestArchive(r target.Range) *runner.Exchange {
	ginkgo.GinkgoHelper()
	body := t.body(t.cfg.Bodies.ArchiveRequest, map[string]string{"start": r.Start, "end": r.End})
	ex := t.env.Send(t.request("POST", t.cfg.Paths.Archives, t.cfg.Tokens.Valid, t.vars(), body))
	if ex.Status >= 200 && ex.Status < 300 {
		if id, ok := t.newID(ex); ok {
			t.env.Cleanup("archive "+id, t.request("GET", t.cfg.Paths.Archive, t.cfg.Tokens.Valid, t.vars("archive", id), ""), http.StatusOK)
		}
	}
	return ex
}

// extensionLifecycle checks the success code of one method on a real
// create, read, update and delete of an extension; the other steps only
// prepare it.
func extensionLifecycle(t *tel, row catalog.Row, _ variant) {
	created := t.createExtension(t.body(t.cfg.Bodies.CreateExtension, map[string]string{"name": uniqueName(), "email": uniqueName() + "@apiconform.invalid"}))
	if row.Method == "POST" {
		t.env.Verify(created, check.Success(created, row.Code))
		return
	}
	t.env.Setup("create an extension", created, http.StatusCreated)
	id, _ := t.newID(created)
	path := t.vars("extension", id)
	var ex *runner.Exchange
	switch row.Method {
	case "GET":
		ex = t.env.Send(t.request("GET", t.cfg.Paths.Extension, t.cfg.Tokens.Valid, path, ""))
	case "PUT":
		ex = t.env.Send(t.request("PUT", t.cfg.Paths.Extension, t.cfg.Tokens.Valid, path, t.body(t.cfg.Bodies.UpdateExtension, map[string]string{"name": uniqueName()})))
	case "DELETE":
		ex = t.env.Send(t.request("DELETE", t.cfg.Paths.Extension, t.cfg.Tokens.Valid, path, ""))
	default:
		ginkgo.Fail(fmt.Sprintf("catalog row %s: no lifecycle step for method %q", row.ID, row.Method))
	}
	t.env.Verify(ex, check.Success(ex, row.Code))
}

func unsupportedMethod(t *tel, row catalog.Row, v variant) {
	if strings.Contains(v.resource.Path, "{extension}") {
		t.env.Need("ids.phone_extension", t.cfg.IDs.PhoneExtension != "")
	}
	vars := t.vars()
	if v.resource.Method == "POST" || v.resource.Method == "PUT" || v.resource.Method == "PATCH" {
		t.expect(row, t.env.Send(t.request(v.resource.Method, v.resource.Path, t.cfg.Tokens.Valid, vars, "{}")))
		return
	}
	t.expect(row, t.env.Send(t.request(v.resource.Method, v.resource.Path, t.cfg.Tokens.Valid, vars, "")))
}

// oversizedBody streams one byte more than the documented limit, so the
// suite never holds the body in memory.
func oversizedBody(t *tel, row catalog.Row, _ variant) {
	req := t.request("POST", t.cfg.Paths.Extensions, t.cfg.Tokens.Valid, t.vars(), "")
	req.Header.Set("Content-Type", "application/json")
	req.Stream = &runner.Stream{Prefix: []byte(`{"name":"`), Fill: 'a', Size: t.cfg.Limits.RequestBodyBytes + 1}
	t.expect(row, t.env.Send(req))
}

// oversizedUpload sends a well-formed file, padded past the resource's limit
// but under the request-body limit, so only the file size is at fault.
func oversizedUpload(t *tel, row catalog.Row, _ variant) {
	t.env.Need("upload.file", t.cfg.Upload.File != "")
	t.env.Need("upload.large_file_bytes", t.cfg.Upload.LargeFileBytes > 0)
	head, err := t.cfg.ReadFile(t.cfg.Upload.File)
	if err != nil {
		ginkgo.Fail(fmt.Sprintf("configuration: upload.file: %v", err))
	}
	req := t.request("POST", t.cfg.Paths.Sounds, t.cfg.Tokens.Valid, t.vars(), "")
	req.Header.Set("Content-Type", t.cfg.Upload.ContentType)
	req.Stream = &runner.Stream{Prefix: head, Size: t.cfg.Upload.LargeFileBytes}
	t.expect(row, t.upload(req))
}

// requestBurst sends requests with the rate-limit token alone, so no other
// spec's quota is spent, stopping at the first 429 or at max_rate_requests.
func requestBurst(t *tel, row catalog.Row, _ variant) {
	t.env.Need("tokens.rate_limit", t.cfg.Tokens.RateLimit.Set())
	req := t.request("GET", t.cfg.Paths.Client, t.cfg.Tokens.RateLimit, t.vars(), "")
	t.expect(row, t.env.Burst(req, t.cfg.Limits.MaxRateRequests, "limits.max_rate_requests"))
}

// createToLimit creates extensions until the target refuses one, removing
// them all afterwards.
func createToLimit(t *tel, row catalog.Row, _ variant) {
	for i := 1; i <= t.cfg.Limits.MaxCreated; i++ {
		ex := t.createExtension(t.body(t.cfg.Bodies.CreateExtension, map[string]string{"name": uniqueName(), "email": uniqueName() + "@apiconform.invalid"}))
		if ex.Status != http.StatusCreated {
			t.expect(row, ex)
			return
		}
	}
	ginkgo.Fail(fmt.Sprintf("%d extensions were created without reaching a limit (limits.max_created)", t.cfg.Limits.MaxCreated))
}
