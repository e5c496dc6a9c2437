// Package mutant rewrites a server's answers on their way out: how a
// self-test breaks one documented rule in a reference server (a mutant,
// suite.Mutant) or reshapes its answers in a way the page allows (a
// correct variant), without a second implementation of the server.
package mutant

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
)

// Request is what a change may ask of the request an answer is for.
type Request struct {
	Method string
	Path   string
	Query  string // the raw query
}

// Response is an answer before it is sent, for a change to rewrite.
type Response struct {
	Code   int
	Header http.Header
	Body   []byte
	// Raw sends the answer as bytes on the connection, body and all, even
	// where HTTP allows none (a 204, a 304, an answer to HEAD), which
	// net/http refuses to send; the connection stays open for the next
	// request. RawLength adds a Content-Length of the body.
	Raw, RawLength bool
}

// Rewrite wraps h in a layer that lets change rewrite each of its answers.
func Rewrite(h http.Handler, change func(Request, *Response)) http.Handler {
	answer := func(r *http.Request) *Response {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		resp := &Response{Code: rec.Code, Header: rec.Header().Clone(), Body: rec.Body.Bytes()}
		change(Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery}, resp)
		return resp
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp := answer(r)
		if resp.Raw {
			serveRaw(w, r, resp, answer)
			return
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(resp.Code)
		_, _ = w.Write(resp.Body)
	})
}

// serveRaw takes the connection over, writes resp as bytes, and answers
// every later request on it the same way, as a server that keeps the
// connection alive would.
func serveRaw(w http.ResponseWriter, r *http.Request, resp *Response, answer func(*http.Request) *Response) {
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	method := r.Method
	for {
		var b bytes.Buffer
		fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", resp.Code, http.StatusText(resp.Code))
		resp.Header.Del("Content-Length")
		_ = resp.Header.Write(&b)
		bodiless := method == http.MethodHead || resp.Code == 204 || resp.Code == 304
		if !bodiless || resp.RawLength {
			fmt.Fprintf(&b, "Content-Length: %d\r\n", len(resp.Body))
		}
		b.WriteString("\r\n")
		if !bodiless || resp.Raw {
			b.Write(resp.Body)
		}
		if _, err := conn.Write(b.Bytes()); err != nil {
			return
		}
		next, err := http.ReadRequest(rw.Reader)
		if err != nil {
			return
		}
		next.RemoteAddr = r.RemoteAddr
		resp = answer(next)
		_, _ = io.Copy(io.Discard, next.Body)
		method = next.Method
	}
}

// JSONField reads a top-level string field of a JSON object body.
func JSONField(body []byte, field string) (string, bool) {
	var obj map[string]any
	if json.Unmarshal(body, &obj) != nil {
		return "", false
	}
	v, ok := obj[field].(string)
	return v, ok
}

// SetJSONField sets a top-level field of a JSON object body, or removes it
// when value is nil; a body that is not a JSON object stays as it is.
func SetJSONField(resp *Response, field string, value any) {
	var obj map[string]any
	if json.Unmarshal(resp.Body, &obj) != nil {
		return
	}
	if value == nil {
		delete(obj, field)
	} else {
		obj[field] = value
	}
	resp.Body, _ = json.Marshal(obj)
}
