# Two commands do everything on a fresh machine with Go installed:
#   make conformance   the suites against the built-in reference servers -> reports/
#   make test          the project's own tests (what CI runs)

GO      ?= go
# One folder an API (suites/<api>), listed in suites/suites.go.
SUITES  := $(notdir $(patsubst %/,%,$(wildcard suites/*/)))
# Every package but the APIs' own (suites/<api>), whose test is the suite
# itself and needs a --target: internal/selftest runs them, compiled,
# against the reference servers and broken variants.
PACKAGES = $$($(GO) list ./... | grep -v -E '/suites/[^/]+$$')

.PHONY: conformance build test bench bench-remote lint tools clean mutation

conformance: build
	$(GO) run ./cmd/conformance --bin bin --reports reports

build: $(addprefix bin/,$(addsuffix .test,$(SUITES)))

bin/%.test: FORCE
	$(GO) test -c -o $@ ./suites/$*

FORCE:

test: tools lint
	$(GO) test -count=1 $(PACKAGES)

lint:
	$(GO) vet ./...
	@$(GO) mod tidy -diff >/dev/null || { \
	  echo "go mod tidy would change go.mod or go.sum:"; $(GO) mod tidy -diff; exit 1; }
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi

# xmllint (Debian's libxml2-utils) checks the JUnit reports and the XSD in the
# tests; headless chromium renders the HTML report in internal/report's test;
# the ginkgo CLI is a tool line in go.mod (go tool ginkgo).
tools:
	@command -v xmllint >/dev/null || { \
	  echo "installing xmllint (libxml2-utils)"; \
	  apt-get update -qq && apt-get install -y -qq libxml2-utils >/dev/null; }
	@command -v chromium >/dev/null || { \
	  echo "installing chromium"; \
	  apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	$(GO) build -o /dev/null github.com/onsi/ginkgo/v2/ginkgo

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PACKAGES)

# Issue 10: both suites against the reference servers behind a latency proxy
# (0 and 50 ms a request), sequential and --procs 2 and 4, BENCH_REPS runs
# each (medians), and memory against body size -> docs/benchmarks.md.
BENCH_REPS ?= 3
bench-remote: build
	$(GO) build -o bin/ginkgo github.com/onsi/ginkgo/v2/ginkgo
	$(GO) run ./cmd/benchremote --bin bin --ginkgo bin/ginkgo --reps $(BENCH_REPS) --out docs/benchmarks.md

clean:
	rm -rf bin reports/*.xml reports/*.json reports/index.html reports/*/ reports/.go-test-run

# The mutation table of both suites (also run, silently, by make test).
mutation:
	$(GO) test -count=1 -v -run 'MutantsAreAllKilled' ./internal/selftest | grep -E 'killed|SURVIVED|score|^(ok|FAIL|---)'
