// Package anchorcmd is what the anchor servers (anchors/gnet,
// anchors/nethttp) share around their serving: the command line the
// bench harness starts them with, pinning to the CPU budget, and how they
// are told to stop.
//
//	NAME -addr 127.0.0.1:0 -proto P -loops N [-cpus LIST]
//	NAME -version
package anchorcmd

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"runtime"
	"syscall"

	"iostrat/internal/affinity"
)

// Options are an anchor server's command line.
type Options struct {
	Addr, Proto, CPUs string
	Loops             int
	Version           bool
}

// Help is what an anchor's own flags mean: the usage text of -proto,
// -loops and -version.
type Help struct {
	Proto, Loops, Version string
}

// Parse parses and checks the command line of the anchor called name;
// the flag package, or Parse, has reported any error on stderr.
func Parse(name string, args []string, stderr io.Writer, help Help) (Options, error) {
	var o Options
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:0", "`host:port` to listen on (port 0: any free port)")
	fs.StringVar(&o.Proto, "proto", "http", help.Proto)
	fs.IntVar(&o.Loops, "loops", 1, help.Loops)
	fs.StringVar(&o.CPUs, "cpus", "", "CPU `list` (such as 0-1) to pin every thread to before serving; empty: stay where started")
	fs.BoolVar(&o.Version, "version", false, help.Version)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected arguments %q", fs.Args())
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return o, err
	}
	if o.Loops < 1 {
		err := fmt.Errorf("-loops %d: want at least 1", o.Loops)
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return o, err
	}
	return o, nil
}

// Place pins every thread of the process to -cpus, if given, and sets
// GOMAXPROCS to -loops, as the suite gives a strategy's server its budget.
func Place(o Options) error {
	if o.CPUs != "" {
		set, err := affinity.Parse(o.CPUs)
		if err != nil {
			return err
		}
		if err := affinity.Pin(set); err != nil {
			return err
		}
	}
	runtime.GOMAXPROCS(o.Loops)
	return nil
}

// StopContext is done on SIGTERM or SIGINT, or when stdin reaches its end
// (the parent closed it, or died).
func StopContext(stdin io.Reader) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		stop()
	}()
	return ctx, stop
}
