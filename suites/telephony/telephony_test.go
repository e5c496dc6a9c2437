package telephony_test

import (
	"flag"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/suites/telephony"
)

var options = suite.RegisterFlags(flag.CommandLine, telephony.API)

func TestTelephony(t *testing.T) {
	RegisterFailHandler(Fail)
	if suite.Standalone(telephony.API, options, telephony.Setup) {
		RunSpecs(t, "telephony conformance")
	}
}
