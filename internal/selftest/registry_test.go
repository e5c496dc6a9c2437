package selftest

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/confsuite/apiconform/internal/target"
	"github.com/confsuite/apiconform/suites"
)

// Every folder of an API (a folder of Go files right under suites/) is an
// API of the registry, suites.All, and every API there has its folder: an
// API left out of the registry is left out of every self-test that
// iterates it.
func TestRegistryMatchesTheFolders(t *testing.T) {
	registered := map[string]bool{}
	for _, a := range suites.All {
		if registered[a.Name] {
			t.Errorf("suites.All lists %s twice", a.Name)
		}
		registered[a.Name] = true
	}
	entries, err := os.ReadDir("../../suites")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, e := range entries {
		if e.IsDir() && hasGoFiles(filepath.Join("../../suites", e.Name())) {
			found = append(found, e.Name())
		}
	}
	for _, name := range found {
		if !registered[name] {
			t.Errorf("suites/%s is not an API of the registry: add it to suites.All (suites/suites.go)", name)
		}
	}
	for name := range registered {
		if !slices.Contains(found, name) {
			t.Errorf("suites.All has %s, but suites/%s is not a folder of one", name, name)
		}
	}
}

// sameOnDisk tells whether a configuration's name is the path, from the
// repository's root, of a file holding what the configuration holds.
func sameOnDisk(src target.Source) bool {
	built, err := fs.ReadFile(src.Dir, src.File)
	if err != nil {
		return false
	}
	onDisk, err := os.ReadFile(filepath.Join("../..", filepath.FromSlash(src.Name)))
	return err == nil && bytes.Equal(built, onDisk)
}

func hasGoFiles(dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	return len(files) > 0
}

// Every API of the registry has each part a self-test needs: a default
// reference profile, named "default" (the suite's built-in configuration,
// the mutants' server), a variant profile (any other: the deployment,
// replay and interrupt tests run it with its configuration), mutants on
// rows of its catalog, at least one for every row (the mutation test), a Judge (package conform) and
// ReadPage (the catalog-against-page test).
func TestRegistryAPIsHaveEveryPart(t *testing.T) {
	for _, a := range suites.All {
		t.Run(a.Name, func(t *testing.T) {
			cat, err := a.Catalog()
			if err != nil {
				t.Fatalf("catalog: %v", err)
			}
			switch {
			case len(a.Profiles) == 0:
				t.Errorf("no reference profile: the first is the default (Profiles in suites/%s/%s.go)", a.Name, a.Name)
			case a.Profiles[0].Name != "default":
				t.Errorf("the first reference profile, the default, is named %q, want \"default\"", a.Profiles[0].Name)
			}
			if len(a.Profiles) < 2 {
				t.Errorf("no variant profile: a reference profile other than the default, with a configuration of its own")
			}
			names := map[string]bool{}
			for i, p := range a.Profiles {
				if names[p.Name] {
					t.Errorf("profile %q appears twice", p.Name)
				}
				names[p.Name] = true
				if p.Server == nil {
					t.Errorf("profile %q has no Server", p.Name)
				}
				if p.Config.File == "" && p.Config.Raw == nil {
					t.Errorf("profile %q has no Config", p.Name)
				} else if !sameOnDisk(p.Config) {
					t.Errorf("profile %q: its Config's name %q is not the repository path of a file holding it: make conformance runs the suite with --config=<that path>", p.Name, p.Config.Name)
				} else if i > 0 && p.Config.File == a.Profiles[0].Config.File && p.Config.Dir == a.Profiles[0].Config.Dir {
					t.Errorf("profile %q has the default profile's configuration", p.Name)
				}
			}
			if a.Judge == nil {
				t.Errorf("no Judge: package conform cannot judge an answer to a row")
			}
			if a.ReadPage == nil {
				t.Errorf("no ReadPage: the catalog cannot be held to the page")
			}
			mutants, err := a.Mutants()
			if err != nil {
				t.Fatal(err)
			}
			if len(mutants) == 0 {
				t.Errorf("no mutants (suites/%s/mutants.go, Mutants in the API's value): the mutation test cannot hold the suite to noticing a broken rule", a.Name)
			}
			rows := map[string]bool{}
			for _, row := range cat.Rows {
				rows[row.ID] = true
			}
			caught := map[string]bool{}
			for _, m := range mutants {
				for _, id := range m.Rows {
					caught[id] = true
				}
			}
			for _, row := range cat.Rows {
				if !caught[row.ID] {
					t.Errorf("row %s (%s) has no mutant: nothing holds the suite to noticing when its rule breaks", row.ID, row.Title())
				}
			}
			seen := map[string]bool{}
			for _, m := range mutants {
				if m.Name == "" || seen[m.Name] {
					t.Errorf("mutant %q: every mutant needs a name of its own", m.Name)
				}
				seen[m.Name] = true
				if m.Wrap == nil {
					t.Errorf("mutant %q has no Wrap", m.Name)
				}
				if len(m.Rows) == 0 {
					t.Errorf("mutant %q names no row that must catch it", m.Name)
				}
				for _, id := range m.Rows {
					if !rows[id] {
						t.Errorf("mutant %q: %s is not a row of the catalog", m.Name, id)
					}
				}
			}
		})
	}
}
