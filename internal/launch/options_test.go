package launch

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/confsuite/apiconform/internal/suite"
)

// testAPI is the Telephony API's files as an API value, apart from its
// probes: enough for the flags and for a report of a run that could not
// start.
var testAPI = &suite.API{Name: "telephony", Files: os.DirFS("../../suites/telephony")}

// A suite embedded through package conform gets, for every option left
// unset, the default its standalone flag has.
func TestUnsetOptionsTakeTheFlagsDefaults(t *testing.T) {
	flags := RegisterFlags(flag.NewFlagSet("test", flag.ContinueOnError), testAPI)
	flags.own = nil
	// Where the reports go is Settings.Reports, which has no default.
	embedded := Options{Settings: Settings{Target: flags.Target, Config: flags.Config, Reports: flags.Reports}}
	embedded.fillDefaults()
	flags.resolvePaths()
	if !reflect.DeepEqual(*flags, embedded) {
		t.Errorf("embedded options %+v differ from the flags' defaults %+v", embedded, *flags)
	}
}

// A bad or misplaced flag gets the flag package's error and a pointer to
// --help-conformance, not every flag of Ginkgo and Go; a Ginkgo flag given
// without its prefix is spelt out. The refused command line still leaves a
// report saying so. --help keeps the whole listing and writes no report.
func TestBadFlagPointsToTheSuitesFlags(t *testing.T) {
	for _, c := range []struct {
		name   string
		args   []string
		want   []string
		help   bool
		report bool
	}{
		{"ginkgo flag without its prefix", []string{"--label-filter=!writes"},
			[]string{"--label-filter is a Ginkgo flag", "spell it --ginkgo.label-filter", "--help-conformance lists"}, false, true},
		{"go test flag without its prefix", []string{"-v"},
			[]string{"-v is a go test flag", "spell it --test.v", "--help-conformance lists"}, false, true},
		{"misspelt flag", []string{"--targt=http://127.0.0.1:1/"},
			[]string{"-targt", "--help-conformance lists"}, false, true},
		{"bad value", []string{"--timeout=soon"},
			[]string{"--help-conformance lists"}, false, true},
		{"help", []string{"-h"}, []string{"every flag of the test binary"}, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			reports := t.TempDir()
			var out bytes.Buffer
			fs := flag.NewFlagSet("x.test", flag.ContinueOnError)
			fs.SetOutput(&out)
			fs.Usage = func() { fmt.Fprintln(&out, "every flag of the test binary") }
			fs.String("ginkgo.label-filter", "", "")
			fs.Bool("test.v", false, "")
			RegisterFlags(fs, testAPI)
			args := append([]string{"--reports=" + reports}, c.args...)
			saved := os.Args
			os.Args = append([]string{"x.test"}, args...)
			defer func() { os.Args = saved }()

			err := fs.Parse(args)
			if c.help != errors.Is(err, flag.ErrHelp) || err == nil {
				t.Fatalf("parse: %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("the output lacks %q:\n%s", w, out.String())
				}
			}
			if lines := strings.Count(out.String(), "\n"); !c.help && (lines > 3 || strings.Contains(out.String(), "every flag of the test binary")) {
				t.Errorf("a mistake got %d lines, or the whole listing:\n%s", lines, out.String())
			}
			report, err := os.ReadFile(filepath.Join(reports, "telephony.xml"))
			if c.report != (err == nil) || c.report && !strings.Contains(string(report), "could not be parsed") {
				t.Errorf("report written: %v, want %v: %s", err == nil, c.report, report)
			}
		})
	}
}

// Every flag of a run sets exactly one field of Settings, the type
// conform.Settings is, so an embedded suite can be given whatever a command
// line can; only the commands that print and exit (--list, --version …)
// set none. And every field of Settings is set by a flag.
func TestEveryRunFlagIsASetting(t *testing.T) {
	printOnly := map[string]bool{"list": true, "version": true, "help-conformance": true, "print-defaults": true}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	o := RegisterFlags(fs, testAPI)
	fields := reflect.TypeOf(Settings{})
	hit := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		before := reflect.ValueOf(o.Settings)
		value := "x"
		switch f.Value.(flag.Getter).Get().(type) {
		case bool:
			value = "true"
		case time.Duration:
			value = "7s"
		case int, int64, float64:
			value = "7"
		}
		if err := f.Value.Set(value); err != nil {
			t.Fatalf("--%s=%s: %v", f.Name, value, err)
		}
		after := reflect.ValueOf(o.Settings)
		var changed []string
		for i := range fields.NumField() {
			if !reflect.DeepEqual(before.Field(i).Interface(), after.Field(i).Interface()) {
				changed = append(changed, fields.Field(i).Name)
			}
		}
		switch {
		case printOnly[f.Name] && len(changed) > 0:
			t.Errorf("--%s is a command that prints, yet it set %v", f.Name, changed)
		case !printOnly[f.Name] && len(changed) != 1:
			t.Errorf("--%s sets %v, want exactly one field of Settings (conform.Settings)", f.Name, changed)
		case len(changed) == 1:
			if other, ok := hit[changed[0]]; ok {
				t.Errorf("--%s and --%s both set Settings.%s", other, f.Name, changed[0])
			}
			hit[changed[0]] = f.Name
		}
	})
	for i := range fields.NumField() {
		if _, ok := hit[fields.Field(i).Name]; !ok {
			t.Errorf("Settings.%s is set by no flag", fields.Field(i).Name)
		}
	}
}
