package suite

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/confsuite/apiconform/fixtures"
	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/junit"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
)

// Case is one spec: a catalog row provoked one way, in one variant.
type Case struct {
	Row     catalog.Row
	Probe   string   // how the row is provoked, from the catalog
	Variant string   // a further split: a format, a resource; "" for none
	Labels  []string // besides the API, the row's id and its HTTP code
	// Serial keeps the spec from running beside others under ginkgo -p: it
	// holds state the whole client shares (a resource limit, a pending archive).
	Serial bool
	Run    func(*Env)
}

// ID is the case's stable identifier: row id, probe and variant.
func (c Case) ID() string {
	id := c.Row.ID + "/" + slug(c.Probe)
	if c.Variant != "" {
		id += "/" + slug(c.Variant)
	}
	return id
}

// Name is the spec's text: the row as the page writes it, then the probe,
// then the variant in brackets.
func (c Case) Name() string {
	name := c.Row.Title() + ": " + c.Probe
	if c.Variant != "" {
		name += " [" + c.Variant + "]"
	}
	return name
}

// AllLabels are the spec's Ginkgo labels: the API's (from its container),
// the row id, the HTTP code, and the case's own.
func (c Case) AllLabels() []string {
	return append([]string{Label(c.Row.ID), "http-" + strconv.Itoa(c.Row.Code)}, c.Labels...)
}

var nonSlug = regexp.MustCompile(`[^a-z0-9@_.]+`)

func slug(s string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

var nonLabel = regexp.MustCompile(`[&|!,()/:\s]+`)

// Label makes s usable as a Ginkgo label.
func Label(s string) string { return nonLabel.ReplaceAllString(s, "-") }

// Register adds the cases to the Ginkgo tree under one container named for
// the API. Call it before RunSpecs, from Main or from your own suite.
func Register(env *Env, cases []Case) bool {
	return ginkgo.Describe(env.API, ginkgo.Label(env.API), func() {
		for _, c := range cases {
			decorators := []any{ginkgo.Label(c.AllLabels()...)}
			if c.Serial {
				decorators = append(decorators, ginkgo.Serial)
			}
			ginkgo.It(c.Name(), append(decorators, func() {
				ginkgo.AddReportEntry("id", c.ID(), ginkgo.ReportEntryVisibilityNever)
				c.Run(env)
			})...)
		}
	})
}

// Setup loads an API's configuration and returns its cases.
type Setup func(env *Env, src target.Source) ([]Case, error)

// SetupWith makes an API's Setup from its configuration loader and its
// case builder.
func SetupWith[C any](load func(target.Source, *runner.Redactor) (*C, error), cases func(*Env, *C) ([]Case, error)) Setup {
	return func(env *Env, src target.Source) ([]Case, error) {
		cfg, err := load(src, env.Client.Redactor())
		if err != nil {
			return nil, err
		}
		return cases(env, cfg)
	}
}

// RegisterWith adds an API's specs, built from a loaded configuration, to a
// Ginkgo tree the caller runs. It panics on a broken catalog: that is a
// build defect, which the catalog's own tests catch first.
func RegisterWith[C any](env *Env, cfg *C, cases func(*Env, *C) ([]Case, error)) bool {
	built, err := cases(env, cfg)
	if err != nil {
		panic(err)
	}
	return Register(env, built)
}

// Exit codes of a run, documented in the README.
const (
	ExitConfig = 2 // bad flags, configuration or catalog: no request was sent
)

// Standalone prepares one API's suite to run as a Go test (`ginkgo
// ./suites/<api> -- --target=URL`, `go test`, or a compiled test binary):
// it checks the options and configuration, registers the specs and the
// JUnit report, and leaves RunSpecs to the caller. A run that cannot start
// exits with ExitConfig before any request.
func Standalone(api string, o *Options, setup Setup) {
	reportPath := filepath.Join(o.Reports, api+".xml")
	redactor := runner.NewRedactor()
	env, src, cases, err := prepare(api, o, redactor, setup)
	if err != nil {
		stop(api, reportPath, redactor, err)
	}
	if o.Insecure {
		fmt.Fprintln(os.Stderr, "WARNING: --insecure: the target's TLS certificate is not verified")
	}
	Register(env, cases)
	ginkgo.ReportAfterSuite("JUnit report "+reportPath, func(r ginkgo.Report) {
		if r.SuiteConfig.DryRun {
			return
		}
		s := junit.FromReport(api, r, func(sr types.SpecReport) string { return classname(api, sr) })
		s.Properties = map[string]string{
			"target": env.Client.Base(), "config": src.Name, "reading": string(env.Reading),
			"require-all": strconv.FormatBool(env.RequireAll), "insecure": strconv.FormatBool(o.Insecure),
		}
		ran := r.SpecReports.CountWithState(types.SpecStatePassed | types.SpecStateFailureStates)
		if ran == 0 {
			s.Cases = append(s.Cases, junit.Case{Name: "[no spec ran]", Classname: api, State: types.SpecStateFailed,
				Message: "no spec ran: every spec was filtered out or skipped, so nothing was verified"})
		}
		gomega.Expect(junit.Write(reportPath, redactor.Redact, s)).To(gomega.Succeed())
		if ran == 0 {
			ginkgo.Fail("no spec ran: every spec was filtered out or skipped, so nothing was verified (check --label-filter, --focus and the configuration)")
		}
	})
}

func prepare(api string, o *Options, redactor *runner.Redactor, setup Setup) (*Env, target.Source, []Case, error) {
	reading, err := o.validate()
	if err != nil {
		return nil, target.Source{}, nil, err
	}
	client, err := runner.New(runner.Options{
		Target: o.Target, Timeout: o.Timeout, MaxBody: o.MaxBody, CAFile: o.CAFile, Insecure: o.Insecure,
		Redactor: redactor, Deadline: time.Now().Add(o.RunTimeout),
	})
	if err != nil {
		return nil, target.Source{}, nil, fmt.Errorf("--target/--ca-file: %w", err)
	}
	src := target.Source{Name: "built-in fixtures/" + api + ".yaml", Dir: fixtures.Files, File: api + ".yaml"}
	if o.Config != "" {
		src = target.FileSource(o.Config)
	}
	env := &Env{API: api, Client: client, Reading: reading, RequireAll: o.RequireAll}
	cases, err := setup(env, src)
	if err != nil {
		return nil, src, nil, err
	}
	return env, src, cases, nil
}

// stop ends a run that cannot start, leaving a report that says why, so a
// CI job never finds the file silently missing.
func stop(api, reportPath string, redactor *runner.Redactor, err error) {
	msg := redactor.Redact(fmt.Sprintf("%s conformance cannot start: %v", api, err))
	fmt.Fprintln(os.Stderr, msg)
	s := junit.Suite{Name: api, Started: time.Now(), Cases: []junit.Case{{
		Name: "[configuration]", Classname: api, State: types.SpecStateAborted, Message: msg, Detail: msg,
	}}}
	if werr := junit.Write(reportPath, redactor.Redact, s); werr != nil {
		fmt.Fprintln(os.Stderr, werr)
	}
	os.Exit(ExitConfig)
}

func classname(api string, sr types.SpecReport) string {
	for _, e := range sr.ReportEntries {
		if e.Name == "id" {
			row, _, _ := strings.Cut(e.StringRepresentation(), "/")
			return api + "." + row
		}
	}
	return api
}
