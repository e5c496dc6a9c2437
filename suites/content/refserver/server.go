// Package content is an in-memory reference implementation of the Content API
// as its error-messages page documents it (004_f3934047545fb061.txt): API
// keys bound to client addresses, a suspended key, a key without access to
// offers, per-key rate limits; models, offers and categories; required and
// typed query parameters; a resource that takes a JSON or XML body; errors
// in JSON or XML by the format parameter. With Fault set, one model id
// answers 500, so the documented 500 can be provoked on purpose.
//
// # Variant profile
//
// A second deployment, written from the same page to differ from the default
// wherever the page allows. It is New(VariantSeed()) (a Seed whose Profile
// is serve.ProfileVariant; Fault as for the default), or `refserver content
// --profile variant [--fault]`. It creates nothing. Its contract:
//
//   - Base path /market/v3. Paths below are relative to it and matched
//     exactly: a trailing slash, a doubled slash, an unknown path or one
//     outside the base answers 404 `Path not found`.
//   - Credentials: the key is the whole `Authorization` header value. Keys:
//     var-content-key-0001 (valid); var-content-susp-0002 (suspended);
//     var-content-elsewhere-0003 (bound to 198.51.100.9 only);
//     var-content-basic-0004 (valid, may not read reviews);
//     var-content-burst-0005 (5 requests a window). All but the elsewhere
//     key are accepted from any address. A missing, unknown, suspended or
//     unbound key answers 401 `Authorization failed: request from unknown IP
//     address {IP} or invalid key or key suspended or key missing`, {IP}
//     being the host part of the request's RemoteAddr as the server sees it
//     (127.0.0.1 or ::1 over loopback).
//   - Rate limit on every key: fixed windows of 1 second aligned to whole
//     seconds, 25 requests a window per key (5 for var-content-burst-0005);
//     every request past authentication counts. Over it: 403 `Rate limit
//     exceeded` with `Retry-After: 1` (seconds to the window's end, rounded
//     up, at least 1).
//   - Error bodies by the format query parameter, exactly "json" or "xml"
//     (absent or empty: JSON; any other value, "XML" included: 422
//     `Parameter 'format' format is incorrect. Incorrect value '{value}'.
//     Allowed values are: json, xml`, in JSON). JSON, Content-Type
//     `application/json`: {"errors":[{"message":"…"}]}. XML, Content-Type
//     `text/xml; charset=UTF-8`, single-quoted attributes, a quote inside a
//     value written &#39;, code the HTTP status:
//     <?xml version='1.0' encoding='UTF-8'?>\n<errors>\n  <error message='…' code='422'/>\n</errors>\n
//     with one error element a message. Success bodies follow format too.
//   - Routes, GET unless said:
//     /catalog/models/{id}: requires region; show optional. Model 4242
//     exists: 200 {"model":{"id":4242,"name":"Kettle K-42"}} plus, for each
//     show value, its lower-cased name with a string (price, photo, specs,
//     reviews); in XML <model id='4242' name='Kettle K-42'/>. Any other id:
//     404 `Model not found`; with Fault, id 13: 500 `Internal server error`.
//     /catalog/models/{id}/reviews: requires region; var-content-basic-0004
//     gets 403 `Forbidden resource`; 200 {"model_id":4242,"reviews":[]};
//     other ids as for the model (13 included).
//     /catalog/products/{id}: none exist, 404 `Product not found`.
//     /catalog/shops/{id}: none exist, 404 `Shop not found`.
//     /catalog/search: requires q and region; 200 {"models":[…]} of models
//     whose name holds q, case-insensitively (q=kettle finds 4242).
//     /catalog/models/lookup, POST: a body by Content-Type, JSON
//     (application/json) {"name":"…"} or XML (application/xml or text/xml)
//     <model name='…'/> (any root element with a name attribute); 200 as
//     search. Well-formed XML declared as JSON: 422 `Value 'xml' of
//     parameter 'body' is not supported`; well-formed JSON declared as XML:
//     422 `Value 'json' of parameter 'body' is not supported`; a body
//     well-formed in neither: 400 `Bad request`; another Content-Type: 422
//     `Value '{media type}' of parameter 'Content-Type' is not supported`;
//     no name: 422 `Required parameter 'name' is missing`.
//     Any other method on a route above: 405 `Request method '{method}'
//     not supported` (DELETE on a model, PUT on search, GET on lookup).
//   - Parameters: a required parameter missing or empty: 422 `Required
//     parameter '{name}' is missing`, one error per parameter in the order
//     listed (search with neither: q, then region). Then, on every route:
//     region, when given, must be a decimal integer (optional sign), else
//     422 `Parameter 'region' format is incorrect, expected INTEGER`; show,
//     when given, a comma list of PRICE, PHOTO, SPECS, REVIEWS, else for the
//     first other value X 422 `Parameter 'show' format is incorrect.
//     Unknown value 'X'. Allowed values are: PRICE, PHOTO, SPECS, REVIEWS`
//     (the page's example's wording, line 219, not its template's).
//     Successes are JSON whatever format asks: only error messages follow it.
//   - A query string that does not decode (a bad percent escape): 400 `Bad
//     request`, before authentication. A body over 1 MiB: 400 `Bad request`.
//     Abandoned requests leave the server answering; 499 is never sent.
//   - Order of checks: query and body (400), key (401), rate (403), format
//     value (422), routing (404, 405), the key's access (403 Forbidden
//     resource), required parameters (422), parameter formats (422), the
//     object (404, 500) or the body (422, 400).
package refserver

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/confsuite/apiconform/internal/refserver/serve"
)

// Deployment constants, mirrored by fixtures/content.yaml.
const (
	BasePath     = "/v2"
	FaultModelID = "500500"
	maxBodyBytes = 1 << 20
)

// AllowedFields are the values the fields parameter takes, as the page lists them.
var AllowedFields = []string{"MODEL_CATEGORY", "MODEL_DEFAULT_OFFER", "MODEL_MEDIA", "MODEL_OFFERS", "MODEL_PHOTO", "MODEL_PHOTOS", "MODEL_PRICE", "MODEL_RATING", "OFFER_DELIVERY", "OFFER_PHOTO"}

// Key is what an API key stands for.
type Key struct {
	Addresses  []string // client addresses the key was issued for; the variant reads "*" as any
	Suspended  bool
	NoOffers   bool // may not read offers
	RatePerMin int  // 0: unlimited (default profile)

	NoReviews     bool // may not read reviews (variant profile)
	RatePerSecond int  // 0: unlimited (variant profile)
}

// Seed is the deployment's initial state.
type Seed struct {
	Keys  map[string]Key
	Fault bool             // models/FaultModelID answers 500
	Now   func() time.Time // the rate windows' clock; nil is time.Now

	Profile string // "" or serve.ProfileDefault, or serve.ProfileVariant
}

var loopback = []string{"127.0.0.1", "::1"}

// DefaultSeed is the deployment fixtures/content.yaml describes.
func DefaultSeed() Seed {
	return Seed{Keys: map[string]Key{
		"content-key":           {Addresses: loopback},
		"content-suspended-key": {Addresses: loopback, Suspended: true},
		"content-unbound-key":   {Addresses: []string{"203.0.113.7"}},
		"content-limited-key":   {Addresses: loopback, NoOffers: true},
		"content-rate-key":      {Addresses: loopback, RatePerMin: 10},
	}}
}

type model struct {
	ID       string `json:"id" xml:"id,attr"`
	Name     string `json:"name" xml:"name,attr"`
	Category string `json:"category_id" xml:"category-id,attr"`
}

// Server is the reference implementation; it is an http.Handler.
type Server struct {
	mu         sync.Mutex
	keys       map[string]Key
	fault      bool
	variant    bool
	models     map[string]model
	offers     map[string]string // offer id -> model id
	categories map[string]string
	rate       *serve.Window
}

// New builds a server of the seed's profile: for the default a handful of
// models, offers and categories; for the variant one model. It panics on an
// unknown profile.
func New(seed Seed) *Server {
	switch seed.Profile {
	case "", serve.ProfileDefault:
	case serve.ProfileVariant:
		return &Server{keys: seed.Keys, fault: seed.Fault, variant: true, rate: serve.NewWindow(VariantRateWindow, seed.Now)}
	default:
		panic(fmt.Sprintf("content: unknown profile %q", seed.Profile))
	}
	return &Server{
		keys:  seed.Keys,
		fault: seed.Fault,
		models: map[string]model{
			"1722193751": {ID: "1722193751", Name: "Smartphone X 128 GB", Category: "91491"},
			"14206636":   {ID: "14206636", Name: "Laptop Pro 14", Category: "91013"},
		},
		offers:     map[string]string{"yDpJekrrgZGgH9PxGx2ozA": "1722193751"},
		categories: map[string]string{"91491": "Mobile phones", "91013": "Laptops"},
		rate:       serve.NewWindow(time.Minute, seed.Now),
	}
}

type apiError struct {
	code     int
	messages []string
}

func fail(code int, format string, args ...any) *apiError {
	return &apiError{code: code, messages: []string{fmt.Sprintf(format, args...)}}
}

type errorsXML struct {
	XMLName xml.Name   `xml:"errors"`
	Errors  []errorXML `xml:"error"`
}

type errorXML struct {
	Message string `xml:"message,attr"`
}

// write renders v, or the error envelope, in the request's format.
func write(w http.ResponseWriter, asXML bool, code int, v any, e *apiError) {
	if e != nil {
		code = e.code
		if asXML {
			env := errorsXML{}
			for _, m := range e.messages {
				env.Errors = append(env.Errors, errorXML{Message: m})
			}
			v = env
		} else {
			list := []map[string]string{}
			for _, m := range e.messages {
				list = append(list, map[string]string{"message": m})
			}
			v = map[string]any{"errors": list}
		}
	}
	if asXML {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, xml.Header)
		_ = xml.NewEncoder(w).Encode(v)
		return
	}
	serve.JSON(w, code, "application/json; charset=utf-8", v)
}

// ServeHTTP meets a request's checks in order: a query it can parse, the
// key and its address, suspension, rate, the resource and its method, the
// key's access, the parameters, and the object itself. The first failing
// check answers, as the page says processing stops at the first error.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.variant {
		s.serveVariant(w, r)
		return
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	asXML := strings.EqualFold(r.URL.Query().Get("format"), "xml")
	if err != nil {
		write(w, asXML, 0, nil, fail(http.StatusBadRequest, "Bad request"))
		return
	}
	body, err := serve.ReadBody(w, r, maxBodyBytes)
	if err != nil {
		write(w, asXML, 0, nil, fail(http.StatusBadRequest, "Bad request"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	code, v, apiErr := s.serve(w, r, query, body)
	write(w, asXML, code, v, apiErr)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, q url.Values, body []byte) (int, any, *apiError) {
	key, e := s.authenticate(w, r)
	if e != nil {
		return 0, nil, e
	}
	if f := q.Get("format"); f != "" && !strings.EqualFold(f, "json") && !strings.EqualFold(f, "xml") {
		return 0, nil, fail(http.StatusUnprocessableEntity, "Parameter 'format' format is incorrect. Incorrect value '%s'. Allowed values are: JSON, XML", f)
	}
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, BasePath), "/"), "/")
	rt, _, code := routes.Find(r.Method, parts)
	if code == http.StatusNotFound || !strings.HasPrefix(r.URL.Path, BasePath+"/") {
		return 0, nil, fail(http.StatusNotFound, "Resource not found")
	}
	if code == http.StatusMethodNotAllowed {
		return 0, nil, fail(http.StatusMethodNotAllowed, "Request method '%s' not supported", r.Method)
	}
	if rt.offers && key.NoOffers {
		return 0, nil, fail(http.StatusForbidden, "Forbidden resource")
	}
	var missing []string
	for _, p := range rt.required {
		if q.Get(p) == "" {
			missing = append(missing, fmt.Sprintf("Required parameter '%s' is missing", p))
		}
	}
	if len(missing) > 0 {
		return 0, nil, &apiError{code: http.StatusUnprocessableEntity, messages: missing}
	}
	if e := checkParams(q); e != nil {
		return 0, nil, e
	}
	return rt.handle(s, parts, r, body)
}

// authenticate finds the request's key, bound to the request's address
// ("*": any), and counts it against its rate: a minute's for the default
// profile, a second's (with Retry-After) for the variant.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (Key, *apiError) {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	raw := r.Header.Get("Authorization")
	key, known := s.keys[raw]
	bound := false
	for _, a := range key.Addresses {
		bound = bound || a == "*" || a == ip
	}
	if raw == "" || !known || key.Suspended || !bound {
		return Key{}, fail(http.StatusUnauthorized, "Authorization failed: request from unknown IP address %s or invalid key or key suspended or key missing", ip)
	}
	limit := key.RatePerMin
	if s.variant {
		limit = key.RatePerSecond
	}
	if ok, after := s.rate.Hit(raw, limit); !ok {
		if s.variant {
			w.Header().Set("Retry-After", strconv.Itoa(after))
		}
		return Key{}, fail(http.StatusForbidden, "Rate limit exceeded")
	}
	return key, nil
}

func checkParams(q url.Values) *apiError {
	if g := q.Get("geo_id"); g != "" {
		if _, err := strconv.Atoi(g); err != nil {
			return fail(http.StatusUnprocessableEntity, "Parameter 'geo_id' format is incorrect, expected INTEGER NUMBER")
		}
	}
	if f := q.Get("fields"); f != "" {
		for _, v := range strings.Split(f, ",") {
			if !contains(AllowedFields, v) {
				return fail(http.StatusUnprocessableEntity, "Parameter 'fields' format is incorrect. Incorrect value '%s'. Allowed values are: %s", v, strings.Join(AllowedFields, ", "))
			}
		}
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

type route struct {
	required []string
	offers   bool
	handle   func(s *Server, parts []string, r *http.Request, body []byte) (int, any, *apiError)
}

var routes = serve.NewTable(
	serve.Route[route]{Pattern: "models/match", Methods: map[string]route{"POST": {handle: matchModels}}},
	serve.Route[route]{Pattern: "models/*", Methods: map[string]route{"GET": {required: []string{"geo_id"}, handle: getModel}}},
	serve.Route[route]{Pattern: "models/*/offers", Methods: map[string]route{"GET": {required: []string{"geo_id"}, offers: true, handle: getModelOffers}}},
	serve.Route[route]{Pattern: "offers/*", Methods: map[string]route{"GET": {required: []string{"geo_id"}, offers: true, handle: getOffer}}},
	serve.Route[route]{Pattern: "categories/*", Methods: map[string]route{"GET": {required: []string{"geo_id"}, handle: getCategory}}},
	serve.Route[route]{Pattern: "search", Methods: map[string]route{"GET": {required: []string{"text", "geo_id"}, handle: search}}},
)

func (s *Server) model(id string) (model, *apiError) {
	if s.fault && id == FaultModelID {
		return model{}, fail(http.StatusInternalServerError, "Internal server error")
	}
	m, ok := s.models[id]
	if !ok {
		return model{}, fail(http.StatusNotFound, "Model not found")
	}
	return m, nil
}

type modelXML struct {
	XMLName xml.Name `xml:"model"`
	model
}

func getModel(s *Server, parts []string, r *http.Request, _ []byte) (int, any, *apiError) {
	m, e := s.model(parts[1])
	if e != nil {
		return 0, nil, e
	}
	if strings.EqualFold(r.URL.Query().Get("format"), "xml") {
		return http.StatusOK, modelXML{model: m}, nil
	}
	return http.StatusOK, map[string]any{"model": m}, nil
}

type offersXML struct {
	XMLName xml.Name `xml:"offers"`
	Offers  []string `xml:"offer"`
}

func getModelOffers(s *Server, parts []string, r *http.Request, _ []byte) (int, any, *apiError) {
	if _, e := s.model(parts[1]); e != nil {
		return 0, nil, e
	}
	var ids []string
	for id, m := range s.offers {
		if m == parts[1] {
			ids = append(ids, id)
		}
	}
	if strings.EqualFold(r.URL.Query().Get("format"), "xml") {
		return http.StatusOK, offersXML{Offers: ids}, nil
	}
	return http.StatusOK, map[string]any{"offers": ids}, nil
}

func getOffer(s *Server, parts []string, r *http.Request, _ []byte) (int, any, *apiError) {
	m, ok := s.offers[parts[1]]
	if !ok {
		return 0, nil, fail(http.StatusNotFound, "Offer not found")
	}
	if strings.EqualFold(r.URL.Query().Get("format"), "xml") {
		return http.StatusOK, offersXML{Offers: []string{parts[1]}}, nil
	}
	return http.StatusOK, map[string]any{"offer": map[string]string{"id": parts[1], "model_id": m}}, nil
}

type categoryXML struct {
	XMLName xml.Name `xml:"category"`
	ID      string   `xml:"id,attr"`
	Name    string   `xml:"name,attr"`
}

func getCategory(s *Server, parts []string, r *http.Request, _ []byte) (int, any, *apiError) {
	name, ok := s.categories[parts[1]]
	if !ok {
		return 0, nil, fail(http.StatusNotFound, "Category not found")
	}
	if strings.EqualFold(r.URL.Query().Get("format"), "xml") {
		return http.StatusOK, categoryXML{ID: parts[1], Name: name}, nil
	}
	return http.StatusOK, map[string]any{"category": map[string]string{"id": parts[1], "name": name}}, nil
}

type searchXML struct {
	XMLName xml.Name `xml:"search"`
	Models  []model  `xml:"model"`
}

func search(s *Server, _ []string, r *http.Request, _ []byte) (int, any, *apiError) {
	text := strings.ToLower(r.URL.Query().Get("text"))
	var found []model
	for _, m := range s.models {
		if strings.Contains(strings.ToLower(m.Name), text) {
			found = append(found, m)
		}
	}
	if strings.EqualFold(r.URL.Query().Get("format"), "xml") {
		return http.StatusOK, searchXML{Models: found}, nil
	}
	return http.StatusOK, map[string]any{"models": found}, nil
}

// matchModels takes {"name": "..."} as JSON, or <model name="..."/> as XML,
// whichever Content-Type declares. A body in the other syntax than the one
// declared is refused naming the declared type (docs/decisions.md).
func matchModels(s *Server, _ []string, r *http.Request, body []byte) (int, any, *apiError) {
	declared, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	notSupported := fail(http.StatusUnprocessableEntity, "Value '%s' of parameter 'Content-Type' is not supported", declared)
	var name string
	switch declared {
	case "application/json":
		var in struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(body, &in) != nil {
			return 0, nil, notSupported
		}
		name = in.Name
	case "application/xml", "text/xml":
		var in struct {
			Name string `xml:"name,attr"`
		}
		dec := xml.NewDecoder(bytes.NewReader(body))
		if dec.Decode(&in) != nil {
			return 0, nil, notSupported
		}
		name = in.Name
	default:
		return 0, nil, notSupported
	}
	if name == "" {
		return 0, nil, fail(http.StatusUnprocessableEntity, "Required parameter 'name' is missing")
	}
	var found []model
	for _, m := range s.models {
		if strings.Contains(strings.ToLower(m.Name), strings.ToLower(name)) {
			found = append(found, m)
		}
	}
	if strings.EqualFold(r.URL.Query().Get("format"), "xml") {
		return http.StatusOK, searchXML{Models: found}, nil
	}
	return http.StatusOK, map[string]any{"models": found}, nil
}
