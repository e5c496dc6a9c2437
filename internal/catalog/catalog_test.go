package catalog

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// pageRow is a row as read straight from a page, independently of the catalog.
type pageRow struct {
	Line    int
	Code    int
	Method  string
	Status  string
	Message string
	RU      string
}

func (r Row) asPageRow() pageRow {
	return pageRow{Line: r.Line, Code: r.Code, Method: r.Method, Status: r.Status, Message: r.Message, RU: r.RU}
}

var (
	telephonySuccess = regexp.MustCompile(`^(GET|POST|PUT|DELETE)(\d{3})$`)
	telephonyError   = regexp.MustCompile(`^(\d{3})([a-z_]*)(.*)$`)
)

// telephonyPageRows reads the telephony page's two tables: success codes,
// then error codes, where a row without a status puts its text on the next line.
func telephonyPageRows(lines []string) []pageRow {
	var rows []pageRow
	inErrors := false
	for i, l := range lines {
		if m := telephonySuccess.FindStringSubmatch(l); m != nil {
			code, _ := strconv.Atoi(m[2])
			rows = append(rows, pageRow{Line: i + 1, Code: code, Method: m[1], RU: l})
			continue
		}
		if l == "КодСтатусОписание" {
			inErrors = true
			continue
		}
		m := telephonyError.FindStringSubmatch(l)
		if !inErrors || m == nil {
			continue
		}
		code, _ := strconv.Atoi(m[1])
		text := m[3]
		if m[2] == "" && text == "" {
			text = lines[i+1]
		}
		rows = append(rows, pageRow{Line: i + 1, Code: code, Status: m[2], RU: text})
	}
	return rows
}

func TestCatalogHoldsExactlyThePageRows(t *testing.T) {
	for api, read := range map[string]func([]string) []pageRow{
		"telephony": telephonyPageRows,
		"content":   contentPageRows,
	} {
		t.Run(api, func(t *testing.T) {
			c, err := Load(api)
			if err != nil {
				t.Fatal(err)
			}
			lines, err := c.PageLines()
			if err != nil {
				t.Fatal(err)
			}
			fromPage := read(lines)
			if len(fromPage) == 0 {
				t.Fatal("read no row from the page: the page reader is broken")
			}
			byLine := map[int]Row{}
			for _, r := range c.Rows {
				byLine[r.Line] = r
			}
			for _, want := range fromPage {
				got, ok := byLine[want.Line]
				if !ok {
					t.Errorf("page line %d (%d %s%s%s) has no catalog row", want.Line, want.Code, want.Method, want.Status, want.Message)
					continue
				}
				if got.asPageRow() != want {
					t.Errorf("catalog row %s differs from page line %d:\n got %+v\nwant %+v", got.ID, want.Line, got.asPageRow(), want)
				}
				delete(byLine, want.Line)
			}
			for line, r := range byLine {
				t.Errorf("catalog row %s (line %d) is not a row of the page", r.ID, line)
			}
		})
	}
}

// The project keeps its own copy of the pages; where the shared original is
// beside the checkout, the copy must not have drifted from it.
func TestPagesMatchSharedOriginals(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "shared", "spec")
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("no shared spec folder at %s: nothing to compare the project's copy with", shared)
	}
	entries, err := files.ReadDir("pages")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		ours, _ := files.ReadFile("pages/" + e.Name())
		theirs, err := os.ReadFile(filepath.Join(shared, e.Name()))
		if err != nil {
			t.Errorf("page %s: %v", e.Name(), err)
			continue
		}
		if string(ours) != string(theirs) {
			t.Errorf("page %s differs from the shared original", e.Name())
		}
	}
}

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

var contentCode = regexp.MustCompile(`^\d{3}$`)

// contentPageRows reads the content page: a message template is a block of
// unindented lines that follows a line holding only an HTTP code, or that
// follows the end of the previous row's XML example (rows sharing a code).
// Its explanation is the next block. Wrapped lines join with one space, and
// no-break spaces read as spaces, as in the catalog's messages.
func contentPageRows(lines []string) []pageRow {
	var rows []pageRow
	code, prev := 0, ""
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if contentCode.MatchString(l) {
			code, _ = strconv.Atoi(l)
			prev = l
			continue
		}
		trimmed := strings.TrimSpace(l)
		startsTemplate := trimmed != "" && !strings.HasPrefix(l, " ") &&
			(contentCode.MatchString(prev) || strings.TrimSpace(prev) == "</errors>")
		if !startsTemplate {
			if trimmed != "" {
				prev = l
			}
			continue
		}
		template, next := block(lines, i)
		explStart := next
		for explStart < len(lines) && strings.TrimSpace(lines[explStart]) == "" {
			explStart++
		}
		explanation, _ := block(lines, explStart)
		rows = append(rows, pageRow{
			Line:    i + 1,
			Code:    code,
			Message: strings.ReplaceAll(template, "\u00a0", " "),
			RU:      explanation,
		})
		prev = lines[next-1]
		i = next - 1
	}
	return rows
}

// block joins the trimmed non-blank lines from start, returning the text and
// the index of the first blank line after it.
func block(lines []string, start int) (string, int) {
	var parts []string
	i := start
	for ; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
		parts = append(parts, strings.TrimSpace(lines[i]))
	}
	return strings.Join(parts, " "), i
}
