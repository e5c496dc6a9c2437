// Package content_test runs the Content API's suite (suites/content) as a Go test:
// go tool ginkgo ./suites/content -- --target=URL (README).
package content_test

import (
	"flag"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/confsuite/apiconform/internal/early"
	"github.com/confsuite/apiconform/internal/launch"
	"github.com/confsuite/apiconform/suites/content"
)

// A signal from the first moments of the process (package early) leaves a
// report saying the run was interrupted, not Go's default exit.
var _ = launch.CatchSignalsEarly(content.API, early.Signals)

var options = launch.RegisterFlags(flag.CommandLine, content.API)

func TestContent(t *testing.T) {
	RegisterFailHandler(Fail)
	if launch.Standalone(content.API, options) {
		RunSpecs(t, "content conformance")
	}
}
