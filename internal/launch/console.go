package launch

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/record"
	"github.com/confsuite/apiconform/internal/suite"
)

// Version is the suite's version, printed by --version and recorded in
// every report with the catalog's hash.
const Version = "0.4.0"

// versionLine names the suite's version and the API's catalog it checks
// against.
func versionLine(a *suite.API) string {
	return fmt.Sprintf("apiconform %s (%s catalog %s)", Version, a.Name, a.Version())
}

// banner says what is about to happen, before the first spec.
func banner(w io.Writer, a *suite.API, env *suite.Env, o *Options, config, reportPath string) {
	rate := "unpaced"
	if env.Paced() > 0 {
		rate = fmt.Sprintf("%g requests a second", env.Paced())
	}
	fmt.Fprintf(w, "%s: %s conformance\n  target:  %s\n  config:  %s\n  reading: %s   rate: %s   proxy: %s\n  reports: %s\n",
		versionLine(a), a.Name, env.Client.Base(), config, env.Reading, rate, env.Client.ProxyFor(), reportPath)
	cfg, _ := ginkgo.GinkgoConfiguration()
	for _, extra := range []struct{ name, value string }{
		{"filter", suite.FilterText(types.Report{SuiteConfig: cfg})}, {"baseline", o.Baseline}, {"record", o.Record}, {"replay", o.Replay},
	} {
		if extra.value != "" {
			fmt.Fprintf(w, "  %-8s %s\n", extra.name+":", extra.value)
		}
	}
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

// verdicts prints the causes shared by many specs, then one line per
// documented row: conformant, not conformant, or not checked and what
// would let it be.
func verdicts(w io.Writer, run *record.Run, cat *catalog.Catalog) {
	rows := run.Rows(cat)
	counts := map[record.Outcome]int{}
	for _, row := range rows {
		counts[row.Outcome]++
	}
	fmt.Fprintf(w, "\n%s: %d documented rows: %d conformant, %d not conformant, %d not checked", run.API, len(rows),
		counts[record.Conformant], counts[record.NotConformant], counts[record.NotChecked])
	if n := counts[record.KnownFailure]; n > 0 {
		fmt.Fprintf(w, ", %d known failures", n)
	}
	fmt.Fprintln(w)
	if run.Stopped != "" {
		fmt.Fprintf(w, "  STOPPED: %s\n", run.Stopped)
	}
	for _, f := range run.Findings {
		fmt.Fprintf(w, "  FIRST: %s (%d specs not checked for it)\n", f.Message, f.Specs)
	}
	for _, row := range rows {
		fmt.Fprintf(w, "  %-52s %s\n", truncate(row.Row.Title(), 52), row.Summary())
	}
	var left []string
	for _, s := range run.Specs {
		for _, l := range s.Leftovers {
			left = append(left, fmt.Sprintf("%s (%s): %s", l.Resource, s.ID, l.Why))
		}
	}
	if len(left) > 0 {
		fmt.Fprintf(w, "  LEFT ON THE TARGET, remove by hand:\n    %s\n", strings.Join(left, "\n    "))
	}
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
