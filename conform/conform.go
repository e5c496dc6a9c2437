// Package conform is the suites' public face, for code outside this
// module: register the conformance suites in your own Ginkgo tree, beside
// your own specs and with your own configuration, or judge an answer your
// own test got against a documented row with a Gomega matcher.
//
//	var _ = conform.Telephony(conform.Settings{Target: url, Config: "telephony.yaml"})
//	var _ = conform.Content(conform.Settings{Target: url, Config: "content.yaml"})
//
//	Expect(resp).To(conform.TelephonyRow("tel.403.user_blocked"))
package conform

import (
	"time"

	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/suites/content"
	"github.com/confsuite/apiconform/suites/telephony"
)

// Settings are a suite's settings, as the standalone flags of the same
// names give them (README, "Flags"); left empty, each takes its flag's
// default.
type Settings struct {
	Target     string        // base URL of the API under test (required)
	Config     string        // the deployment's configuration file; empty: the built-in reference server's
	Reading    string        // strict (the default) or lenient
	RequireAll bool          // a spec the configuration cannot drive fails instead of skipping
	Timeout    time.Duration // one request
	RunTimeout time.Duration // all requests together
	MaxBody    int64         // most response-body bytes read
	// MinUploadRate is the slowest link a request body is allowed for, in
	// bytes a second (--min-upload-rate).
	MinUploadRate int64
	Rate          float64 // requests a second for the whole run; 0: the configuration's
	Proxy         string  // HTTP proxy; empty: the environment's
	CAFile        string  // PEM CA bundle for an https target
	Insecure      bool    // skip TLS verification
	// MaxTransportFailures is how many requests in a row may get no
	// answer before the target counts as unreachable.
	MaxTransportFailures int
	// Reports is the folder the run's record (<api>.json), JUnit report
	// (<api>.xml), index.html and summary.json are written to; empty:
	// none is written, and the row verdicts are only printed.
	Reports string
	// Record writes every exchange of the run to this HAR 1.2 file
	// (--record); Replay judges the answers of such a file instead of a
	// target, which Target must then leave empty (--replay).
	Record string
	Replay string
}

func (s Settings) options() suite.Options {
	return suite.Options{Target: s.Target, Config: s.Config, Reading: s.Reading, RequireAll: s.RequireAll,
		Timeout: s.Timeout, RunTimeout: s.RunTimeout, MaxBody: s.MaxBody, Rate: s.Rate, Proxy: s.Proxy,
		CAFile: s.CAFile, Insecure: s.Insecure, MinUploadRate: s.MinUploadRate, MaxTransportFailures: s.MaxTransportFailures,
		Reports: s.Reports, Record: s.Record, Replay: s.Replay}
}

// Telephony registers the Telephony API suite in the Ginkgo tree being
// built; call it at package level (var _ = conform.Telephony(…)). Settings
// that cannot start the suite register one failing spec that says why.
func Telephony(s Settings) bool {
	return suite.Embed(telephony.API, s.options(), telephony.Setup)
}

// Content registers the Content API suite, as Telephony does.
func Content(s Settings) bool {
	return suite.Embed(content.API, s.options(), content.Setup)
}
