// Package launch starts an API's suite, standalone from the command line
// (Standalone, with the flags of RegisterFlags) or embedded in a caller's
// Ginkgo tree (Embed, with Settings), and writes what it found: the
// record, the JUnit report, the HTML pages and the console's row
// verdicts. It also holds what only the front knows: --list, --version,
// --baseline files, --record and --replay, signals during start-up, and
// the reports of a run that could not start.
//
// What a probe uses while its spec runs (the API value, the plan and its
// cases, the environment, the spec's requests and verdicts, the tracker
// of created resources) is package suite, which never imports this one;
// the two meet at the results record (package record): suite.Results
// turns the finished Ginkgo report into the record's specs, and this
// package builds the rest of the record, diagnoses it and renders it.
package launch
