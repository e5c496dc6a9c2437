// Package selftest proves the suites: it runs them, compiled, the way a user
// does, against the reference servers, against mutants of them with one
// documented rule broken, against correct variants the pages allow, and
// against hostile targets. It has only tests.
package selftest
