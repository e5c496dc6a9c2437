package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/confsuite/apiconform/suites"
)

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args           []string
		api, addr      string
		profile        string
		fault          bool
		code           int
		stdout, stderr string
	}{
		{args: []string{"--help"}, code: 0, stdout: "usage: refserver"},
		{args: []string{"-h"}, code: 0, stdout: "usage: refserver"},
		{args: []string{"telephony", "--help"}, code: 0, stdout: "usage: refserver"},
		{args: nil, code: 2, stderr: "name the API"},
		{args: []string{"telephony", "--bogus"}, code: 2, stderr: "-bogus"},
		{args: []string{"telephony", "extra"}, code: 2, stderr: `"extra" is not a flag`},
		{args: []string{"telephony", "--addr", "127.0.0.1:8080"}, api: "telephony", addr: "127.0.0.1:8080", profile: "default"},
		{args: []string{"--profile=variant", "content", "--fault"}, api: "content", addr: "127.0.0.1:0", profile: "variant", fault: true},
	} {
		var stdout, stderr bytes.Buffer
		api, addr, opts, code := parseArgs(tc.args, &stdout, &stderr)
		if api != tc.api || addr != tc.addr || code != tc.code {
			t.Errorf("%q: got api %q addr %q code %d, want %q %q %d", tc.args, api, addr, code, tc.api, tc.addr, tc.code)
		}
		if tc.api != "" && (opts.profile != tc.profile || opts.fault != tc.fault) {
			t.Errorf("%q: got profile %q fault %v", tc.args, opts.profile, opts.fault)
		}
		if !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("%q: stdout %q, stderr %q; want %q, %q", tc.args, stdout.String(), stderr.String(), tc.stdout, tc.stderr)
		}
		if tc.stdout != "" {
			// The usage names every API and profile of the registry, and
			// what --fault does for each API that has a fault trigger.
			for _, flag := range []string{"--addr HOST:PORT", "--profile", "--fault", "refserver " + suites.Names(), suites.Profiles(), "content: make model"} {
				if !strings.Contains(stdout.String(), flag) {
					t.Errorf("%q: the usage lacks %s:\n%s", tc.args, flag, stdout.String())
				}
			}
		}
	}
}
