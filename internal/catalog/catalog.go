// Package catalog holds the documented rows of each API as data, each traced
// to the line of the documentation page it comes from; the pages themselves
// are kept verbatim in pages/. Specs are generated from these rows.
package catalog

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed *.yaml pages/*.txt
var files embed.FS

// Catalog is one API's documented rows.
type Catalog struct {
	API  string `yaml:"api"`
	Page string `yaml:"page"` // file name under pages/
	Rows []Row  `yaml:"rows"`
}

// Row is one documented row: a success code, or an error condition.
type Row struct {
	ID      string   `yaml:"id"`
	Code    int      `yaml:"code"`
	Method  string   `yaml:"method"`  // success rows: the request method
	Status  string   `yaml:"status"`  // telephony error rows: the body's status field, "" for none
	Message string   `yaml:"message"` // content rows: the message template as the page writes it
	Line    int      `yaml:"line"`    // where the row starts in the page
	RU      string   `yaml:"ru"`      // the page's own words
	EN      string   `yaml:"en"`      // an English reading
	Probes  []string `yaml:"probes"`  // how the suite provokes the row; one spec each
	// Lenient holds the page's own other spellings of Message, where its
	// examples contradict its template; the lenient reading accepts them.
	Lenient []string `yaml:"lenient"`
	// Wordings holds the page's own other wordings of Message, where an
	// example words it otherwise than the template (not a misspelling):
	// the page says both, so both readings accept them.
	Wordings []string `yaml:"wordings"`
	// Page is the file under pages/ the row comes from.
	Page string `yaml:"-"`
}

// Title is how specs name the row: "POST 201", "403 user_blocked",
// "404 (no status)", or the content API's code and message template.
func (r Row) Title() string {
	switch {
	case r.Method != "":
		return fmt.Sprintf("%s %d", r.Method, r.Code)
	case r.Message != "":
		return fmt.Sprintf("%d %s", r.Code, r.Message)
	case r.Status != "":
		return fmt.Sprintf("%d %s", r.Code, r.Status)
	default:
		return fmt.Sprintf("%d (no status)", r.Code)
	}
}

// Load reads the named API's catalog ("telephony" or "content") and checks
// that every row is complete.
func Load(api string) (*Catalog, error) {
	raw, err := files.ReadFile(api + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("catalog %q: %w", api, err)
	}
	return Parse(raw)
}

// Parse decodes and checks a catalog; unknown and duplicate keys are errors.
func Parse(raw []byte) (*Catalog, error) {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var c Catalog
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	ids := map[string]bool{}
	for i, r := range c.Rows {
		where := fmt.Sprintf("catalog %s: rows[%d] (%s)", c.API, i, r.ID)
		switch {
		case r.ID == "":
			return nil, fmt.Errorf("%s: id is required", where)
		case ids[r.ID]:
			return nil, fmt.Errorf("%s: id is used twice", where)
		case r.Code < 100 || r.Code > 599:
			return nil, fmt.Errorf("%s: code %d is not an HTTP status", where, r.Code)
		case r.Line <= 0:
			return nil, fmt.Errorf("%s: line is required", where)
		case r.RU == "" || r.EN == "":
			return nil, fmt.Errorf("%s: ru and en are required", where)
		case len(r.Probes) == 0:
			return nil, fmt.Errorf("%s: at least one probe is required", where)
		}
		ids[r.ID] = true
		c.Rows[i].Page = c.Page
	}
	return &c, nil
}

// PageLines returns the page the catalog comes from, one string per line.
func (c *Catalog) PageLines() ([]string, error) {
	raw, err := files.ReadFile("pages/" + c.Page)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: page %q: %w", c.API, c.Page, err)
	}
	return strings.Split(string(raw), "\n"), nil
}

// Hash identifies the catalogs and pages this build checks against: the
// first 12 hex digits of a SHA-256 over every file, in name order.
func Hash() string {
	h := sha256.New()
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(raw))
		h.Write(raw)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}
