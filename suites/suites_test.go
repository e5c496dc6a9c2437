package suites_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/confsuite/apiconform/internal/catalog"
	"github.com/confsuite/apiconform/internal/check"
	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/runner"
	"github.com/confsuite/apiconform/suites"
)

// pageRow is what a page states of a row, the fields its reader reads.
type pageRow struct {
	Line    int
	Code    int
	Method  string
	Status  string
	Message string
	RU      string
}

func asPageRow(r catalog.Row) pageRow {
	return pageRow{Line: r.Line, Code: r.Code, Method: r.Method, Status: r.Status, Message: r.Message, RU: r.RU}
}

// forEach runs f as a subtest for each API of the registry.
func forEach(t *testing.T, f func(t *testing.T, a *suite.API)) {
	t.Helper()
	if len(suites.All) == 0 {
		t.Fatal("the registry lists no API")
	}
	for _, a := range suites.All {
		t.Run(a.Name, func(t *testing.T) { f(t, a) })
	}
}

// folder is the API's folder on disk, relative to this package's.
func folder(t *testing.T, a *suite.API) string {
	t.Helper()
	rel, ok := strings.CutPrefix(a.Dir(), "suites/")
	if !ok || rel == "" {
		t.Fatalf("%s: Dir %q is not a folder under suites/", a.Name, a.Dir())
	}
	return rel
}

func TestCatalogHoldsExactlyThePageRows(t *testing.T) {
	forEach(t, func(t *testing.T, a *suite.API) {
		c, err := a.Catalog()
		if err != nil {
			t.Fatal(err)
		}
		if c.API != a.Name {
			t.Errorf("catalog of %s names API %q", a.Name, c.API)
		}
		lines, err := c.PageLines()
		if err != nil {
			t.Fatal(err)
		}
		if a.ReadPage == nil {
			t.Fatal("no page reader: nothing holds the catalog to the page")
		}
		fromPage := a.ReadPage(lines)
		if len(fromPage) == 0 {
			t.Fatal("read no row from the page: the page reader is broken")
		}
		byLine := map[int]catalog.Row{}
		for _, r := range c.Rows {
			byLine[r.Line] = r
		}
		for _, w := range fromPage {
			want := asPageRow(w)
			got, ok := byLine[want.Line]
			if !ok {
				t.Errorf("page line %d (%d %s%s%s) has no catalog row", want.Line, want.Code, want.Method, want.Status, want.Message)
				continue
			}
			if asPageRow(got) != want {
				t.Errorf("catalog row %s differs from page line %d:\n got %+v\nwant %+v", got.ID, want.Line, asPageRow(got), want)
			}
			delete(byLine, want.Line)
		}
		for line, r := range byLine {
			t.Errorf("catalog row %s (line %d) is not a row of the page", r.ID, line)
		}
	})
}

// The project keeps its own copy of the pages; where the shared original is
// beside the checkout, the copy must not have drifted from it.
func TestPagesMatchSharedOriginals(t *testing.T) {
	shared := filepath.Join("..", "..", "shared", "spec")
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("no shared spec folder at %s: nothing to compare the project's copy with", shared)
	}
	forEach(t, func(t *testing.T, a *suite.API) {
		c, err := a.Catalog()
		if err != nil {
			t.Fatal(err)
		}
		ours, err := fs.ReadFile(a.Files, c.Page)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := os.ReadFile(filepath.Join(shared, c.Page))
		if errors.Is(err, fs.ErrNotExist) {
			t.Skipf("page %s is not among the shared originals", c.Page)
		}
		if err != nil {
			t.Fatalf("page %s: %v", c.Page, err)
		}
		if !bytes.Equal(ours, theirs) {
			t.Errorf("page %s differs from the shared original", c.Page)
		}
	})
}

// What the build embeds is what the API's folder holds: the catalog, its
// page and the defaults.
func TestFilesAreTheFolders(t *testing.T) {
	forEach(t, func(t *testing.T, a *suite.API) {
		c, err := a.Catalog()
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{catalog.File, suite.ConfigFile, c.Page} {
			built, err := fs.ReadFile(a.Files, name)
			if err != nil {
				t.Fatal(err)
			}
			onDisk, err := os.ReadFile(filepath.Join(folder(t, a), name))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(built, onDisk) {
				t.Errorf("%s/%s as built differs from the file", a.Dir(), name)
			}
		}
	})
}

// The defaults --print-defaults prints are the ones a configuration is read
// over, and they load: a configuration that sets only the credential every
// spec needs is one.
func TestDefaultsAreTheBuiltInOnes(t *testing.T) {
	forEach(t, func(t *testing.T, a *suite.API) {
		got, err := a.Defaults()
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(folder(t, a), suite.ConfigFile))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) || !strings.Contains(string(got), "base_path:") {
			t.Errorf("Defaults() = %d bytes; want the %d of %s/%s", len(got), len(want), a.Dir(), suite.ConfigFile)
		}
		src := target.Source{Name: "test.yaml", Dir: fstest.MapFS{"test.yaml": {Data: []byte("credentials: {valid: x2345678}\n")}}, File: "test.yaml"}
		cfg, err := a.Load(src, runner.NewRedactor())
		if err != nil {
			t.Fatalf("a configuration over the defaults: %v", err)
		}
		if cfg == nil {
			t.Fatal("Load returned no configuration")
		}
	})
}

// The defaults, printed and used as a configuration as they stand, are
// refused for the one thing they leave empty on purpose: the credential.
func TestDefaultsAsAConfigurationLackOnlyTheCredential(t *testing.T) {
	forEach(t, func(t *testing.T, a *suite.API) {
		defaults, err := a.Defaults()
		if err != nil {
			t.Fatal(err)
		}
		src := target.Source{Name: "defaults.yaml", Dir: fstest.MapFS{"defaults.yaml": {Data: defaults}}, File: "defaults.yaml"}
		_, err = a.Load(src, runner.NewRedactor())
		if err == nil {
			t.Fatal("the defaults loaded without a credential")
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if !strings.Contains(line, "credentials.valid") {
				t.Errorf("the defaults as a configuration: %s", line)
			}
		}
	})
}

// Each reference profile's configuration, the one a run without --config
// uses, loads.
func TestProfileConfigurationsLoad(t *testing.T) {
	forEach(t, func(t *testing.T, a *suite.API) {
		if len(a.Profiles) == 0 {
			t.Fatal("no reference profile")
		}
		for _, p := range a.Profiles {
			if _, err := a.Load(p.Config, runner.NewRedactor()); err != nil {
				t.Errorf("profile %s: %v", p.Name, err)
			}
		}
	})
}

func TestServerErrors(t *testing.T) {
	a := suites.All[0]
	if _, err := suites.Server(a.Name, "staging", false); err == nil || !strings.Contains(err.Error(), a.ProfileNames()) {
		t.Fatalf("unknown profile: %v", err)
	}
	if _, err := suites.Server("fax", "", false); err == nil || !strings.Contains(err.Error(), suites.Names()) {
		t.Fatalf("unknown api: %v", err)
	}
}

func TestFindErrorsOnAnUnknownName(t *testing.T) {
	if a, err := suites.Find("fax"); err == nil || a != nil {
		t.Fatalf("Find(fax) = %v, %v", a, err)
	} else if !strings.Contains(err.Error(), "fax") || !strings.Contains(err.Error(), suites.Names()) {
		t.Fatalf("the error names neither the name nor the choices: %v", err)
	}
	forEach(t, func(t *testing.T, a *suite.API) {
		if got, err := suites.Find(a.Name); err != nil || got != a {
			t.Fatalf("Find(%s) = %v, %v", a.Name, got, err)
		}
	})
}

func TestProfileErrorsOnAnUnknownName(t *testing.T) {
	forEach(t, func(t *testing.T, a *suite.API) {
		if _, err := a.Profile("staging"); err == nil || !strings.Contains(err.Error(), "staging") || !strings.Contains(err.Error(), a.ProfileNames()) {
			t.Fatalf("unknown profile: %v", err)
		}
		if a.HasProfile("staging") {
			t.Fatal("HasProfile(staging)")
		}
		def, err := a.Profile("")
		if err != nil || def.Name != a.Profiles[0].Name {
			t.Fatalf("the default profile: %q, %v", def.Name, err)
		}
		for _, p := range a.Profiles {
			if got, err := a.Profile(p.Name); err != nil || got.Name != p.Name || !a.HasProfile(p.Name) {
				t.Errorf("Profile(%s) = %q, %v", p.Name, got.Name, err)
			}
		}
	})
}

// Names and Profiles list what the registry holds, each once.
func TestNames(t *testing.T) {
	var names, profiles []string
	for _, a := range suites.All {
		if slices.Contains(names, a.Name) {
			t.Errorf("the registry lists %s twice", a.Name)
		}
		names = append(names, a.Name)
		for _, p := range a.Profiles {
			if !slices.Contains(profiles, p.Name) {
				profiles = append(profiles, p.Name)
			}
		}
	}
	if got := suites.Names(); got != strings.Join(names, "|") {
		t.Errorf("Names() = %q, want %q", got, strings.Join(names, "|"))
	}
	if got := suites.Profiles(); got != strings.Join(profiles, "|") || !strings.HasPrefix(got, "default|") {
		t.Errorf("Profiles() = %q, want %q, the default first", got, strings.Join(profiles, "|"))
	}
}

// Every profile's configuration plans the suite: the plan holds every name
// an API's code uses to its catalog and defaults (a probe a row names, a
// step a probe sends), so a mistyped one fails here, not in a user's run.
// And every profile has its reference server.
func TestEveryProfilePlansAndServes(t *testing.T) {
	forEach(t, func(t *testing.T, a *suite.API) {
		client, err := runner.New(runner.Options{Target: "http://127.0.0.1:1", Redactor: runner.NewRedactor()}) // never contacted
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range a.Profiles {
			cases, err := a.Cases(suite.NewEnv(suite.EnvOptions{API: a.Name, Client: client, Reading: check.Strict}), p.Config)
			if err != nil {
				t.Errorf("profile %s: %v", p.Name, err)
			} else if len(cases) == 0 {
				t.Errorf("profile %s plans no spec", p.Name)
			}
			if h, err := suites.Server(a.Name, p.Name, false); err != nil || h == nil {
				t.Errorf("profile %s has no reference server: %v", p.Name, err)
			}
		}
	})
}
