package check

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxXMLErrors bounds how many error elements an envelope may hold before the
// suite stops reading: a hostile body must cost little.
const maxXMLErrors = 1000

// ParseXMLErrors reads the Content API's XML envelope and returns the message
// of each error element, in order. It accepts exactly the shape of
// schemas/content-errors.xsd:
//
//	<errors><error message="…"/>…</errors>
//
// tolerating an XML declaration, comments, whitespace between elements, and
// extra attributes; refusing a DOCTYPE (so no entity is ever declared or
// expanded), other processing instructions, namespaces, text, and any other
// element. It reads tokens one at a time and stops at the first problem, so
// depth and size never grow past the envelope's own two levels.
func ParseXMLErrors(body []byte) ([]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	var (
		messages []string
		depth    int
		sawRoot  bool
	)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target != "xml" || sawRoot || depth > 0 {
				return nil, fmt.Errorf("processing instruction <?%s?> is not allowed", t.Target)
			}
		case xml.Directive:
			return nil, fmt.Errorf("directive <!%s> is not allowed: an error envelope declares no DOCTYPE or entities", firstWord(t))
		case xml.Comment:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, fmt.Errorf("text %q is not allowed: messages belong in the message attribute", excerpt(string(t)))
			}
		case xml.StartElement:
			if t.Name.Space != "" {
				return nil, fmt.Errorf("element <%s> is in namespace %q; the envelope uses none", t.Name.Local, t.Name.Space)
			}
			depth++
			switch {
			case depth == 1 && sawRoot:
				return nil, fmt.Errorf("a second root element <%s>", t.Name.Local)
			case depth == 1 && t.Name.Local != "errors":
				return nil, fmt.Errorf("root element is <%s>, want <errors>", t.Name.Local)
			case depth == 1:
				sawRoot = true
			case depth == 2 && t.Name.Local != "error":
				return nil, fmt.Errorf("<errors> holds <%s>, want only <error> elements", t.Name.Local)
			case depth == 2:
				msg, ok := attr(t, "message")
				if !ok {
					return nil, fmt.Errorf("<error> element %d has no message attribute", len(messages)+1)
				}
				if msg == "" {
					return nil, fmt.Errorf("<error> element %d has an empty message attribute", len(messages)+1)
				}
				if len(messages) == maxXMLErrors {
					return nil, fmt.Errorf("more than %d <error> elements", maxXMLErrors)
				}
				messages = append(messages, msg)
			default:
				return nil, fmt.Errorf("<error> holds <%s>, want an empty element", t.Name.Local)
			}
		case xml.EndElement:
			depth--
		}
	}
	if !sawRoot {
		return nil, fmt.Errorf("no root element")
	}
	if len(messages) == 0 {
		return nil, fmt.Errorf("<errors> holds no <error> element")
	}
	return messages, nil
}

func attr(e xml.StartElement, name string) (string, bool) {
	for _, a := range e.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func firstWord(d xml.Directive) string {
	s := strings.TrimSpace(string(d))
	if i := strings.IndexAny(s, " \t\r\n["); i > 0 {
		return s[:i]
	}
	return excerpt(s)
}

func excerpt(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
