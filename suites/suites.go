// Package suites is the registry of the APIs this project checks: one line
// each in All. An API's own folder below (suites/<api>) holds everything
// about it: its page and catalog, its configuration's defaults, its probes,
// how an answer is judged, its reference servers, and the Ginkgo bootstrap
// a user points `go tool ginkgo` at. Everything that works on every API
// (the command line, the embedding in package conform, the reference
// servers, the spec list and the self-tests) takes them from here
// (docs/adding-an-api.md).
package suites

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/confsuite/apiconform/internal/suite"
	"github.com/confsuite/apiconform/suites/content"
	"github.com/confsuite/apiconform/suites/telephony"
)

// All are the APIs, in the order runs and the console list them
// (index.html and summary.json list them by name).
var All = []*suite.API{
	telephony.API,
	content.API,
}

// Find returns the API of that name.
func Find(name string) (*suite.API, error) {
	for _, a := range All {
		if a.Name == name {
			return a, nil
		}
	}
	return nil, fmt.Errorf("no API %q; want one of %s", name, Names())
}

// Names lists the APIs, as "a|b".
func Names() string {
	names := make([]string, len(All))
	for i, a := range All {
		names[i] = a.Name
	}
	return strings.Join(names, "|")
}

// Server builds the named API's reference server in a profile ("" for its
// default); fault turns its fault trigger on, where it has one.
func Server(api, profile string, fault bool) (http.Handler, error) {
	a, err := Find(api)
	if err != nil {
		return nil, err
	}
	p, err := a.Profile(profile)
	if err != nil {
		return nil, err
	}
	return p.Server(fault), nil
}

// Profiles lists every reference profile of any API, as "a|b", in the
// order the APIs first name them.
func Profiles() string {
	var names []string
	for _, a := range All {
		for _, p := range a.Profiles {
			if !slices.Contains(names, p.Name) {
				names = append(names, p.Name)
			}
		}
	}
	return strings.Join(names, "|")
}
