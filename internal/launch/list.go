package launch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/runner"
)

// list prints every spec with its row, labels and the configuration keys
// that steer it, and, for the configuration given (or the built-in one),
// whether it would run or skip and why. It sends nothing.
func list(a *suite.API, o *Options) {
	api := a.Name
	o.resolvePaths()
	if o.Target == "" {
		o.Target = "http://127.0.0.1:1" // never contacted
	}
	p, err := prepare(a, o, runner.NewRedactor())
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", api, err)
		os.Exit(ExitConfig)
	}
	fmt.Printf("%s: the %s suite, %d specs, with %s\n\n", versionLine(a), api, len(p.cases), p.src.Name)
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "id\tpage line\tlabels\tconfigured by\twith this configuration")
	for _, c := range p.cases {
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\n", c.ID(), c.Row.Line, strings.Join(append([]string{api}, c.AllLabels()...), ","),
			strings.Join(c.Keys, " "), would(p.env, c))
	}
	_ = w.Flush()
}

// would says whether the configuration can drive a case: the credentials and
// vars its steps name must be set.
func would(env *suite.Env, c suite.Case) string {
	var missing []string
	for _, k := range c.Keys {
		if role, ok := strings.CutPrefix(k, "credentials."); ok && !env.Deployment.Credentials[role].Set() {
			missing = append(missing, k)
		}
		if name, ok := strings.CutPrefix(k, "vars."); ok {
			if _, set := env.Deployment.Var(name); !set {
				missing = append(missing, k)
			}
		}
	}
	if len(missing) > 0 {
		return "skips: set " + strings.Join(missing, ", ")
	}
	switch {
	case c.Guess != "":
		return "runs (" + c.Guess + ")"
	case c.Sends != "":
		return "runs, configured: " + c.Sends
	}
	return "runs"
}

// resolvePaths makes the path flags absolute the way the user means them.
// go test and the ginkgo CLI run a suite from its package folder, so a
// relative path is looked for there and then from the module's root, where
// the README's commands are given; the first that exists is taken, and the
// reports folder goes to the module's root when the suite runs inside it.
func (o *Options) resolvePaths() {
	for _, p := range []*string{&o.Config, &o.Baseline, &o.CAFile, &o.Replay} {
		if *p != "" {
			*p = existing(*p)
		}
	}
	for _, p := range []*string{&o.Reports, &o.Record} {
		if *p != "" && !filepath.IsAbs(*p) {
			if root := moduleRoot(); root != "" {
				*p = filepath.Join(root, *p)
			} else if abs, err := filepath.Abs(*p); err == nil {
				*p = abs
			}
		}
	}
}

// existing is the first of the places a relative path may mean that
// exists; when none does, a path naming every place tried, so the error
// that follows shows them.
func existing(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	var tried []string
	cwd, _ := os.Getwd()
	for _, dir := range []string{cwd, moduleRoot()} {
		if dir == "" || len(tried) > 0 && filepath.Join(dir, p) == tried[0] {
			continue
		}
		candidate := filepath.Join(dir, p)
		if _, err := os.Stat(candidate); err == nil || !errors.Is(err, os.ErrNotExist) {
			return candidate
		}
		tried = append(tried, candidate)
	}
	if len(tried) == 1 {
		return tried[0]
	}
	return "neither " + strings.Join(tried, " nor ")
}
