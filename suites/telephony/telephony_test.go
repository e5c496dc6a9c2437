package telephony_test

import (
	"flag"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/suites/telephony"
)

// A signal from the first moment of the process leaves a report saying
// the run was interrupted (suite.CatchSignalsEarly), not Go's default exit.
var _ = suite.CatchSignalsEarly(telephony.API)

var options = suite.RegisterFlags(flag.CommandLine, telephony.API)

func TestTelephony(t *testing.T) {
	RegisterFailHandler(Fail)
	if suite.Standalone(telephony.API, options, telephony.Setup) {
		RunSpecs(t, "telephony conformance")
	}
}
