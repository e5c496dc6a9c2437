// Package early catches SIGINT and SIGTERM from the first moments of a
// suite's process: Go initialises a package as soon as its dependencies
// are, in the order of import paths, so this one, which needs os/signal
// alone, runs before the suite's larger dependencies (Ginkgo, YAML, JSON
// Schema) and long before the suite's own code. Import it only from a
// standalone suite's test file, and hand Signals to
// launch.CatchSignalsEarly: until then, a signal waits in Signals instead of
// killing the process with no report.
package early

import (
	"os"
	"os/signal"
	"syscall"
)

// Signals receives SIGINT and SIGTERM from the package's initialisation on.
var Signals = make(chan os.Signal, 4)

func init() {
	signal.Notify(Signals, os.Interrupt, syscall.SIGTERM)
}
