package telephony_test

import (
	"flag"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/confsuite/apiconform/internal/early"
	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/suites/telephony"
)

// A signal from the first moments of the process (package early) leaves a
// report saying the run was interrupted (suite.CatchSignalsEarly), not Go's
// default exit.
var _ = suite.CatchSignalsEarly(telephony.API, early.Signals)

var options = suite.RegisterFlags(flag.CommandLine, telephony.API)

func TestTelephony(t *testing.T) {
	RegisterFailHandler(Fail)
	if suite.Standalone(telephony.API, options, telephony.Setup) {
		RunSpecs(t, "telephony conformance")
	}
}
