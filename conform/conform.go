// Package conform is the suites' public face, for code outside this
// module: register an API's conformance suite in your own Ginkgo tree,
// beside your own specs and with your own configuration, or judge an
// answer your own test got against a documented row with a Gomega matcher.
// The APIs are those of the registry (package suites), by name.
//
//	var _ = conform.Suite("telephony", conform.Settings{Target: url, Config: "telephony.yaml"})
//
//	Expect(resp).To(conform.Row("telephony", "tel.403.user_blocked", ""))
//	Expect(resp).To(conform.Row("content", "con.404.not-found", conform.XML))
package conform

import (
	"fmt"

	"github.com/onsi/ginkgo/v2"

	"github.com/confsuite/apiconform/internal/launch"
	"github.com/confsuite/apiconform/suites"
)

// Settings are a suite's settings, as the standalone flags of the same
// names give them (README, "Flags"); left empty, each takes its flag's
// default. Reports is the folder the run's record (<api>.json), JUnit
// report (<api>.xml), index.html and summary.json are written to; empty,
// none is written and the row verdicts are only printed.
type Settings = launch.Settings

// Suite registers the named API's suite in the Ginkgo tree being built;
// call it at package level (var _ = conform.Suite(…)). An API the registry
// lacks, or settings that cannot start the suite, register one failing
// spec that says why.
func Suite(api string, s Settings) bool {
	a, err := suites.Find(api)
	if err != nil {
		return ginkgo.Describe(api, func() {
			ginkgo.It("[configuration]", func() { ginkgo.Fail(fmt.Sprintf("conform: %v", err)) })
		})
	}
	return launch.Embed(a, s)
}

// Telephony registers the Telephony API's suite: Suite("telephony", s).
func Telephony(s Settings) bool { return Suite("telephony", s) }

// Content registers the Content API's suite: Suite("content", s).
func Content(s Settings) bool { return Suite("content", s) }
