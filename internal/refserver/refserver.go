// Package refserver starts the built-in reference implementations by API
// name; each lives in a subpackage of its own.
package refserver

import (
	"flag"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/confsuite/apiconform/internal/refserver/content"
	"github.com/confsuite/apiconform/internal/refserver/telephony"
)

// Options are the reference servers' own switches.
type Options struct {
	Fault bool // content: models/500500 answers 500
}

// RegisterFlags declares the options on fs.
func RegisterFlags(fs *flag.FlagSet) *Options {
	o := &Options{}
	fs.BoolVar(&o.Fault, "fault", false, "content: make model "+content.FaultModelID+" answer 500 Internal server error")
	return o
}

var servers = map[string]func(*Options) http.Handler{
	"telephony": func(*Options) http.Handler { return telephony.New(telephony.DefaultSeed()) },
	"content": func(o *Options) http.Handler {
		seed := content.DefaultSeed()
		seed.Fault = o.Fault
		return content.New(seed)
	},
}

// Names lists the APIs there is a reference server for, as "a|b".
func Names() string {
	names := make([]string, 0, len(servers))
	for n := range servers {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, "|")
}

// New builds the named API's reference server.
func New(api string, o *Options) (http.Handler, error) {
	build, ok := servers[api]
	if !ok {
		return nil, fmt.Errorf("no reference server for %q; want one of %s", api, Names())
	}
	return build(o), nil
}
