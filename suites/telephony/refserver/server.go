// Package telephony is an in-memory reference implementation of the Telephony
// API as its return-codes page documents it (000_06a165e8fd570c61.txt):
// bearer-token auth with users, clients and applications of several access
// levels, extensions of several types, sound uploads, call-record archives
// and per-token rate limits. It answers every documented condition the way
// the page says, and is what `make conformance` checks the suite against.
//
// # Variant profile
//
// A second deployment, written from the same page to differ from the default
// wherever the page allows. It is New(VariantSeed()) (a Seed whose Profile
// is serve.ProfileVariant), or `refserver telephony --profile variant`. Its
// contract:
//
//   - Base path /pbx/v2. Every path below is relative to it and matched
//     exactly: a trailing slash, a doubled slash or a path outside the base
//     answers 404 with no status.
//   - Credentials: `Authorization: Bearer <token>`. Tokens:
//     var-owner-token-0001 (account acme-01, admin);
//     var-stale-token-0002 (expired: 401);
//     var-frozen-token-0003 (blocked: 403 user_blocked);
//     var-viewer-token-0004 (acme-01, user level read-only: any method but
//     GET on an account resource answers 403 user_access_type_deny);
//     var-kiosk-token-0005 (acme-01, application without the media scope:
//     any /accounts/{acct}/media route answers 403 app_access_type_deny; it
//     may read calls); var-partner-token-0006 (application bound to no
//     account: a real account answers 403 access_denied, @me answers 400
//     unresolvable_me); var-burst-token-0007 (acme-01, 5 requests a window).
//     No Authorization header, a header not starting "Bearer ", or an
//     unknown token: 401 with no status.
//   - Accounts (clients): acme-01 (ours, title "Acme"), globex-02 (another
//     client's: 403 access_denied for every token). Any other id, e.g.
//     nobody-99: 404 client_not_found. @me in the account position is the
//     token's account; in the line position it answers 400 unresolvable_me
//     for every token (no token has a line of its own).
//   - Rate limit on every token: fixed windows of 1 second aligned to whole
//     seconds, 25 requests a window per token (5 for var-burst-token-0007).
//     Every request that passes authentication and blocking counts, whatever
//     it answers. Over the limit: 429 rate_limit_exceeded with
//     `Retry-After: 1` (seconds to the window's end, rounded up, at least 1).
//   - Routes, with {acct} an account id or @me:
//     /accounts/{acct} GET 200 {"uid":"acme-01","title":"Acme"}, PATCH with
//     {"title":"…"} 200 (same shape; a title that is not a non-empty string:
//     400 input_error);
//     /accounts/{acct}/lines GET 200 (array of lines, by uid), POST 201
//     (create);
//     /accounts/{acct}/lines/{line} GET 200, PUT 200 with {"note":"…"} (a
//     note that is not a string: 400 input_error), DELETE 204;
//     /accounts/{acct}/lines/{line}/queue GET 200
//     {"uid":"ln-0002","members":[]} for a queue line, else 400
//     wrong_extension_type;
//     /accounts/{acct}/calls GET 200 (array of {"date":"2026-03-01","bytes":3145728});
//     /accounts/{acct}/calls/archive POST 201 (request);
//     /accounts/{acct}/calls/archive/{archive} GET (download);
//     /accounts/{acct}/media GET 200 (array of {"uid","bytes"}), POST 201
//     (upload); /accounts/{acct}/media/{uid} DELETE 204 (unknown uid: 404
//     with no status).
//     Any other path: 404 with no status; a route above with another
//     method: 405 with no status (e.g. DELETE /accounts/{acct}, DELETE
//     /accounts/{acct}/lines, POST /accounts/{acct}/calls, GET
//     /accounts/{acct}/media/{uid}).
//   - Lines: {"uid":"ln-0001","title":"100","kind":"phone"} plus
//     "mail" and "note" when set. Seeded on acme-01: ln-0001 (title "100",
//     kind phone) and ln-0002 (title "200", kind queue). New
//     uids are "ln-" and 4 lower-case hex digits from one counter of the
//     server, so the first created is ln-0003. An unknown line, e.g.
//     ln-ffff: 404 extension_not_found.
//   - Create a line: a JSON object {"title":"…","kind":"phone|queue|ivr|fax","mail":"…"}
//     ("mail" optional). Checked in order: body not a JSON object, title
//     missing, not a string or not 2 to 6 digits (this deployment's own
//     format of a line's title, its number), kind not one of the four strings (e.g.
//     12345), mail present and not a string, or non-empty without "@": 400
//     input_error; a title already on the account: 400 already_exists; a
//     mail already on the account: 400 email_duplicate; a mail that is not
//     one of the account's users (desk@acme-01.test, ln-0001's;
//     ops@acme-01.test; hall@acme-01.test; users cannot be created or
//     deleted through the API): 400 input_error; the account already
//     holding 8 lines: 400 limit_exceeded (acme-01 starts with 2, so 6 can
//     be created). Answer 201 with `Location: /pbx/v2/accounts/acme-01/lines/ln-0003`
//     and a body without the uid, e.g. {"title":"desk","kind":"fax"}: the
//     address alone names the new line.
//   - Archive: acme-01 has 30 recordings of 3 MiB (3145728 bytes), one a day
//     from 2026-03-01 to 2026-03-30; an archive holds at most 60 MiB (20
//     recordings). Request: POST {"from":"YYYY-MM-DD","to":"YYYY-MM-DD"},
//     both ends inclusive. Checked in order: not a JSON object, a date not
//     YYYY-MM-DD or to before from: 400 input_error; an archive pending: 400
//     archive_already_requested; no recordings in range (e.g.
//     2025-01-01..2025-01-31): 400 no_records; over 60 MiB (e.g.
//     2026-03-01..2026-03-31): 400 records_size_too_large. A range such as
//     2026-03-01..2026-03-10 answers 201 {"state":"preparing"} with no id,
//     its address in `Location` (…/calls/archive/ar-0001, "ar-" and 4 hex
//     digits from one counter). GET at that address downloads it: 200
//     {"state":"ready","url":"/downloads/acme-01-calls.zip"}, and the archive
//     is no longer pending; any other archive, or none pending: 404 with no
//     status.
//   - Upload: POST /accounts/{acct}/media, Content-Type multipart/form-data
//     only, the file in the part named "audio" (any or no filename; the
//     first such part). Checked in order: not multipart/form-data, malformed,
//     or no "audio" part: 400 input_error; file over 512 KiB (524288 bytes):
//     413 large_file; not WAV ("RIFF", 4 bytes, "WAVE") nor MP3 (starting
//     "ID3"): 400 wrong_file. Answer 201 {"uid":"m-0001","bytes":N}; media
//     uids are "m-" and 4 lower-case hex digits from one counter, from m-0001.
//   - Request body over 10,000,000 bytes («10 MB» read as decimal): 413 with
//     no status, by Content-Length before anything else (with
//     `Connection: close`), or while reading a body without one. Exactly
//     10,000,000 bytes is let through.
//   - Errors: {"status":"…","error":"human text","trace":"tr-0000002a"} with
//     no "status" key on rows without one; "trace" is unique per answer.
//     Content-Type `application/json` (no charset) on every answer with a
//     body, errors and successes alike; 204 has no body and no Content-Type.
//   - Order of checks: body size (413), authentication (401), blocking
//     (403 user_blocked), rate limit (429), routing (404, 405), account
//     (400 unresolvable_me, 404 client_not_found, 403 access_denied), scopes
//     (403 app_access_type_deny, then 403 user_access_type_deny), then the
//     resource's own.
//   - Created lists lines beyond ln-0001 and ln-0002, media and a pending
//     archive.
package refserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/confsuite/apiconform/internal/refserver/serve"
)

// Limits of the deployment.
const (
	BasePath        = "/api/ver1.0"
	MaxBodyBytes    = 10 << 20 // «10 МБ», read as binary megabytes (docs/decisions.md)
	MaxSoundBytes   = 1 << 20
	MaxArchiveBytes = 50 << 20
	MaxExtensions   = 12
	timeLayout      = "2006-01-02 15:04:05"
)

// Token is what a bearer token stands for.
type Token struct {
	Client      string
	Blocked     bool
	Expired     bool
	ReadOnly    bool // the user's access level allows reads only
	NoRecords   bool // the application's access level does not cover call records
	RatePerMin  int  // requests a minute; 0 means unlimited (default profile)
	ExtensionID string

	NoMedia       bool // the application's access level does not cover media (variant profile)
	RatePerSecond int  // requests a second; 0 means unlimited (variant profile)
}

// Seed is the deployment's initial state.
type Seed struct {
	Tokens  map[string]Token
	Now     func() time.Time // the rate windows' clock; nil is time.Now
	Profile string           // "" or serve.ProfileDefault, or serve.ProfileVariant
	// MaxBodyBytes, when positive, replaces the default profile's request
	// body limit (MaxBodyBytes), so a test can probe it with a small body.
	MaxBodyBytes int64
}

// DefaultSeed is the deployment fixtures/telephony.yaml describes.
func DefaultSeed() Seed {
	return Seed{Tokens: map[string]Token{
		"tel-admin-token":    {Client: "1001"},
		"tel-expired-token":  {Client: "1001", Expired: true},
		"tel-blocked-token":  {Client: "1001", Blocked: true},
		"tel-readonly-token": {Client: "1001", ReadOnly: true},
		"tel-lowapp-token":   {Client: "1001", NoRecords: true},
		"tel-rate-token":     {Client: "1001", RatePerMin: 10},
		"tel-foreign-token":  {Client: "2002"},
		"tel-ext-token":      {Client: "1001", ExtensionID: "5001"},
	}}
}

type extension struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Type  string `json:"type"`
	Email string `json:"email,omitempty"`
	Label string `json:"label,omitempty"`
}

type record struct {
	At   time.Time
	Size int64
}

type client struct {
	ID         string
	Name       string
	Extensions map[string]*extension
	Records    []record
	Sounds     map[string]int
	Pending    string // id of an archive requested and not yet downloaded
}

// Server is the reference implementation; it is an http.Handler.
type Server struct {
	mu      sync.Mutex
	tokens  map[string]Token
	clients map[string]*client
	nextID  int
	rate    *serve.Window // requests in the current window, by token
	v       *variant      // the variant profile's state; nil for the default
	maxBody int64         // the request body limit of the default profile
}

// New builds a server of the seed's profile holding the seed's tokens: for
// the default profile two clients, for the variant two accounts. It panics
// on an unknown profile.
func New(seed Seed) *Server {
	switch seed.Profile {
	case "", serve.ProfileDefault:
	case serve.ProfileVariant:
		return &Server{tokens: seed.Tokens, rate: serve.NewWindow(VariantRateWindow, seed.Now), v: newVariant()}
	default:
		panic(fmt.Sprintf("telephony: unknown profile %q", seed.Profile))
	}
	s := &Server{tokens: seed.Tokens, clients: map[string]*client{}, nextID: 7000, rate: serve.NewWindow(time.Minute, seed.Now), maxBody: MaxBodyBytes}
	if seed.MaxBodyBytes > 0 {
		s.maxBody = seed.MaxBodyBytes
	}
	ours := &client{ID: "1001", Name: "Reference client", Extensions: map[string]*extension{}, Sounds: map[string]int{}}
	for _, e := range []*extension{
		{ID: "5001", Name: "reception", Type: "phone"},
		{ID: "5002", Name: "support", Type: "queue"},
		{ID: "5003", Name: "menu", Type: "ivr"},
	} {
		ours.Extensions[e.ID] = e
	}
	// Forty recordings of 2 MiB, one every two days from 2026-01-01: a month
	// fits in an archive, a year does not.
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 40; i++ {
		ours.Records = append(ours.Records, record{At: start.Add(time.Duration(i) * 48 * time.Hour), Size: 2 << 20})
	}
	s.clients[ours.ID] = ours
	s.clients["2002"] = &client{ID: "2002", Name: "Another client", Extensions: map[string]*extension{}, Sounds: map[string]int{}}
	return s
}

// apiError is a documented error: an HTTP code and, where the page gives
// one, a status.
type apiError struct {
	code    int
	status  string
	message string
}

func (e *apiError) Error() string { return e.message }

func fail(code int, status, format string, args ...any) *apiError {
	return &apiError{code: code, status: status, message: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	serve.JSON(w, code, "application/json; charset=utf-8", v)
}

func writeError(w http.ResponseWriter, e *apiError) {
	body := map[string]string{"message": e.message}
	if e.status != "" {
		body["status"] = e.status
	}
	writeJSON(w, e.code, body)
}

// ServeHTTP applies the checks in the order a request meets them: body size,
// authentication, blocking, rate limit, routing, then the resource's own.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.v != nil {
		s.serveVariant(w, r)
		return
	}
	body, err := serve.ReadBody(w, r, s.maxBody)
	if errors.Is(err, serve.ErrTooLarge) {
		writeError(w, fail(http.StatusRequestEntityTooLarge, "", "request body is larger than %d bytes", s.maxBody))
		return
	}
	if err != nil {
		writeError(w, fail(http.StatusBadRequest, "input_error", "cannot read the request body"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	code, v, apiErr := s.serve(r, body)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	writeJSON(w, code, v)
}

type call struct {
	r      *http.Request
	body   []byte
	token  Token
	client *client
}

func (s *Server) serve(r *http.Request, body []byte) (int, any, *apiError) {
	tok, apiErr := s.authenticate(r)
	if apiErr != nil {
		return 0, nil, apiErr
	}
	path, ok := strings.CutPrefix(r.URL.Path, BasePath+"/")
	if !ok {
		return 0, nil, fail(http.StatusNotFound, "", "resource %s does not exist", r.URL.Path)
	}
	parts := strings.Split(strings.TrimSuffix(path, "/"), "/")
	if len(parts) < 2 || parts[0] != "client" {
		return 0, nil, fail(http.StatusNotFound, "", "resource %s does not exist", r.URL.Path)
	}
	op, args, code := routes.Find(r.Method, parts[2:])
	switch code {
	case http.StatusNotFound:
		return 0, nil, fail(http.StatusNotFound, "", "resource %s does not exist", r.URL.Path)
	case http.StatusMethodNotAllowed:
		return 0, nil, fail(http.StatusMethodNotAllowed, "", "resource does not support %s", r.Method)
	}
	c := &call{r: r, body: body, token: tok}
	if c.client, apiErr = s.resolveClient(parts[1], tok); apiErr != nil {
		return 0, nil, apiErr
	}
	if op.records && tok.NoRecords {
		return 0, nil, fail(http.StatusForbidden, "app_access_type_deny", "the application's access level does not cover call records")
	}
	if r.Method != http.MethodGet && tok.ReadOnly {
		return 0, nil, fail(http.StatusForbidden, "user_access_type_deny", "the user's access level allows reads only")
	}
	return op.handle(s, c, args)
}

func (s *Server) authenticate(r *http.Request) (Token, *apiError) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		return Token{}, fail(http.StatusUnauthorized, "", "no access token in the request")
	}
	tok, known := s.tokens[raw]
	switch {
	case !known:
		return Token{}, fail(http.StatusUnauthorized, "", "the access token is invalid")
	case tok.Expired:
		return Token{}, fail(http.StatusUnauthorized, "", "the access token has expired")
	case tok.Blocked:
		return Token{}, fail(http.StatusForbidden, "user_blocked", "the user or its client is blocked")
	}
	if ok, _ := s.rate.Hit(raw, tok.RatePerMin); !ok {
		return Token{}, fail(http.StatusTooManyRequests, "rate_limit_exceeded", "more than %d requests a minute", tok.RatePerMin)
	}
	return tok, nil
}

func (s *Server) resolveClient(id string, tok Token) (*client, *apiError) {
	if id == "@me" {
		id = tok.Client
	}
	c, ok := s.clients[id]
	if !ok {
		return nil, fail(http.StatusNotFound, "client_not_found", "no client %s", id)
	}
	if c.ID != tok.Client {
		return nil, fail(http.StatusForbidden, "access_denied", "no access to client %s", id)
	}
	return c, nil
}

// handler answers a resource; args are the path segments its route's "*"
// matched below the client.
type handler func(s *Server, c *call, args []string) (int, any, *apiError)

type op struct {
	handle  handler
	records bool // under the call-records scope of an application
}

var routes = serve.NewTable(
	serve.Route[op]{Pattern: "", Methods: map[string]op{"GET": {handle: getClient}, "PUT": {handle: putClient}}},
	serve.Route[op]{Pattern: "extension", Methods: map[string]op{"GET": {handle: listExtensions}, "POST": {handle: createExtension}}},
	serve.Route[op]{Pattern: "extension/*", Methods: map[string]op{"GET": {handle: getExtension}, "PUT": {handle: putExtension}, "DELETE": {handle: deleteExtension}}},
	serve.Route[op]{Pattern: "extension/*/queue", Methods: map[string]op{"GET": {handle: getQueue}}},
	serve.Route[op]{Pattern: "sound", Methods: map[string]op{"GET": {handle: listSounds}, "POST": {handle: uploadSound}}},
	serve.Route[op]{Pattern: "sound/*", Methods: map[string]op{"DELETE": {handle: deleteSound}}},
	serve.Route[op]{Pattern: "record", Methods: map[string]op{"GET": {handle: listRecords, records: true}}},
	serve.Route[op]{Pattern: "record/archive", Methods: map[string]op{"POST": {handle: requestArchive, records: true}}},
	serve.Route[op]{Pattern: "record/archive/*", Methods: map[string]op{"GET": {handle: downloadArchive, records: true}}},
)

func (s *Server) newID() string {
	s.nextID++
	return strconv.Itoa(s.nextID)
}

func getClient(_ *Server, c *call, _ []string) (int, any, *apiError) {
	return http.StatusOK, map[string]string{"id": c.client.ID, "name": c.client.Name}, nil
}

func putClient(_ *Server, c *call, _ []string) (int, any, *apiError) {
	var in struct {
		Name *string `json:"name"`
	}
	if err := decodeObject(c.body, &in); err != nil {
		return 0, nil, err
	}
	if in.Name != nil {
		c.client.Name = *in.Name
	}
	return http.StatusOK, map[string]string{"id": c.client.ID, "name": c.client.Name}, nil
}

func listExtensions(_ *Server, c *call, _ []string) (int, any, *apiError) {
	out := []*extension{}
	for _, e := range c.client.Extensions {
		out = append(out, e)
	}
	return http.StatusOK, out, nil
}

var extensionTypes = map[string]bool{"phone": true, "queue": true, "ivr": true, "fax": true}

func createExtension(s *Server, c *call, _ []string) (int, any, *apiError) {
	var in struct {
		Name  any    `json:"name"`
		Type  any    `json:"type"`
		Email any    `json:"email"`
		Label string `json:"label"`
	}
	if err := decodeObject(c.body, &in); err != nil {
		return 0, nil, err
	}
	name, ok := in.Name.(string)
	if !ok || name == "" {
		return 0, nil, fail(http.StatusBadRequest, "input_error", "name: a non-empty string is required")
	}
	typ, ok := in.Type.(string)
	if !ok || !extensionTypes[typ] {
		return 0, nil, fail(http.StatusBadRequest, "input_error", "type: one of phone, queue, ivr, fax is required")
	}
	email, ok := in.Email.(string)
	if in.Email != nil && (!ok || !strings.Contains(email, "@")) {
		return 0, nil, fail(http.StatusBadRequest, "input_error", "email: an e-mail address is required")
	}
	for _, e := range c.client.Extensions {
		if e.Name == name {
			return 0, nil, fail(http.StatusBadRequest, "already_exists", "extension %q already exists", name)
		}
		if email != "" && e.Email == email {
			return 0, nil, fail(http.StatusBadRequest, "email_duplicate", "e-mail %s is already in use", email)
		}
	}
	if len(c.client.Extensions) >= MaxExtensions {
		return 0, nil, fail(http.StatusBadRequest, "limit_exceeded", "a client may have at most %d extensions", MaxExtensions)
	}
	e := &extension{ID: s.newID(), Name: name, Type: typ, Email: email, Label: in.Label}
	c.client.Extensions[e.ID] = e
	return http.StatusCreated, e, nil
}

func (c *call) extension(id string) (*extension, *apiError) {
	if id == "@me" {
		if c.token.ExtensionID == "" {
			return nil, fail(http.StatusBadRequest, "unresolvable_me", "@me names no extension for this user")
		}
		id = c.token.ExtensionID
	}
	e, ok := c.client.Extensions[id]
	if !ok {
		return nil, fail(http.StatusNotFound, "extension_not_found", "no extension %s", id)
	}
	return e, nil
}

func getExtension(_ *Server, c *call, args []string) (int, any, *apiError) {
	e, err := c.extension(args[0])
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e, nil
}

func putExtension(_ *Server, c *call, args []string) (int, any, *apiError) {
	e, apiErr := c.extension(args[0])
	if apiErr != nil {
		return 0, nil, apiErr
	}
	var in struct {
		Label *string `json:"label"`
	}
	if err := decodeObject(c.body, &in); err != nil {
		return 0, nil, err
	}
	if in.Label != nil {
		e.Label = *in.Label
	}
	return http.StatusOK, e, nil
}

func deleteExtension(_ *Server, c *call, args []string) (int, any, *apiError) {
	e, err := c.extension(args[0])
	if err != nil {
		return 0, nil, err
	}
	delete(c.client.Extensions, e.ID)
	return http.StatusNoContent, nil, nil
}

func getQueue(_ *Server, c *call, args []string) (int, any, *apiError) {
	e, err := c.extension(args[0])
	if err != nil {
		return 0, nil, err
	}
	if e.Type != "queue" {
		return 0, nil, fail(http.StatusBadRequest, "wrong_extension_type", "extension %s is a %s, not a queue", e.ID, e.Type)
	}
	return http.StatusOK, map[string]any{"extension_id": e.ID, "agents": []string{}}, nil
}

func listSounds(_ *Server, c *call, _ []string) (int, any, *apiError) {
	out := []map[string]any{}
	for id, size := range c.client.Sounds {
		out = append(out, map[string]any{"id": id, "size": size})
	}
	return http.StatusOK, out, nil
}

// uploadSound takes a WAV or MP3 file as the raw request body.
func uploadSound(s *Server, c *call, _ []string) (int, any, *apiError) {
	if len(c.body) > MaxSoundBytes {
		return 0, nil, fail(http.StatusRequestEntityTooLarge, "large_file", "a sound file may have at most %d bytes", MaxSoundBytes)
	}
	isWAV := len(c.body) >= 12 && bytes.Equal(c.body[:4], []byte("RIFF")) && bytes.Equal(c.body[8:12], []byte("WAVE"))
	isMP3 := bytes.HasPrefix(c.body, []byte("ID3"))
	if !isWAV && !isMP3 {
		return 0, nil, fail(http.StatusBadRequest, "wrong_file", "a sound file must be WAV or MP3")
	}
	id := s.newID()
	c.client.Sounds[id] = len(c.body)
	return http.StatusCreated, map[string]any{"id": id, "size": len(c.body)}, nil
}

func deleteSound(_ *Server, c *call, args []string) (int, any, *apiError) {
	if _, ok := c.client.Sounds[args[0]]; !ok {
		return 0, nil, fail(http.StatusNotFound, "", "no sound %s", args[0])
	}
	delete(c.client.Sounds, args[0])
	return http.StatusNoContent, nil, nil
}

func listRecords(_ *Server, c *call, _ []string) (int, any, *apiError) {
	out := []map[string]any{}
	for i, r := range c.client.Records {
		out = append(out, map[string]any{"id": i + 1, "start": r.At.Format(timeLayout), "size": r.Size})
	}
	return http.StatusOK, out, nil
}

func requestArchive(s *Server, c *call, _ []string) (int, any, *apiError) {
	var in struct {
		Start string `json:"start_datetime"`
		End   string `json:"end_datetime"`
	}
	if err := decodeObject(c.body, &in); err != nil {
		return 0, nil, err
	}
	start, err1 := time.Parse(timeLayout, in.Start)
	end, err2 := time.Parse(timeLayout, in.End)
	if err1 != nil || err2 != nil || end.Before(start) {
		return 0, nil, fail(http.StatusBadRequest, "input_error", "start_datetime and end_datetime: two times as %q, in order", timeLayout)
	}
	if c.client.Pending != "" {
		return 0, nil, fail(http.StatusBadRequest, "archive_already_requested", "archive %s is not downloaded yet", c.client.Pending)
	}
	var count int
	var size int64
	for _, r := range c.client.Records {
		if !r.At.Before(start) && !r.At.After(end) {
			count++
			size += r.Size
		}
	}
	if count == 0 {
		return 0, nil, fail(http.StatusBadRequest, "no_records", "no recordings between %s and %s", in.Start, in.End)
	}
	if size > MaxArchiveBytes {
		return 0, nil, fail(http.StatusBadRequest, "records_size_too_large", "%d bytes of recordings; an archive holds at most %d", size, MaxArchiveBytes)
	}
	c.client.Pending = s.newID()
	return http.StatusCreated, map[string]any{"id": c.client.Pending, "records": count, "size": size}, nil
}

func downloadArchive(_ *Server, c *call, args []string) (int, any, *apiError) {
	if args[0] != c.client.Pending {
		return 0, nil, fail(http.StatusNotFound, "", "no archive %s", args[0])
	}
	c.client.Pending = ""
	return http.StatusOK, map[string]any{"id": args[0], "url": "/downloads/" + args[0] + ".zip"}, nil
}

// decodeObject reads a JSON object body; anything else is an input_error.
func decodeObject(body []byte, v any) *apiError {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return fail(http.StatusBadRequest, "input_error", "the body must be a JSON object")
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		return fail(http.StatusBadRequest, "input_error", "the body is not valid: %v", err)
	}
	return nil
}

// Created lists what requests made since New still holds: extensions,
// sounds and pending archives that the seed did not have (for the variant:
// lines beyond the seeded two, media and a pending archive). Tests use it
// to prove a suite cleans up after itself.
func (s *Server) Created() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.v != nil {
		return s.v.created()
	}
	var out []string
	for _, c := range s.clients {
		for id, e := range c.Extensions {
			if n, _ := strconv.Atoi(id); n > 7000 {
				out = append(out, fmt.Sprintf("client %s extension %s (%s)", c.ID, id, e.Name))
			}
		}
		for id := range c.Sounds {
			out = append(out, fmt.Sprintf("client %s sound %s", c.ID, id))
		}
		if c.Pending != "" {
			out = append(out, fmt.Sprintf("client %s archive %s", c.ID, c.Pending))
		}
	}
	return out
}
