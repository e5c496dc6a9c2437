package suite

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
)

// created is what a create answer says of the resource it made: its id,
// and its address (a Location) with why it cannot be used, if it cannot.
type created struct {
	id, address string
	idSet       bool
	addressSet  bool
	addressWhy  string // why the answer's address cannot be used, when it gave one
	where       string // where the id was looked for, for messages
	refused     string // why the id was refused (it cannot go into a path)
	refusedID   string // that id, as the target wrote it
}

// createdBy reads what a create answer made, from where the step's id
// source says (configuration: the step's id, ids.<kind>, id_field). An id
// is the literal text the target sent (a number keeps every digit); one
// holding /, ?, # or being a . or .. segment is refused. The address is
// the Location (or Content-Location) header, resolved against the
// request, on the target's host and under its base path.
func (s *Spec) createdBy(step target.Step, ex *runner.Exchange) created {
	src := s.Deployment.IDSource(step)
	var c created
	var text string
	var found bool
	if src.Header != "" {
		c.where = fmt.Sprintf("header %s", src.Header)
		if vs := ex.ResponseHeader.Values(src.Header); len(vs) > 0 {
			text, found = vs[0], true
		}
	} else {
		c.where = fmt.Sprintf("body field %q", src.Field)
		text, found = createdID(ex.Body, src.Field)
	}
	if src.Pattern != "" {
		c.where += fmt.Sprintf(" matching %q", src.Pattern)
		if m := regexp.MustCompile(src.Pattern).FindStringSubmatch(text); found && m != nil {
			text = m[1]
		} else {
			found = false
		}
	}
	switch {
	case !found:
	case isLocation(src.Header) && src.Pattern == "" && strings.Contains(text, "/"):
		// A whole Location is an address, not an id.
	case unsafeID(text) != "" && s.removedBy(step.Creates, "address"):
		// Unusable in a path, and not needed: the address removes it.
	case unsafeID(text) != "":
		c.refusedID, c.refused = text, fmt.Sprintf("the id %q (from the %s) cannot be put into a path safely: %s", shortID(text), c.where, unsafeID(text))
	default:
		c.id, c.idSet = text, true
	}
	h := "Location"
	if src.Header != "" && isLocation(src.Header) {
		h = http.CanonicalHeaderKey(src.Header)
	}
	if v := ex.ResponseHeader.Get(h); v != "" {
		c.address, c.addressWhy = s.address(ex, h, v)
		c.addressSet = c.addressWhy == ""
	}
	return c
}

// address checks a create answer's address like every path the suite
// sends: on the target's scheme and host, under its base path, without
// query, fragment or . and .. segments; it returns the path relative to
// base_path, or why it cannot be used.
func (s *Spec) address(ex *runner.Exchange, header, raw string) (string, string) {
	ref, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Sprintf("its %s %q is not a URL: %v", header, raw, err)
	}
	if len(raw) > MaxID {
		return "", fmt.Sprintf("its %s is longer than %d bytes (%d)", header, MaxID, len(raw))
	}
	if ref.RawQuery != "" || ref.ForceQuery || ref.Fragment != "" || strings.Contains(raw, "#") {
		return "", fmt.Sprintf("its %s %q holds a query or a fragment", header, raw)
	}
	// An escaped / or \ would name another resource once the path is
	// decoded to be sent.
	if lower := strings.ToLower(raw); strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") || strings.Contains(raw, "\\") {
		return "", fmt.Sprintf("its %s %q holds an escaped / or a \\", header, raw)
	}
	if slices.ContainsFunc(strings.Split(ref.Path, "/"), func(seg string) bool { return seg == "." || seg == ".." }) {
		return "", fmt.Sprintf("its %s %q holds a . or .. segment", header, raw)
	}
	from, err := url.Parse(ex.URL)
	if err != nil {
		return "", fmt.Sprintf("the request's URL %q: %v", ex.URL, err)
	}
	abs := from.ResolveReference(ref)
	base, _ := url.Parse(s.Client.Base())
	if !strings.EqualFold(abs.Scheme, base.Scheme) || !strings.EqualFold(abs.Host, base.Host) {
		return "", fmt.Sprintf("its %s %q names another host than the target's (%s)", header, raw, base.Host)
	}
	prefix := strings.TrimSuffix(base.EscapedPath(), "/") + s.Deployment.BasePath
	path := abs.EscapedPath()
	if !strings.HasPrefix(path, prefix+"/") {
		return "", fmt.Sprintf("its %s %q is not under the target's base path %q", header, raw, prefix)
	}
	return strings.TrimPrefix(path, prefix), ""
}

// CreatedID is the id a create answer carries where sent's step says
// (id, ids.<kind>, id_field), as the target wrote it; where says where it
// was looked for, for a message.
func (s *Spec) CreatedID(sent Sent, ex *runner.Exchange) (id string, ok bool, where string) {
	c := s.createdBy(sent.Step, ex)
	return c.id, c.idSet, c.where
}

// removedBy tells whether what a create of kind makes is removed through
// the placeholder name ({id}, {address}) and not the other: an unusable
// id need not stop the removal of what its address names.
func (s *Spec) removedBy(kind, name string) bool {
	step, _, err := s.Deployment.Step(s.Row.ID, "remove_"+kind)
	if err != nil {
		return false
	}
	has := step.Placeholders()
	return slices.Contains(has, name) && !slices.Contains(has, map[string]string{"id": "address", "address": "id"}[name])
}

// isLocation says whether a header name is one that carries an address.
func isLocation(h string) bool {
	return http.CanonicalHeaderKey(h) == "Location" || http.CanonicalHeaderKey(h) == "Content-Location"
}
