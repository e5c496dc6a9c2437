// Package content is an in-memory reference implementation of the Content API
// as its error-messages page documents it (004_f3934047545fb061.txt): API
// keys bound to client addresses, a suspended key, a key without access to
// offers, per-key rate limits; models, offers and categories; required and
// typed query parameters; a resource that takes a JSON or XML body; errors
// in JSON or XML by the format parameter. With Fault set, one model id
// answers 500, so the documented 500 can be provoked on purpose.
package content

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

	Profile string // "" or ProfileDefault, or ProfileVariant
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
	case "", ProfileDefault:
	case ProfileVariant:
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
	code, v, apiErr := s.serve(r, query, body)
	write(w, asXML, code, v, apiErr)
}

func (s *Server) serve(r *http.Request, q url.Values, body []byte) (int, any, *apiError) {
	key, e := s.authenticate(r)
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

func (s *Server) authenticate(r *http.Request) (Key, *apiError) {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	raw := r.Header.Get("Authorization")
	key, known := s.keys[raw]
	bound := false
	for _, a := range key.Addresses {
		bound = bound || a == ip
	}
	if raw == "" || !known || key.Suspended || !bound {
		return Key{}, fail(http.StatusUnauthorized, "Authorization failed: request from unknown IP address %s or invalid key or key suspended or key missing", ip)
	}
	if ok, _ := s.rate.Hit(raw, key.RatePerMin); !ok {
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
