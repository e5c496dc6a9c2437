package check

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Bodies on which the suite's own XML check and schemas/content-errors.xsd
// must agree.
var xmlBodies = map[string]struct {
	body string
	good bool
}{
	"one error":                  {`<errors><error message="Bad request"/></errors>`, true},
	"two errors":                 {`<errors><error message="a"/><error message="b"/></errors>`, true},
	"declaration and whitespace": {"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<errors>\n  <error message=\"a\"/>\n</errors>\n", true},
	"single-quoted attribute":    {`<errors><error message='a'/></errors>`, true},
	"extra attribute":            {`<errors count="1"><error code="7" message="a"/></errors>`, true},
	"comment":                    {`<errors><!-- c --><error message="a"><!-- d --></error></errors>`, true},
	"explicit end tag":           {`<errors><error message="a"></error></errors>`, true},
	"escaped characters":         {`<errors><error message="Value &apos;1&apos; &amp; &lt;2&gt;"/></errors>`, true},
	"blank message":              {`<errors><error message=" "/></errors>`, true},
	"wrong root":                 {`<error-list><error message="a"/></error-list>`, false},
	"no error":                   {`<errors></errors>`, false},
	"empty message":              {`<errors><error message=""/></errors>`, false},
	"no message attribute":       {`<errors><error/></errors>`, false},
	"text instead of attribute":  {`<errors><error>a</error></errors>`, false},
	"blank text inside error":    {`<errors><error message="a"> </error></errors>`, false},
	"text beside errors":         {`<errors>oops<error message="a"/></errors>`, false},
	"other child":                {`<errors><warning message="a"/></errors>`, false},
	"nested element":             {`<errors><error message="a"><detail/></error></errors>`, false},
	"namespaced root":            {`<errors xmlns="urn:x"><error message="a"/></errors>`, false},
	"not well-formed":            {`<errors><error message="a"></errors>`, false},
	"unclosed":                   {`<errors><error message="a"/>`, false},
	"JSON":                       {`{"errors":[{"message":"a"}]}`, false},
	"empty":                      {``, false},
	// What XML 1.0 allows around the root and encoding/xml trips on, or
	// forbids and encoding/xml lets through.
	"byte order mark":                  {"\ufeff<?xml version=\"1.0\"?><errors><error message=\"a\"/></errors>", true},
	"byte order mark, no declaration":  {"\ufeff<errors><error message=\"a\"/></errors>", true},
	"lower-case encoding":              {`<?xml version="1.0" encoding="utf-8"?><errors><error message="a"/></errors>`, true},
	"standalone declaration":           {`<?xml version='1.0' encoding='UTF-8' standalone='yes'?><errors><error message="a"/></errors>`, true},
	"comments around the root":         {"<?xml version=\"1.0\"?>\n<!-- a -->\n<errors><error message=\"a\"/></errors>\n<!-- b -->\n", true},
	"duplicate attribute":              {`<errors><error message="a" message="b"/></errors>`, false},
	"duplicate attribute, same value":  {`<errors><error message="a" message="a"/></errors>`, false},
	"whitespace before declaration":    {" <?xml version=\"1.0\"?><errors><error message=\"a\"/></errors>", false},
	"comment before declaration":       {"<!-- a --><?xml version=\"1.0\"?><errors><error message=\"a\"/></errors>", false},
	"declaration without version":      {`<?xml encoding="UTF-8"?><errors><error message="a"/></errors>`, false},
	"declaration out of order":         {`<?xml encoding="UTF-8" version="1.0"?><errors><error message="a"/></errors>`, false},
	"standalone maybe":                 {`<?xml version="1.0" standalone="maybe"?><errors><error message="a"/></errors>`, false},
	"no-break space after root":        {"<errors><error message=\"a\"/></errors>\u00a0", false},
	"no-break space inside errors":     {"<errors>\u00a0<error message=\"a\"/></errors>", false},
	"character reference after root":   {`<errors><error message="a"/></errors>&#32;`, false},
	"byte order mark after whitespace": {" \ufeff<errors><error message=\"a\"/></errors>", false},
	"two byte order marks":             {"\ufeff\ufeff<errors><error message=\"a\"/></errors>", false},
	"byte order mark after root":       {"<errors><error message=\"a\"/></errors>\ufeff", false},
}

// Bodies whose well-formedness the suite judges as XML 1.0 does (xmllint
// without a schema agrees): DOCTYPE and processing instructions, refused by
// the suite's own decision, are not among them.
var wellFormedBodies = map[string]struct {
	body string
	good bool
}{
	"plain":                            {`<a/>`, true},
	"byte order mark":                  {"\ufeff<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>", true},
	"upper-case encoding":              {`<?xml version="1.0" encoding="UTF-8"?><a/>`, true},
	"mixed-case encoding":              {`<?xml version="1.0" encoding="Utf-8"?><a/>`, true},
	"standalone":                       {`<?xml version="1.0" standalone="no" ?><a/>`, true},
	"whitespace in declaration":        {"<?xml version = '1.0'\n encoding = 'UTF-8'\t?><a/>", true},
	"comments and whitespace after":    {"<a/>\r\n<!-- x -->\t \n", true},
	"text inside the root":             {"<a> \u00a0x<![CDATA[y]]>&#32;</a>", true},
	"many distinct attributes":         {`<a ` + manyAttributes(20, false) + `/>`, true},
	"many attributes, one duplicated":  {`<a ` + manyAttributes(20, true) + `/>`, false},
	"duplicate attribute":              {`<a x="1" x="2"/>`, false},
	"duplicate namespace declaration":  {`<a xmlns:p="u" xmlns:p="u"/>`, false},
	"whitespace before declaration":    {"\n<?xml version=\"1.0\"?><a/>", false},
	"declaration after root":           {`<a/><?xml version="1.0"?>`, false},
	"declaration without version":      {`<?xml standalone="yes"?><a/>`, false},
	"unknown pseudo-attribute":         {`<?xml version="1.0" charset="UTF-8"?><a/>`, false},
	"byte order mark after whitespace": {" \ufeff<a/>", false},
	"no-break space after root":        {"<a/>\u00a0", false},
	"CDATA after root":                 {"<a/><![CDATA[ ]]>", false},
}

func manyAttributes(n int, duplicate bool) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ` a%d="%d"`, i, i)
	}
	if duplicate {
		b.WriteString(` a7="x"`)
	}
	return b.String()
}

func TestWellFormedXMLAgreesWithXML10(t *testing.T) {
	for name, c := range wellFormedBodies {
		err := WellFormedXML([]byte(c.body))
		if (err == nil) != c.good {
			t.Errorf("%s: suite says good=%v (%v), want %v", name, err == nil, err, c.good)
		}
	}
	if err := WellFormedXML([]byte(`<a x="1" x="2"/>`)); err == nil || !strings.Contains(err.Error(), `attribute "x" twice`) {
		t.Errorf("a duplicate attribute must be named, got %v", err)
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint is not installed (make tools installs it): cannot compare with it")
	}
	dir := t.TempDir()
	for name, c := range wellFormedBodies {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".xml")
		if err := os.WriteFile(path, []byte(c.body), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("xmllint", "--noout", "--nonet", path).CombinedOutput()
		if (err == nil) != c.good {
			t.Errorf("%s: xmllint says good=%v, want %v\n%s", name, err == nil, c.good, out)
		}
	}
}

func TestParseXMLErrorsAgreesWithTheShippedXSD(t *testing.T) {
	for name, c := range xmlBodies {
		_, err := ParseXMLErrors([]byte(c.body))
		if (err == nil) != c.good {
			t.Errorf("%s: suite says good=%v (%v), want %v", name, err == nil, err, c.good)
		}
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint is not installed (make tools installs it): cannot compare with the XSD")
	}
	dir := t.TempDir()
	for name, c := range xmlBodies {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".xml")
		if err := os.WriteFile(path, []byte(c.body), 0o600); err != nil {
			t.Fatal(err)
		}
		// Never --noent: it would expand entities.
		out, err := exec.Command("xmllint", "--noout", "--nonet", "--schema", "../../schemas/content-errors.xsd", path).CombinedOutput()
		if (err == nil) != c.good {
			t.Errorf("%s: XSD says good=%v, want %v\n%s", name, err == nil, c.good, out)
		}
	}
}

// What the suite refuses whatever an XSD validator would say: anything that
// could make a reader expand, fetch or run something.
func TestParseXMLErrorsRefusesHostileBodies(t *testing.T) {
	bomb := `<?xml version="1.0"?><!DOCTYPE errors [<!ENTITY a "aaaaaaaaaa">` +
		`<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">` +
		`<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><errors><error message="&d;"/></errors>`
	for name, body := range map[string]string{
		"entity bomb":            bomb,
		"external entity":        `<!DOCTYPE errors [<!ENTITY x SYSTEM "file:///etc/passwd">]><errors><error message="&x;"/></errors>`,
		"doctype alone":          `<!DOCTYPE errors><errors><error message="a"/></errors>`,
		"processing instruction": `<errors><?php evil() ?><error message="a"/></errors>`,
		"deep nesting":           "<errors>" + strings.Repeat("<error>", 200000) + strings.Repeat("</error>", 200000) + "</errors>",
		"non-UTF-8 declaration":  `<?xml version="1.0" encoding="ISO-8859-1"?><errors><error message="a"/></errors>`,
		"second root":            `<errors><error message="a"/></errors><errors/>`,
	} {
		if _, err := ParseXMLErrors([]byte(body)); err == nil {
			t.Errorf("%s: accepted as an envelope", name)
		}
		if err := WellFormedXML([]byte(body)); err == nil {
			t.Errorf("%s: accepted as a well-formed answer", name)
		}
	}
}

func TestDecodeJSONRefusesAbsurdNesting(t *testing.T) {
	deep := strings.Repeat("[", 1000000) + strings.Repeat("]", 1000000)
	if _, err := DecodeJSON([]byte(deep), Strict); err == nil || !strings.Contains(err.Error(), "nested") {
		t.Fatalf("want a nesting error, got %v", err)
	}
	if _, err := DecodeJSON([]byte(`{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}`), Strict); err != nil {
		t.Fatalf("brackets inside a string are not nesting: %v", err)
	}
	if _, err := DecodeJSON([]byte(`{"a":1} {"b":2}`), Strict); err == nil {
		t.Fatal("two JSON values accepted as one body")
	}
}

// Two prefixes bound to one namespace make two spellings of one attribute:
// Namespaces in XML §6.3 forbids it, xmllint only warns.
func TestDuplicateAttributesAreRefused(t *testing.T) {
	for _, body := range []string{
		`<errors><error message="a" message="b"/></errors>`,
		`<errors><error message="a" code="1" message="a"/></errors>`,
		`<errors xmlns:p="urn:x" xmlns:q="urn:x"><error message="a" p:m="1" q:m="2"/></errors>`,
		`<errors count="1" count="2"><error message="a"/></errors>`,
	} {
		if _, err := ParseXMLErrors([]byte(body)); err == nil || !strings.Contains(err.Error(), "twice") {
			t.Errorf("%s: want a duplicate attribute error, got %v", body, err)
		}
		if err := WellFormedXML([]byte(body)); err == nil {
			t.Errorf("%s: accepted as well-formed", body)
		}
	}
}
