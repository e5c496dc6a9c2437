// Package telephony_test runs the Telephony API's suite (suites/telephony) as a Go test:
// go tool ginkgo ./suites/telephony -- --target=URL (README).
package telephony_test

import (
	"flag"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/confsuite/apiconform/internal/early"
	"github.com/confsuite/apiconform/internal/launch"
	"github.com/confsuite/apiconform/suites/telephony"
)

// A signal from the first moments of the process (package early) leaves a
// report saying the run was interrupted, not Go's default exit.
var _ = launch.CatchSignalsEarly(telephony.API, early.Signals)

var options = launch.RegisterFlags(flag.CommandLine, telephony.API)

func TestTelephony(t *testing.T) {
	RegisterFailHandler(Fail)
	if launch.Standalone(telephony.API, options) {
		RunSpecs(t, "telephony conformance")
	}
}
