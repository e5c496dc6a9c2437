// Command refserver starts a built-in reference server on its own, so the
// suite, curl or any other tool can be pointed at it:
//
//	go run ./cmd/refserver telephony --addr 127.0.0.1:8080
//	go run ./cmd/refserver content --profile variant --fault
//
// It prints the base URL once it listens, and stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/confsuite/apiconform/suites"
)

// options are the reference servers' own switches.
type options struct {
	fault   bool   // the API's fault trigger answers 500 (its FaultHelp says which)
	profile string // the deployment profile, "" for the API's default
}

// faultHelp says what --fault does, per API that has a fault trigger.
func faultHelp() string {
	help := "make the API's fault trigger answer 500"
	for _, a := range suites.All {
		if a.FaultHelp != "" {
			help += "; " + a.Name + ": " + a.FaultHelp
		}
	}
	return help
}

func main() {
	api, addr, opts, code := parseArgs(os.Args[1:], os.Stdout, os.Stderr)
	if api == "" {
		os.Exit(code)
	}
	h, err := suites.Server(api, opts.profile, opts.fault)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "listen %s: %v\n", addr, err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	profile := opts.profile
	if profile == "" {
		profile = "default"
	}
	fmt.Printf("%s reference server (%s profile): http://%s\n", api, profile, ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// parseArgs reads the command line: the API's name and the flags, which may
// come before or after it. With --help (or -h) it writes the usage to stdout
// and returns no API and exit code 0; on a mistake it writes the error and
// the usage to stderr and returns no API and exit code 2.
func parseArgs(args []string, stdout, stderr io.Writer) (api, addr string, opts *options, code int) {
	fs := flag.NewFlagSet("refserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	addrFlag := fs.String("addr", "127.0.0.1:0", "`HOST:PORT` to listen on (port 0 picks a free one)")
	opts = &options{}
	fs.BoolVar(&opts.fault, "fault", false, faultHelp())
	fs.StringVar(&opts.profile, "profile", "default", "deployment profile, "+suites.Profiles()+" (docs/adding-an-api.md: a variant differs from the default wherever the page allows)")
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "usage: refserver %s [--addr HOST:PORT] [--profile %s] [--fault]\n\n", suites.Names(), suites.Profiles())
		fmt.Fprintln(w, "Starts a built-in reference server and prints its base URL; stops on SIGINT or SIGTERM.")
		fmt.Fprintln(w, "Flags (before or after the API's name):")
		fs.VisitAll(func(f *flag.Flag) {
			name, text := flag.UnquoteUsage(f)
			if name != "" {
				name = " " + name
			}
			fmt.Fprintf(w, "  --%s%s\n    \t%s", f.Name, name, text)
			if f.DefValue != "" && f.DefValue != "false" {
				fmt.Fprintf(w, " (default %q)", f.DefValue)
			}
			fmt.Fprintln(w)
		})
	}
	fail := func(format string, a ...any) (string, string, *options, int) {
		if format != "" {
			fmt.Fprintf(stderr, format+"\n", a...)
		}
		usage(stderr)
		return "", "", nil, 2
	}
	parse := func(args []string) (bool, error) {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return true, nil
		}
		return false, err
	}
	// Flags before the name, then the name, then flags after it.
	if help, err := parse(args); help {
		return "", "", nil, 0
	} else if err != nil {
		return fail("")
	}
	if fs.NArg() == 0 {
		return fail("refserver: name the API, one of %s", suites.Names())
	}
	api = fs.Arg(0)
	if help, err := parse(fs.Args()[1:]); help {
		return "", "", nil, 0
	} else if err != nil {
		return fail("")
	}
	if fs.NArg() > 0 {
		return fail("refserver: one API at a time; %q is not a flag", fs.Arg(0))
	}
	return api, *addrFlag, opts, 0
}
