package telephony

import (
	"regexp"
	"strconv"

	"github.com/confsuite/apiconform/internal/catalog"
)

var (
	telephonySuccess = regexp.MustCompile(`^(GET|POST|PUT|DELETE)(\d{3})$`)
	telephonyError   = regexp.MustCompile(`^(\d{3})([a-z_]*)(.*)$`)
)

// readPage reads the page's two tables: success codes,
// then error codes, where a row without a status puts its text on the next line.
func readPage(lines []string) []catalog.Row {
	var rows []catalog.Row
	inErrors := false
	for i, l := range lines {
		if m := telephonySuccess.FindStringSubmatch(l); m != nil {
			code, _ := strconv.Atoi(m[2])
			rows = append(rows, catalog.Row{Line: i + 1, Code: code, Method: m[1], RU: l})
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
		rows = append(rows, catalog.Row{Line: i + 1, Code: code, Status: m[2], RU: text})
	}
	return rows
}
