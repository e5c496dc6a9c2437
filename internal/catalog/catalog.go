// Package catalog reads an API's documented rows, kept as data beside the
// page they come from (suites/<api>/catalog.yaml), each traced to its line of
// the page. Specs are generated from these rows.
package catalog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"strings"

	"go.yaml.in/yaml/v3"
)

// File is the catalog's file name in an API's folder.
const File = "catalog.yaml"

// Catalog is one API's documented rows.
type Catalog struct {
	API  string `yaml:"api" json:"api"`
	Page string `yaml:"page" json:"page"` // the page's file name, beside the catalog
	// PageSHA256 is the digest of the page as published: the copy kept
	// here must not drift from it.
	PageSHA256 string `yaml:"page_sha256" json:"page_sha256"`
	Rows       []Row  `yaml:"rows" json:"rows"`
	// Dir is the folder of the catalog and its page in the repository
	// (suites/<api>), for messages and reports.
	Dir   string `yaml:"-" json:"dir"`
	files fs.FS
}

// Row is one documented row: a success code, or an error condition.
type Row struct {
	ID     string `yaml:"id" json:"id"`
	Code   int    `yaml:"code" json:"code"`
	Method string `yaml:"method" json:"method,omitempty"` // success rows: the request method
	// Status is the error body's documented status field, on a page whose
	// error bodies carry one; "" for none.
	Status string `yaml:"status" json:"status,omitempty"`
	// Message is the error message's template as the page writes it, on a
	// page whose errors are messages.
	Message string   `yaml:"message" json:"message,omitempty"`
	Line    int      `yaml:"line" json:"line"`     // where the row starts in the page
	RU      string   `yaml:"ru" json:"ru"`         // the page's own words
	EN      string   `yaml:"en" json:"en"`         // an English reading
	Probes  []string `yaml:"probes" json:"probes"` // how the suite provokes the row; one spec each
	// Lenient holds the page's own other spellings of Message, where its
	// examples contradict its template; the lenient reading accepts them.
	Lenient []string `yaml:"lenient" json:"lenient,omitempty"`
	// Wordings holds the page's own other wordings of Message, where an
	// example words it otherwise than the template (not a misspelling):
	// the page says both, so both readings accept them.
	Wordings []string `yaml:"wordings" json:"wordings,omitempty"`
	// Page is the page's path in the repository.
	Page string `yaml:"-" json:"page"`
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

// Load reads the catalog in an API's files, which dir names in the
// repository, and checks that every row is complete and that the page
// beside it is the one the catalog was written from.
func Load(files fs.FS, dir string) (*Catalog, error) {
	raw, err := fs.ReadFile(files, File)
	if err != nil {
		return nil, fmt.Errorf("catalog in %s: %w", dir, err)
	}
	c, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	c.Dir, c.files = dir, files
	page, err := fs.ReadFile(files, c.Page)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: page: %w", c.API, err)
	}
	if sum := sha256.Sum256(page); hex.EncodeToString(sum[:]) != c.PageSHA256 {
		return nil, fmt.Errorf("catalog %s: %s/%s has changed since the catalog was written from it (page_sha256 %s, the file's is %s): the page is kept verbatim", c.API, dir, c.Page, c.PageSHA256, hex.EncodeToString(sum[:]))
	}
	for i := range c.Rows {
		c.Rows[i].Page = dir + "/" + c.Page
	}
	return c, nil
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
	}
	return &c, nil
}

// PageLines returns the page the catalog comes from, one string per line.
func (c *Catalog) PageLines() ([]string, error) {
	raw, err := fs.ReadFile(c.files, c.Page)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: page %q: %w", c.API, c.Page, err)
	}
	return strings.Split(string(raw), "\n"), nil
}

// Hash identifies an API's catalog, page and defaults as this build has
// them: the first 12 hex digits of a SHA-256 over every file, in name
// order.
func Hash(files fs.FS) string {
	h := sha256.New()
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(raw))
		h.Write(raw)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}
