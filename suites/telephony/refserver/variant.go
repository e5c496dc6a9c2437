package refserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/confsuite/apiconform/internal/refserver/serve"
)

// Limits of the variant deployment.
const (
	VariantBasePath        = "/pbx/v2"
	VariantMaxBodyBytes    = 10_000_000 // «10 МБ», read as decimal megabytes
	VariantMaxMediaBytes   = 512 << 10
	VariantMaxArchiveBytes = 60 << 20
	VariantMaxLines        = 8
	VariantRateWindow      = time.Second
	dateLayout             = "2006-01-02"
)

// VariantSeed is the variant deployment the package comment describes.
func VariantSeed() Seed {
	return Seed{Profile: serve.ProfileVariant, Tokens: map[string]Token{
		"var-owner-token-0001":   {Client: "acme-01", RatePerSecond: 25},
		"var-stale-token-0002":   {Client: "acme-01", Expired: true, RatePerSecond: 25},
		"var-frozen-token-0003":  {Client: "acme-01", Blocked: true, RatePerSecond: 25},
		"var-viewer-token-0004":  {Client: "acme-01", ReadOnly: true, RatePerSecond: 25},
		"var-kiosk-token-0005":   {Client: "acme-01", NoMedia: true, RatePerSecond: 25},
		"var-partner-token-0006": {Client: "", RatePerSecond: 25},
		"var-burst-token-0007":   {Client: "acme-01", RatePerSecond: 5},
	}}
}

type line struct {
	UID   string `json:"uid"`
	Title string `json:"title"`
	Kind  string `json:"kind"`
	Mail  string `json:"mail,omitempty"`
	Note  string `json:"note,omitempty"`
}

type account struct {
	UID     string
	Title   string
	Lines   map[string]*line
	Records []record
	Media   map[string]int
	Pending string // the id of an archive requested and not yet downloaded
}

func (a *account) view() map[string]string { return map[string]string{"uid": a.UID, "title": a.Title} }

// variant is the state of a variant deployment.
type variant struct {
	accounts   map[string]*account
	lineSeq    int
	mediaSeq   int
	archiveSeq int
	traceSeq   int
}

func newVariant() *variant {
	v := &variant{accounts: map[string]*account{}}
	ours := &account{UID: "acme-01", Title: "Acme", Lines: map[string]*line{}, Media: map[string]int{}}
	for i, kind := range []string{"phone", "queue"} {
		l := &line{UID: v.nextLine(), Title: strconv.Itoa(100 * (i + 1)), Kind: kind}
		if i == 0 {
			l.Mail = variantUsers[0]
		}
		ours.Lines[l.UID] = l
	}
	// Thirty recordings of 3 MiB, one a day from 2026-03-01 to 2026-03-30.
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 30; i++ {
		ours.Records = append(ours.Records, record{At: start.AddDate(0, 0, i), Size: 3 << 20})
	}
	v.accounts[ours.UID] = ours
	v.accounts["globex-02"] = &account{UID: "globex-02", Title: "Globex", Lines: map[string]*line{}, Media: map[string]int{}}
	return v
}

func (v *variant) nextLine() string {
	v.lineSeq++
	return fmt.Sprintf("ln-%04x", v.lineSeq)
}

func (v *variant) nextMedia() string {
	v.mediaSeq++
	return fmt.Sprintf("m-%04x", v.mediaSeq)
}

func (v *variant) created() []string {
	var out []string
	for _, a := range v.accounts {
		for id, l := range a.Lines {
			if n, err := strconv.ParseInt(strings.TrimPrefix(id, "ln-"), 16, 64); err != nil || n > 2 {
				out = append(out, fmt.Sprintf("account %s line %s (%s)", a.UID, id, l.Title))
			}
		}
		for id := range a.Media {
			out = append(out, fmt.Sprintf("account %s media %s", a.UID, id))
		}
		if a.Pending != "" {
			out = append(out, fmt.Sprintf("account %s archive %s", a.UID, a.Pending))
		}
	}
	sort.Strings(out)
	return out
}

func (s *Server) writeVariantError(w http.ResponseWriter, e *apiError) {
	s.v.traceSeq++
	body := map[string]string{"error": e.message, "trace": fmt.Sprintf("tr-%08x", s.v.traceSeq)}
	if e.status != "" {
		body["status"] = e.status
	}
	serve.JSON(w, e.code, serve.JSONType, body)
}

// serveVariant applies the checks in order: body size, authentication,
// blocking, rate limit, routing, account, scopes, the resource's own.
func (s *Server) serveVariant(w http.ResponseWriter, r *http.Request) {
	body, err := serve.ReadBody(w, r, VariantMaxBodyBytes)
	s.mu.Lock()
	defer s.mu.Unlock()
	if errors.Is(err, serve.ErrTooLarge) {
		s.writeVariantError(w, fail(http.StatusRequestEntityTooLarge, "", "the request body is over %d bytes", VariantMaxBodyBytes))
		return
	}
	if err != nil {
		s.writeVariantError(w, fail(http.StatusBadRequest, "input_error", "the request body could not be read"))
		return
	}
	code, v, apiErr := s.variantCall(w, r, body)
	if apiErr != nil {
		s.writeVariantError(w, apiErr)
		return
	}
	if code == http.StatusNoContent {
		w.WriteHeader(code)
		return
	}
	serve.JSON(w, code, serve.JSONType, v)
}

type vcall struct {
	w       http.ResponseWriter // for the headers a handler adds (Location)
	r       *http.Request
	body    []byte
	token   Token
	account *account
}

type vhandler func(s *Server, c *vcall, args []string) (int, any, *apiError)

type vop struct {
	handle vhandler
	media  bool // under the media scope of an application
}

var variantRoutes = serve.NewTable(
	serve.Route[vop]{Pattern: "accounts/*", Methods: map[string]vop{"GET": {handle: vGetAccount}, "PATCH": {handle: vPatchAccount}}},
	serve.Route[vop]{Pattern: "accounts/*/lines", Methods: map[string]vop{"GET": {handle: vListLines}, "POST": {handle: vCreateLine}}},
	serve.Route[vop]{Pattern: "accounts/*/lines/*", Methods: map[string]vop{"GET": {handle: vGetLine}, "PUT": {handle: vPutLine}, "DELETE": {handle: vDeleteLine}}},
	serve.Route[vop]{Pattern: "accounts/*/lines/*/queue", Methods: map[string]vop{"GET": {handle: vGetQueue}}},
	serve.Route[vop]{Pattern: "accounts/*/calls", Methods: map[string]vop{"GET": {handle: vListCalls}}},
	serve.Route[vop]{Pattern: "accounts/*/calls/archive", Methods: map[string]vop{"POST": {handle: vRequestArchive}}},
	serve.Route[vop]{Pattern: "accounts/*/calls/archive/*", Methods: map[string]vop{"GET": {handle: vDownloadArchive}}},
	serve.Route[vop]{Pattern: "accounts/*/media", Methods: map[string]vop{"GET": {handle: vListMedia, media: true}, "POST": {handle: vUpload, media: true}}},
	serve.Route[vop]{Pattern: "accounts/*/media/*", Methods: map[string]vop{"DELETE": {handle: vDeleteMedia, media: true}}},
)

func (s *Server) variantCall(w http.ResponseWriter, r *http.Request, body []byte) (int, any, *apiError) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		return 0, nil, fail(http.StatusUnauthorized, "", "no bearer token")
	}
	tok, known := s.tokens[raw]
	switch {
	case !known:
		return 0, nil, fail(http.StatusUnauthorized, "", "unknown token")
	case tok.Expired:
		return 0, nil, fail(http.StatusUnauthorized, "", "the token has expired")
	case tok.Blocked:
		return 0, nil, fail(http.StatusForbidden, "user_blocked", "the user or its account is blocked")
	}
	if ok, after := s.rate.Hit(raw, tok.RatePerSecond); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(after))
		return 0, nil, fail(http.StatusTooManyRequests, "rate_limit_exceeded", "over %d requests a second", tok.RatePerSecond)
	}
	segs, ok := serve.Split(r.URL.Path, VariantBasePath)
	if !ok {
		return 0, nil, fail(http.StatusNotFound, "", "no resource at %s", r.URL.Path)
	}
	op, args, code := variantRoutes.Find(r.Method, segs)
	switch code {
	case http.StatusNotFound:
		return 0, nil, fail(http.StatusNotFound, "", "no resource at %s", r.URL.Path)
	case http.StatusMethodNotAllowed:
		return 0, nil, fail(http.StatusMethodNotAllowed, "", "%s is not allowed here", r.Method)
	}
	c := &vcall{w: w, r: r, body: body, token: tok}
	acct := args[0]
	if acct == "@me" {
		if tok.Client == "" {
			return 0, nil, fail(http.StatusBadRequest, "unresolvable_me", "@me names no account for this token")
		}
		acct = tok.Client
	}
	if c.account = s.v.accounts[acct]; c.account == nil {
		return 0, nil, fail(http.StatusNotFound, "client_not_found", "no account %s", acct)
	}
	if c.account.UID != tok.Client {
		return 0, nil, fail(http.StatusForbidden, "access_denied", "no access to account %s", acct)
	}
	if op.media && tok.NoMedia {
		return 0, nil, fail(http.StatusForbidden, "app_access_type_deny", "the application has no media scope")
	}
	if r.Method != http.MethodGet && tok.ReadOnly {
		return 0, nil, fail(http.StatusForbidden, "user_access_type_deny", "the user may only read")
	}
	return op.handle(s, c, args[1:])
}

func vGetAccount(_ *Server, c *vcall, _ []string) (int, any, *apiError) {
	return http.StatusOK, c.account.view(), nil
}

func vPatchAccount(_ *Server, c *vcall, _ []string) (int, any, *apiError) {
	var in struct {
		Title any `json:"title"`
	}
	if err := decodeObject(c.body, &in); err != nil {
		return 0, nil, err
	}
	if in.Title != nil {
		title, ok := in.Title.(string)
		if !ok || title == "" {
			return 0, nil, fail(http.StatusBadRequest, "input_error", "title: a non-empty string")
		}
		c.account.Title = title
	}
	return http.StatusOK, c.account.view(), nil
}

func (a *account) sortedLines() []*line {
	out := []*line{}
	for _, l := range a.Lines {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UID < out[j].UID })
	return out
}

func vListLines(_ *Server, c *vcall, _ []string) (int, any, *apiError) {
	return http.StatusOK, c.account.sortedLines(), nil
}

// variantUsers are acme-01's users, by e-mail address: a line's mail must
// be one of them; the first is ln-0001's.
var variantUsers = []string{"desk@acme-01.test", "ops@acme-01.test", "hall@acme-01.test"}

// lineTitle is this deployment's own format of a line's title (its number).
var lineTitle = regexp.MustCompile(`^[0-9]{2,6}$`)

func vCreateLine(s *Server, c *vcall, _ []string) (int, any, *apiError) {
	var in struct {
		Title any `json:"title"`
		Kind  any `json:"kind"`
		Mail  any `json:"mail"`
	}
	if err := decodeObject(c.body, &in); err != nil {
		return 0, nil, err
	}
	title, ok := in.Title.(string)
	if !ok || !lineTitle.MatchString(title) {
		return 0, nil, fail(http.StatusBadRequest, "input_error", "title: 2 to 6 digits are required")
	}
	kind, ok := in.Kind.(string)
	if !ok || !extensionTypes[kind] {
		return 0, nil, fail(http.StatusBadRequest, "input_error", "kind: one of phone, queue, ivr, fax is required")
	}
	mail, ok := in.Mail.(string)
	if in.Mail != nil && (!ok || (mail != "" && !strings.Contains(mail, "@"))) {
		return 0, nil, fail(http.StatusBadRequest, "input_error", "mail: an e-mail address")
	}
	lines := c.account.sortedLines()
	for _, l := range lines {
		if l.Title == title {
			return 0, nil, fail(http.StatusBadRequest, "already_exists", "a line titled %q exists", title)
		}
	}
	for _, l := range lines {
		if mail != "" && l.Mail == mail {
			return 0, nil, fail(http.StatusBadRequest, "email_duplicate", "%s is in use", mail)
		}
	}
	// A line's mail is one of the account's users, who cannot be created
	// or deleted through the API.
	if mail != "" && !slices.Contains(variantUsers, mail) {
		return 0, nil, fail(http.StatusBadRequest, "input_error", "mail: %s is no user of the account", mail)
	}
	if len(lines) >= VariantMaxLines {
		return 0, nil, fail(http.StatusBadRequest, "limit_exceeded", "an account holds at most %d lines", VariantMaxLines)
	}
	l := &line{UID: s.v.nextLine(), Title: title, Kind: kind, Mail: mail}
	c.account.Lines[l.UID] = l
	// The new line's address alone names it: the body holds no uid.
	c.w.Header().Set("Location", fmt.Sprintf("%s/accounts/%s/lines/%s", VariantBasePath, c.account.UID, l.UID))
	return http.StatusCreated, map[string]string{"title": l.Title, "kind": l.Kind}, nil
}

func (c *vcall) line(id string) (*line, *apiError) {
	if id == "@me" {
		return nil, fail(http.StatusBadRequest, "unresolvable_me", "@me names no line for this token")
	}
	l, ok := c.account.Lines[id]
	if !ok {
		return nil, fail(http.StatusNotFound, "extension_not_found", "no line %s", id)
	}
	return l, nil
}

func vGetLine(_ *Server, c *vcall, args []string) (int, any, *apiError) {
	l, err := c.line(args[0])
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, l, nil
}

func vPutLine(_ *Server, c *vcall, args []string) (int, any, *apiError) {
	l, apiErr := c.line(args[0])
	if apiErr != nil {
		return 0, nil, apiErr
	}
	var in struct {
		Note any `json:"note"`
	}
	if err := decodeObject(c.body, &in); err != nil {
		return 0, nil, err
	}
	if in.Note != nil {
		note, ok := in.Note.(string)
		if !ok {
			return 0, nil, fail(http.StatusBadRequest, "input_error", "note: a string")
		}
		l.Note = note
	}
	return http.StatusOK, l, nil
}

func vDeleteLine(_ *Server, c *vcall, args []string) (int, any, *apiError) {
	l, err := c.line(args[0])
	if err != nil {
		return 0, nil, err
	}
	delete(c.account.Lines, l.UID)
	return http.StatusNoContent, nil, nil
}

func vGetQueue(_ *Server, c *vcall, args []string) (int, any, *apiError) {
	l, err := c.line(args[0])
	if err != nil {
		return 0, nil, err
	}
	if l.Kind != "queue" {
		return 0, nil, fail(http.StatusBadRequest, "wrong_extension_type", "line %s is a %s, not a queue", l.UID, l.Kind)
	}
	return http.StatusOK, map[string]any{"uid": l.UID, "members": []string{}}, nil
}

func vListCalls(_ *Server, c *vcall, _ []string) (int, any, *apiError) {
	out := []map[string]any{}
	for _, r := range c.account.Records {
		out = append(out, map[string]any{"date": r.At.Format(dateLayout), "bytes": r.Size})
	}
	return http.StatusOK, out, nil
}

func vRequestArchive(s *Server, c *vcall, _ []string) (int, any, *apiError) {
	var in struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
	if err := decodeObject(c.body, &in); err != nil {
		return 0, nil, err
	}
	from, err1 := time.Parse(dateLayout, in.From)
	to, err2 := time.Parse(dateLayout, in.To)
	if err1 != nil || err2 != nil || to.Before(from) {
		return 0, nil, fail(http.StatusBadRequest, "input_error", "from and to: two dates as YYYY-MM-DD, in order")
	}
	if c.account.Pending != "" {
		return 0, nil, fail(http.StatusBadRequest, "archive_already_requested", "download the pending archive first")
	}
	end := to.AddDate(0, 0, 1)
	var count int
	var size int64
	for _, r := range c.account.Records {
		if !r.At.Before(from) && r.At.Before(end) {
			count++
			size += r.Size
		}
	}
	if count == 0 {
		return 0, nil, fail(http.StatusBadRequest, "no_records", "no recordings from %s to %s", in.From, in.To)
	}
	if size > VariantMaxArchiveBytes {
		return 0, nil, fail(http.StatusBadRequest, "records_size_too_large", "%d bytes of recordings; an archive holds at most %d", size, VariantMaxArchiveBytes)
	}
	s.v.archiveSeq++
	c.account.Pending = fmt.Sprintf("ar-%04x", s.v.archiveSeq)
	// The archive's address alone says where it is: no id in the body.
	c.w.Header().Set("Location", fmt.Sprintf("%s/accounts/%s/calls/archive/%s", VariantBasePath, c.account.UID, c.account.Pending))
	return http.StatusCreated, map[string]string{"state": "preparing"}, nil
}

func vDownloadArchive(_ *Server, c *vcall, args []string) (int, any, *apiError) {
	if c.account.Pending == "" || args[0] != c.account.Pending {
		return 0, nil, fail(http.StatusNotFound, "", "no archive %s is pending", args[0])
	}
	c.account.Pending = ""
	return http.StatusOK, map[string]string{"state": "ready", "url": "/downloads/" + c.account.UID + "-calls.zip"}, nil
}

func vListMedia(_ *Server, c *vcall, _ []string) (int, any, *apiError) {
	out := []map[string]any{}
	for id, n := range c.account.Media {
		out = append(out, map[string]any{"uid": id, "bytes": n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["uid"].(string) < out[j]["uid"].(string) })
	return http.StatusOK, out, nil
}

// vUpload takes a WAV or MP3 file in the multipart/form-data part "audio".
func vUpload(s *Server, c *vcall, _ []string) (int, any, *apiError) {
	mt, params, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return 0, nil, fail(http.StatusBadRequest, "input_error", "the body must be multipart/form-data")
	}
	mr := multipart.NewReader(bytes.NewReader(c.body), params["boundary"])
	var file []byte
	found := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, nil, fail(http.StatusBadRequest, "input_error", "the multipart body is malformed")
		}
		if part.FormName() != "audio" || found {
			continue
		}
		if file, err = io.ReadAll(part); err != nil {
			return 0, nil, fail(http.StatusBadRequest, "input_error", "the multipart body is malformed")
		}
		found = true
	}
	if !found {
		return 0, nil, fail(http.StatusBadRequest, "input_error", "no part named audio")
	}
	if len(file) > VariantMaxMediaBytes {
		return 0, nil, fail(http.StatusRequestEntityTooLarge, "large_file", "a media file holds at most %d bytes", VariantMaxMediaBytes)
	}
	isWAV := len(file) >= 12 && bytes.Equal(file[:4], []byte("RIFF")) && bytes.Equal(file[8:12], []byte("WAVE"))
	if !isWAV && !bytes.HasPrefix(file, []byte("ID3")) {
		return 0, nil, fail(http.StatusBadRequest, "wrong_file", "a media file is WAV or MP3")
	}
	id := s.v.nextMedia()
	c.account.Media[id] = len(file)
	return http.StatusCreated, map[string]any{"uid": id, "bytes": len(file)}, nil
}

func vDeleteMedia(_ *Server, c *vcall, args []string) (int, any, *apiError) {
	if _, ok := c.account.Media[args[0]]; !ok {
		return 0, nil, fail(http.StatusNotFound, "", "no media %s", args[0])
	}
	delete(c.account.Media, args[0])
	return http.StatusNoContent, nil, nil
}
