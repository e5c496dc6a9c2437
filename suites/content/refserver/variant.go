package refserver

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/confsuite/apiconform/internal/refserver/serve"
)

// The variant deployment's constants.
const (
	VariantBasePath     = "/market/v3"
	VariantFaultModelID = "13"
	VariantRateWindow   = time.Second
	variantXMLType      = "text/xml; charset=UTF-8"
	variantXMLHeader    = "<?xml version='1.0' encoding='UTF-8'?>\n"
)

// VariantShow are the values the variant's show parameter takes, in the
// order its message lists them.
var VariantShow = []string{"PRICE", "PHOTO", "SPECS", "REVIEWS"}

// VariantSeed is the variant deployment the package comment describes.
func VariantSeed() Seed {
	anywhere := []string{"*"}
	return Seed{Profile: serve.ProfileVariant, Keys: map[string]Key{
		"var-content-key-0001":       {Addresses: anywhere, RatePerSecond: 25},
		"var-content-susp-0002":      {Addresses: anywhere, Suspended: true, RatePerSecond: 25},
		"var-content-elsewhere-0003": {Addresses: []string{"198.51.100.9"}, RatePerSecond: 25},
		"var-content-basic-0004":     {Addresses: anywhere, NoReviews: true, RatePerSecond: 25},
		"var-content-burst-0005":     {Addresses: anywhere, RatePerSecond: 5},
	}}
}

type vmodel struct {
	ID    int
	Name  string
	Extra map[string]string // by show value
}

var variantModels = map[string]vmodel{
	"4242": {ID: 4242, Name: "Kettle K-42", Extra: map[string]string{
		"PRICE": "1999", "PHOTO": "/img/4242.jpg", "SPECS": "1.7 l, 2200 W", "REVIEWS": "0",
	}},
}

// xmlAttrs writes name='value' pairs, escaped for single quotes.
func xmlAttrs(b *strings.Builder, kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString(" " + kv[i] + "='")
		_ = xml.EscapeText(b, []byte(kv[i+1])) // escapes & < > ' " and control characters
		b.WriteString("'")
	}
}

// vbody is a success body, ready in both syntaxes.
type vbody struct {
	json any
	xml  string // without the declaration
}

func (m vmodel) body(show []string) (map[string]any, []string) {
	j := map[string]any{"id": m.ID, "name": m.Name}
	kv := []string{"id", strconv.Itoa(m.ID), "name", m.Name}
	for _, v := range show {
		j[strings.ToLower(v)] = m.Extra[v]
		kv = append(kv, strings.ToLower(v), m.Extra[v])
	}
	return j, kv
}

func modelsBody(found []vmodel) vbody {
	var b strings.Builder
	list := []map[string]any{}
	b.WriteString("<models>\n")
	for _, m := range found {
		j, kv := m.body(nil)
		list = append(list, j)
		b.WriteString("  <model")
		xmlAttrs(&b, kv...)
		b.WriteString("/>\n")
	}
	b.WriteString("</models>\n")
	return vbody{json: map[string]any{"models": list}, xml: b.String()}
}

func writeVariant(w http.ResponseWriter, asXML bool, code int, v vbody, e *apiError) {
	if e != nil {
		code = e.code
		var b strings.Builder
		list := []map[string]string{}
		b.WriteString("<errors>\n")
		for _, m := range e.messages {
			list = append(list, map[string]string{"message": m})
			b.WriteString("  <error")
			xmlAttrs(&b, "message", m, "code", strconv.Itoa(code))
			b.WriteString("/>\n")
		}
		b.WriteString("</errors>\n")
		v = vbody{json: map[string]any{"errors": list}, xml: b.String()}
	}
	// Only error messages follow the format parameter (the page says no
	// more): a success is JSON whatever format asks.
	if !asXML || e == nil {
		serve.JSON(w, code, serve.JSONType, v.json)
		return
	}
	w.Header().Set("Content-Type", variantXMLType)
	w.WriteHeader(code)
	_, _ = io.WriteString(w, variantXMLHeader+v.xml)
}

type vroute struct {
	required []string
	reviews  bool
	handle   func(s *Server, args []string, r *http.Request, q url.Values, body []byte) (int, vbody, *apiError)
}

var variantRoutes = serve.NewTable(
	serve.Route[vroute]{Pattern: "catalog/models/lookup", Methods: map[string]vroute{"POST": {handle: vLookup}}},
	serve.Route[vroute]{Pattern: "catalog/models/*", Methods: map[string]vroute{"GET": {required: []string{"region"}, handle: vGetModel}}},
	serve.Route[vroute]{Pattern: "catalog/models/*/reviews", Methods: map[string]vroute{"GET": {required: []string{"region"}, reviews: true, handle: vGetReviews}}},
	serve.Route[vroute]{Pattern: "catalog/products/*", Methods: map[string]vroute{"GET": {handle: notFound("Product")}}},
	serve.Route[vroute]{Pattern: "catalog/shops/*", Methods: map[string]vroute{"GET": {handle: notFound("Shop")}}},
	serve.Route[vroute]{Pattern: "catalog/search", Methods: map[string]vroute{"GET": {required: []string{"q", "region"}, handle: vSearch}}},
)

// serveVariant meets a request's checks in order: a query it can parse and
// a body it can read, the key and its address, suspension, rate, the format
// parameter, the resource and its method, the key's access, the required
// parameters, their formats, and the object itself.
func (s *Server) serveVariant(w http.ResponseWriter, r *http.Request) {
	asXML := r.URL.Query().Get("format") == "xml"
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeVariant(w, asXML, 0, vbody{}, fail(http.StatusBadRequest, "Bad request"))
		return
	}
	body, err := serve.ReadBody(w, r, maxBodyBytes)
	if err != nil {
		writeVariant(w, asXML, 0, vbody{}, fail(http.StatusBadRequest, "Bad request"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	code, v, e := s.variantCall(w, r, q, body)
	writeVariant(w, asXML, code, v, e)
}

func (s *Server) variantCall(w http.ResponseWriter, r *http.Request, q url.Values, body []byte) (int, vbody, *apiError) {
	key, e := s.authenticate(w, r)
	if e != nil {
		return 0, vbody{}, e
	}
	if f := q.Get("format"); f != "" && f != "json" && f != "xml" {
		return 0, vbody{}, fail(http.StatusUnprocessableEntity, "Parameter 'format' format is incorrect. Incorrect value '%s'. Allowed values are: json, xml", f)
	}
	segs, ok := serve.Split(r.URL.Path, VariantBasePath)
	if !ok {
		return 0, vbody{}, fail(http.StatusNotFound, "Path not found")
	}
	rt, args, code := variantRoutes.Find(r.Method, segs)
	switch code {
	case http.StatusNotFound:
		return 0, vbody{}, fail(http.StatusNotFound, "Path not found")
	case http.StatusMethodNotAllowed:
		return 0, vbody{}, fail(http.StatusMethodNotAllowed, "Request method '%s' not supported", r.Method)
	}
	if rt.reviews && key.NoReviews {
		return 0, vbody{}, fail(http.StatusForbidden, "Forbidden resource")
	}
	var missing []string
	for _, p := range rt.required {
		if q.Get(p) == "" {
			missing = append(missing, fmt.Sprintf("Required parameter '%s' is missing", p))
		}
	}
	if len(missing) > 0 {
		return 0, vbody{}, &apiError{code: http.StatusUnprocessableEntity, messages: missing}
	}
	if g := q.Get("region"); g != "" {
		if _, err := strconv.Atoi(g); err != nil {
			return 0, vbody{}, fail(http.StatusUnprocessableEntity, "Parameter 'region' format is incorrect, expected INTEGER")
		}
	}
	if _, e := showValues(q); e != nil {
		return 0, vbody{}, e
	}
	return rt.handle(s, args, r, q, body)
}

func showValues(q url.Values) ([]string, *apiError) {
	f := q.Get("show")
	if f == "" {
		return nil, nil
	}
	vals := strings.Split(f, ",")
	for _, v := range vals {
		if !contains(VariantShow, v) {
			// The page's example's wording (line 219), not its template's.
			return nil, fail(http.StatusUnprocessableEntity, "Parameter 'show' format is incorrect. Unknown value '%s'. Allowed values are: %s", v, strings.Join(VariantShow, ", "))
		}
	}
	return vals, nil
}

func (s *Server) vmodel(id string) (vmodel, *apiError) {
	if s.fault && id == VariantFaultModelID {
		return vmodel{}, fail(http.StatusInternalServerError, "Internal server error")
	}
	m, ok := variantModels[id]
	if !ok {
		return vmodel{}, fail(http.StatusNotFound, "Model not found")
	}
	return m, nil
}

func vGetModel(s *Server, args []string, _ *http.Request, q url.Values, _ []byte) (int, vbody, *apiError) {
	m, e := s.vmodel(args[0])
	if e != nil {
		return 0, vbody{}, e
	}
	show, _ := showValues(q)
	j, kv := m.body(show)
	var b strings.Builder
	b.WriteString("<model")
	xmlAttrs(&b, kv...)
	b.WriteString("/>\n")
	return http.StatusOK, vbody{json: map[string]any{"model": j}, xml: b.String()}, nil
}

func vGetReviews(s *Server, args []string, _ *http.Request, _ url.Values, _ []byte) (int, vbody, *apiError) {
	m, e := s.vmodel(args[0])
	if e != nil {
		return 0, vbody{}, e
	}
	return http.StatusOK, vbody{json: map[string]any{"model_id": m.ID, "reviews": []string{}},
		xml: fmt.Sprintf("<reviews model_id='%d'/>\n", m.ID)}, nil
}

func notFound(object string) func(*Server, []string, *http.Request, url.Values, []byte) (int, vbody, *apiError) {
	return func(*Server, []string, *http.Request, url.Values, []byte) (int, vbody, *apiError) {
		return 0, vbody{}, fail(http.StatusNotFound, "%s not found", object)
	}
}

func findModels(name string) []vmodel {
	var found []vmodel
	for _, m := range variantModels {
		if strings.Contains(strings.ToLower(m.Name), strings.ToLower(name)) {
			found = append(found, m)
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].ID < found[j].ID })
	return found
}

func vSearch(_ *Server, _ []string, _ *http.Request, q url.Values, _ []byte) (int, vbody, *apiError) {
	return http.StatusOK, modelsBody(findModels(q.Get("q"))), nil
}

// wellFormedXML reports whether body is one well-formed XML document.
func wellFormedXML(body []byte) bool {
	dec := xml.NewDecoder(bytes.NewReader(body))
	elements := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return elements > 0
		}
		if err != nil {
			return false
		}
		if _, ok := tok.(xml.StartElement); ok {
			elements++
		}
	}
}

// vLookup takes {"name": "..."} as JSON, or an element with a name
// attribute (<model name="..."/>) as XML, whichever Content-Type declares.
// A body well-formed in the other syntax is refused naming the syntax sent.
func vLookup(_ *Server, _ []string, r *http.Request, _ url.Values, body []byte) (int, vbody, *apiError) {
	declared, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	isJSON, isXML := json.Valid(body), wellFormedXML(body)
	var name string
	switch declared {
	case "application/json":
		if !isJSON {
			if isXML {
				return 0, vbody{}, fail(http.StatusUnprocessableEntity, "Value 'xml' of parameter 'body' is not supported")
			}
			return 0, vbody{}, fail(http.StatusBadRequest, "Bad request")
		}
		var in struct {
			Name any `json:"name"`
		}
		_ = json.Unmarshal(body, &in)
		name, _ = in.Name.(string)
	case "application/xml", "text/xml":
		if !isXML {
			if isJSON {
				return 0, vbody{}, fail(http.StatusUnprocessableEntity, "Value 'json' of parameter 'body' is not supported")
			}
			return 0, vbody{}, fail(http.StatusBadRequest, "Bad request")
		}
		var in struct {
			Name string `xml:"name,attr"`
		}
		_ = xml.Unmarshal(body, &in)
		name = in.Name
	default:
		return 0, vbody{}, fail(http.StatusUnprocessableEntity, "Value '%s' of parameter 'Content-Type' is not supported", declared)
	}
	if name == "" {
		return 0, vbody{}, fail(http.StatusUnprocessableEntity, "Required parameter 'name' is missing")
	}
	return http.StatusOK, modelsBody(findModels(name)), nil
}
