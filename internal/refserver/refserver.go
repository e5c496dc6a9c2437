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
	Fault   bool   // content: models/500500 (variant: catalog/models/13) answers 500
	Profile string // deployment profile: "" or "default", or "variant"
}

// Profiles lists the deployment profiles, as "a|b".
const Profiles = "default|variant"

// RegisterFlags declares the options on fs.
func RegisterFlags(fs *flag.FlagSet) *Options {
	o := &Options{}
	fs.BoolVar(&o.Fault, "fault", false, "content: make model "+content.FaultModelID+" (variant profile: "+content.VariantFaultModelID+") answer 500 Internal server error")
	fs.StringVar(&o.Profile, "profile", "default", "deployment profile, "+Profiles+" (each package's doc comment describes its variant)")
	return o
}

var servers = map[string]func(o *Options, variant bool) http.Handler{
	"telephony": func(_ *Options, variant bool) http.Handler {
		if variant {
			return telephony.New(telephony.VariantSeed())
		}
		return telephony.New(telephony.DefaultSeed())
	},
	"content": func(o *Options, variant bool) http.Handler {
		seed := content.DefaultSeed()
		if variant {
			seed = content.VariantSeed()
		}
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

// New builds the named API's reference server in the options' profile; nil
// options are the zero Options.
func New(api string, o *Options) (http.Handler, error) {
	if o == nil {
		o = &Options{}
	}
	build, ok := servers[api]
	if !ok {
		return nil, fmt.Errorf("no reference server for %q; want one of %s", api, Names())
	}
	switch o.Profile {
	case "", "default":
		return build(o, false), nil
	case "variant":
		return build(o, true), nil
	}
	return nil, fmt.Errorf("no profile %q; want one of %s", o.Profile, Profiles)
}
