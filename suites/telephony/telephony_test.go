package telephony_test

import (
	"flag"
	"testing"

	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/suites/telephony"
)

var options = suite.RegisterFlags(flag.CommandLine)

func TestTelephony(t *testing.T) {
	suite.Main(t, telephony.API, options, telephony.Setup)
}
