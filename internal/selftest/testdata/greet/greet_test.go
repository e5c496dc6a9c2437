// Package greet_test runs the Greeting API's suite as a Go test:
// go tool ginkgo ./suites/greet -- --target=URL.
package greet_test

import (
	"flag"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/confsuite/apiconform/internal/early"
	"github.com/confsuite/apiconform/internal/launch"
	"github.com/confsuite/apiconform/suites/greet"
)

var _ = launch.CatchSignalsEarly(greet.API, early.Signals)

var options = launch.RegisterFlags(flag.CommandLine, greet.API)

func TestGreet(t *testing.T) {
	RegisterFailHandler(Fail)
	if launch.Standalone(greet.API, options) {
		RunSpecs(t, "greet conformance")
	}
}
