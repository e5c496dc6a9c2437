package content_test

import (
	"flag"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/suites/content"
)

// A signal from the first moment of the process leaves a report saying
// the run was interrupted (suite.CatchSignalsEarly), not Go's default exit.
var _ = suite.CatchSignalsEarly(content.API)

var options = suite.RegisterFlags(flag.CommandLine, content.API)

func TestContent(t *testing.T) {
	RegisterFailHandler(Fail)
	if suite.Standalone(content.API, options, content.Setup) {
		RunSpecs(t, "content conformance")
	}
}
