// Package suite is the runtime every API's suite shares, what a probe
// uses while its spec runs: an API as one value (API, Define), its plan
// for one deployment turned into cases and Ginkgo specs (Plan, Probe,
// API.Cases, Register), the environment a spec runs in (Env), the spec's
// requests and verdicts (Spec, Sent), the tracker that removes what a
// spec created, and, once the run is over, its specs as the results
// record has them (Results).
//
// Starting a run is not here: flags, settings, the standalone and
// embedded runs, the console, --list, --baseline files, --record and
// --replay, signals, and writing the reports are package launch, which
// builds on this one. Everything about one API is in its folder,
// suites/<api>; what a conforming answer looks like is in internal/check.
package suite
