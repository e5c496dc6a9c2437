package check

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Bounds on any XML body the suite reads: a hostile body must cost little.
const (
	maxXMLDepth    = 64
	maxXMLElements = 10000
	maxXMLErrors   = 1000
)

// walkXML reads body token by token, strictly, and calls start for every
// element and text for all text inside the root element. It tolerates what
// XML 1.0 allows around the root: a UTF-8 byte order mark at the very start
// (§4.3.3), an XML declaration right after it (version 1.0, encoding UTF-8 in
// any case, standalone), comments and whitespace before and after the root.
// It refuses what XML forbids and encoding/xml lets through: a declaration
// anywhere else or malformed, a duplicated attribute, anything but XML
// whitespace outside the root. And it refuses, by the suite's own decision,
// a DOCTYPE or any other directive (so no entity is ever declared or
// expanded), other processing instructions, a second root, and depth or
// element counts past the bounds. Token() checks that end tags match;
// RawToken() would not.
func walkXML(body []byte, start func(e xml.StartElement, depth int) error, text func(t string, depth int) error) error {
	body = bytes.TrimPrefix(body, []byte(utf8BOM)) // only one, only at the start
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	depth, elements, roots := 0, 0, 0
	for first := true; ; first = false {
		from := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			switch {
			case t.Target != "xml":
				return fmt.Errorf("processing instruction <?%s?> is not allowed", t.Target)
			case !first:
				return fmt.Errorf("not well-formed XML: the XML declaration must come first in the body, with nothing before it (not even whitespace)")
			case !xmlDeclaration.Match(t.Inst):
				return fmt.Errorf("not well-formed XML: XML declaration <?xml %s?>: want version=\"1.0\", then optionally encoding and standalone, in that order", excerpt(string(t.Inst)))
			}
		case xml.Directive:
			return fmt.Errorf("directive <!%s> is not allowed: an answer declares no DOCTYPE or entities", firstWord(t))
		case xml.CharData:
			if depth > 0 {
				if err := text(string(t), depth); err != nil {
					return err
				}
			} else if raw := body[from:dec.InputOffset()]; !isXMLSpace(string(raw)) {
				// The raw bytes, so that a character reference or a CDATA
				// section, which XML allows only inside the root, is refused.
				return fmt.Errorf("text %q outside the root element", excerpt(string(raw)))
			}
		case xml.StartElement:
			depth++
			elements++
			switch {
			case depth == 1 && roots == 1:
				return fmt.Errorf("a second root element <%s>", t.Name.Local)
			case depth > maxXMLDepth:
				return fmt.Errorf("XML nested more than %d levels deep", maxXMLDepth)
			case elements > maxXMLElements:
				return fmt.Errorf("more than %d XML elements", maxXMLElements)
			}
			if err := uniqueAttributes(t); err != nil {
				return err
			}
			if depth == 1 {
				roots++
			}
			if err := start(t, depth); err != nil {
				return err
			}
		case xml.EndElement:
			depth--
		}
	}
	if roots == 0 {
		return fmt.Errorf("no root element")
	}
	return nil
}

// xmlDeclaration is the grammar of XML 1.0's XMLDecl (§2.8) after "<?xml ":
// encoding/xml checks only the version and the encoding's value. The
// encoding's value is left to encoding/xml, which refuses all but UTF-8.
var xmlDeclaration = regexp.MustCompile(`^version[ \t\r\n]*=[ \t\r\n]*(?:"1\.0"|'1\.0')` +
	`(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:"[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?` +
	`(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\r\n]*$`)

// isXMLSpace reports whether s is only XML whitespace (§2.3 S: space, tab,
// CR, LF), narrower than unicode.IsSpace.
func isXMLSpace(s string) bool {
	return strings.Trim(s, " \t\r\n") == ""
}

// uniqueAttributes refuses an element carrying the same attribute twice, which
// XML forbids (§3.1, and Namespaces §6.3 for two prefixes bound to one
// namespace) and encoding/xml accepts. A map past a few attributes, so that
// an element with thousands of them costs little.
func uniqueAttributes(e xml.StartElement) error {
	var seen map[xml.Name]bool
	if len(e.Attr) > 8 {
		seen = make(map[xml.Name]bool, len(e.Attr))
	}
	for i, a := range e.Attr {
		dup := false
		if seen != nil {
			dup, seen[a.Name] = seen[a.Name], true
		} else {
			for _, b := range e.Attr[:i] {
				dup = dup || a.Name == b.Name
			}
		}
		if dup {
			name := a.Name.Local
			if a.Name.Space != "" {
				name = "{" + a.Name.Space + "}" + name
			}
			return fmt.Errorf("not well-formed XML: element <%s> has the attribute %q twice", e.Name.Local, name)
		}
	}
	return nil
}

// WellFormedXML checks any XML answer, such as a success body.
func WellFormedXML(body []byte) error {
	return walkXML(body, func(xml.StartElement, int) error { return nil }, func(string, int) error { return nil })
}

// ParseXMLErrors reads the Content API's XML envelope and returns the message
// of each error element, in order. It accepts exactly the shape of
// schemas/content-errors.xsd:
//
//	<errors><error message="…"/>…</errors>
//
// with extra attributes and whitespace between elements tolerated; it
// refuses namespaces, text (even blank, inside the empty <error>), and any
// element other than those two.
func ParseXMLErrors(body []byte) ([]string, error) {
	var messages []string
	err := walkXML(body, func(e xml.StartElement, depth int) error {
		if e.Name.Space != "" {
			return fmt.Errorf("element <%s> is in namespace %q; the envelope uses none", e.Name.Local, e.Name.Space)
		}
		switch {
		case depth == 1 && e.Name.Local != "errors":
			return fmt.Errorf("root element is <%s>, want <errors>", e.Name.Local)
		case depth == 2 && e.Name.Local != "error":
			return fmt.Errorf("<errors> holds <%s>, want only <error> elements", e.Name.Local)
		case depth > 2:
			return fmt.Errorf("<error> holds <%s>, want an empty element", e.Name.Local)
		case depth == 2:
			msg, ok := attr(e, "message")
			switch {
			case !ok:
				return fmt.Errorf("<error> element %d has no message attribute", len(messages)+1)
			case msg == "":
				return fmt.Errorf("<error> element %d has an empty message attribute", len(messages)+1)
			case len(messages) == maxXMLErrors:
				return fmt.Errorf("more than %d <error> elements", maxXMLErrors)
			}
			messages = append(messages, msg)
		}
		return nil
	}, func(t string, depth int) error {
		if depth == 1 && isXMLSpace(t) {
			return nil
		}
		return fmt.Errorf("text %q is not allowed: messages belong in the message attribute, and <error> is empty", excerpt(t))
	})
	if err != nil {
		return nil, err
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
