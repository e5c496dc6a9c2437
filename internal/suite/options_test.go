package suite

import (
	"flag"
	"reflect"
	"testing"
)

// A suite embedded through package conform gets, for every option left
// unset, the default its standalone flag has.
func TestUnsetOptionsTakeTheFlagsDefaults(t *testing.T) {
	flags := RegisterFlags(flag.NewFlagSet("test", flag.ContinueOnError), "telephony")
	flags.own = nil
	// An embedded suite writes no report of its own.
	embedded := Options{Target: flags.Target, Config: flags.Config, Reports: flags.Reports}
	embedded.fillDefaults()
	flags.resolvePaths()
	if !reflect.DeepEqual(*flags, embedded) {
		t.Errorf("embedded options %+v differ from the flags' defaults %+v", embedded, *flags)
	}
}
