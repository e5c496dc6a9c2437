package content_test

import (
	"flag"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/suites/content"
)

var options = suite.RegisterFlags(flag.CommandLine, content.API)

func TestContent(t *testing.T) {
	RegisterFailHandler(Fail)
	if suite.Standalone(content.API, options, content.Setup) {
		RunSpecs(t, "content conformance")
	}
}
