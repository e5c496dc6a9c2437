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
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/confsuite/apiconform/internal/refserver"
)

func main() {
	fs := flag.NewFlagSet("refserver", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on (port 0 picks a free one)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: refserver %s [--addr HOST:PORT] [--profile %s] [flags]\n", refserver.Names(), refserver.Profiles)
		fs.PrintDefaults()
	}
	if len(os.Args) < 2 {
		fs.Usage()
		os.Exit(2)
	}
	api := os.Args[1]
	opts := refserver.RegisterFlags(fs)
	_ = fs.Parse(os.Args[2:])
	handler, err := refserver.New(api, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "listen %s: %v\n", *addr, err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	profile := opts.Profile
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
