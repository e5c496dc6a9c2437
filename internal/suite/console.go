package suite

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/confsuite/apiconform/internal/catalog"
)

// Version is the suite's version, printed by --version and recorded in
// every report with the catalog's hash.
const Version = "0.4.0"

// versionLine names the suite's version and the catalog it checks against.
func versionLine() string {
	return fmt.Sprintf("apiconform %s (catalog %s)", Version, catalog.Hash())
}

// banner says what is about to happen, before the first spec.
func banner(w io.Writer, api string, env *Env, config, reportPath string) {
	rate := "unpaced"
	if env.paced > 0 {
		rate = fmt.Sprintf("%g requests a second", env.paced)
	}
	fmt.Fprintf(w, "%s: %s conformance\n  target:  %s\n  config:  %s\n  reading: %s   rate: %s   proxy: %s\n  reports: %s\n",
		versionLine(), api, env.Client.Base(), config, env.Reading, rate, env.Client.ProxyFor(), reportPath)
}

// warnBuiltInConfig warns when the reference server's credentials are about
// to go to a host that is not this machine.
func warnBuiltInConfig(w io.Writer, target string) {
	u, err := url.Parse(target)
	if err != nil {
		return
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || ip != nil && ip.IsLoopback() {
		return
	}
	fmt.Fprintf(w, "WARNING: no --config: the built-in reference server's configuration and credentials go to %s.\n"+
		"         Give --config with your deployment's (README, \"Running against your own API\").\n", u.Host)
}

var missingKey = regexp.MustCompile(`configuration key (\S+) is not set`)

// verdicts prints one line per documented row: conformant, not conformant,
// or not checked and which configuration key would let it be.
func verdicts(w io.Writer, api string, r types.Report) {
	cat, err := catalog.Load(api)
	if err != nil {
		return
	}
	type tally struct {
		passed, failed, baselined int
		missing                   []string
		filtered                  bool
	}
	rows := map[string]*tally{}
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			continue
		}
		id := strings.TrimPrefix(classname(api, sr), api+".")
		t := rows[id]
		if t == nil {
			t = &tally{}
			rows[id] = t
		}
		switch {
		case sr.State == types.SpecStatePassed:
			t.passed++
		case sr.State.Is(types.SpecStateFailureStates):
			t.failed++
		case strings.HasPrefix(sr.Failure.Message, baselinedPrefix):
			t.baselined++
		case sr.Failure.Message == "":
			t.filtered = true
		default:
			if m := missingKey.FindStringSubmatch(sr.Failure.Message); m != nil && !slices.Contains(t.missing, m[1]) {
				t.missing = append(t.missing, m[1])
			}
		}
	}
	var conformant, not, unchecked int
	var lines strings.Builder
	for _, row := range cat.Rows {
		t := rows[row.ID]
		verdict := "not checked"
		switch {
		case t == nil:
		case t.failed > 0:
			verdict, not = "NOT CONFORMANT", not+1
		case t.baselined > 0:
			verdict, not = "known failure (baseline)", not+1
		case t.passed > 0 && len(t.missing) > 0:
			verdict, conformant = "conformant where checked; not checked: set "+strings.Join(t.missing, ", "), conformant+1
		case t.passed > 0:
			verdict, conformant = "conformant", conformant+1
		}
		if verdict == "not checked" {
			unchecked++
			switch {
			case t != nil && len(t.missing) > 0:
				verdict += ": set " + strings.Join(t.missing, ", ")
			case t != nil && t.filtered:
				verdict += ": filtered out"
			}
		}
		fmt.Fprintf(&lines, "  %-52s %s\n", truncate(row.Title(), 52), verdict)
	}
	fmt.Fprintf(w, "\n%s: %d documented rows: %d conformant, %d not conformant, %d not checked\n%s", api, len(cat.Rows), conformant, not, unchecked, lines.String())
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
