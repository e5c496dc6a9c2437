package content

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/confsuite/apiconform/internal/catalog"
)

var contentCode = regexp.MustCompile(`^\d{3}$`)

// readPage reads the page: a message template is a block of
// unindented lines that follows a line holding only an HTTP code, or that
// follows the end of the previous row's XML example (rows sharing a code).
// Its explanation is the next block. Wrapped lines join with one space, and
// no-break spaces read as spaces, as in the catalog's messages.
func readPage(lines []string) []catalog.Row {
	var rows []catalog.Row
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
		rows = append(rows, catalog.Row{
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
