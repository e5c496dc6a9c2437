package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseRejectsBrokenCatalogs(t *testing.T) {
	for name, raw := range map[string]string{
		"unknown key":  "api: x\npage: p\nrows:\n  - id: a\n    code: 400\n    line: 1\n    ru: r\n    en: e\n    probes: [p]\n    colour: red\n",
		"duplicate id": "api: x\npage: p\nrows:\n  - {id: a, code: 400, line: 1, ru: r, en: e, probes: [p]}\n  - {id: a, code: 401, line: 2, ru: r, en: e, probes: [p]}\n",
		"no probe":     "api: x\npage: p\nrows:\n  - {id: a, code: 400, line: 1, ru: r, en: e}\n",
		"bad code":     "api: x\npage: p\nrows:\n  - {id: a, code: 4000, line: 1, ru: r, en: e, probes: [p]}\n",
	} {
		if _, err := Parse([]byte(raw)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// apiFiles are an API's files: a catalog of one row, traced to line 1 of
// its page, and the page, whose digest the catalog states as pageSHA.
func apiFiles(page, pageSHA string) fstest.MapFS {
	return fstest.MapFS{
		File:       {Data: []byte("api: x\npage: p.txt\npage_sha256: " + pageSHA + "\nrows:\n  - {id: a, code: 400, line: 1, ru: r, en: e, probes: [p]}\n")},
		"p.txt":    {Data: []byte(page)},
		"other.md": {Data: []byte("not part of the catalog")},
	}
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestLoadReadsTheCatalogBesideItsPage(t *testing.T) {
	const page = "400 bad request\n"
	c, err := Load(apiFiles(page, digest(page)), "suites/x")
	if err != nil {
		t.Fatal(err)
	}
	if c.API != "x" || c.Dir != "suites/x" || c.PageSHA256 != digest(page) || len(c.Rows) != 1 || c.Rows[0].Page != "suites/x/p.txt" {
		t.Fatalf("loaded %+v", c)
	}
	lines, err := c.PageLines()
	if err != nil || len(lines) != 2 || lines[0] != "400 bad request" {
		t.Fatalf("page lines %q, %v", lines, err)
	}
}

// The page is kept verbatim: a copy that differs by a byte from the one the
// catalog was written from is refused, in every clone, naming both digests.
func TestLoadRefusesAChangedPage(t *testing.T) {
	const page = "400 bad request\n"
	for name, files := range map[string]fstest.MapFS{
		"a byte changed":    apiFiles("400 bad requesT\n", digest(page)),
		"a line added":      apiFiles(page+"401\n", digest(page)),
		"no digest":         apiFiles(page, ""),
		"a digest of other": apiFiles(page, digest("other")),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(files, "suites/x")
			if err == nil {
				t.Fatal("a page other than the catalog's was accepted")
			}
			if !strings.Contains(err.Error(), "suites/x/p.txt") || !strings.Contains(err.Error(), "page_sha256") {
				t.Fatalf("the error names neither the page nor the key: %v", err)
			}
		})
	}
}

func TestLoadErrorsWithoutCatalogOrPage(t *testing.T) {
	if _, err := Load(fstest.MapFS{}, "suites/x"); err == nil || !strings.Contains(err.Error(), "suites/x") {
		t.Errorf("no catalog: %v", err)
	}
	files := apiFiles("", "")
	delete(files, "p.txt")
	if _, err := Load(files, "suites/x"); err == nil {
		t.Error("a catalog without its page loaded")
	}
}

// The hash changes with any file of the API's, and with nothing else.
func TestHashFollowsEveryFile(t *testing.T) {
	a := apiFiles("p", digest("p"))
	h := Hash(a)
	if len(h) != 12 || Hash(apiFiles("p", digest("p"))) != h {
		t.Fatalf("hash %q is not stable", h)
	}
	for name := range a {
		b := apiFiles("p", digest("p"))
		b[name] = &fstest.MapFile{Data: append([]byte("x"), b[name].Data...)}
		if Hash(b) == h {
			t.Errorf("changing %s kept the hash", name)
		}
	}
}
