package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"iostrat"
	"iostrat/internal/proto"
	"iostrat/strategies"
)

// serveFlags are the serve command's flags.
type serveFlags struct {
	strategy, proto, addr, trigger string
	loops                          int
	given                          map[string]bool // the flags set explicitly
}

// runServe serves a protocol under a strategy until SIGINT or SIGTERM,
// then closes gracefully: stop accepting, write out the responses already
// produced, close connections, print the counters.
func runServe(stdout, stderr io.Writer, args []string) error {
	f, err := parseServeFlags(stdout, args)
	if err != nil || f == nil {
		return err
	}
	s, err := strategies.Lookup(f.strategy)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	p, err := proto.ByName(f.proto)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	opts := iostrat.Options{Loops: f.loops, Trigger: iostrat.Level}
	if f.trigger == "edge" {
		opts.Trigger = iostrat.Edge
	}
	opts.Logf = func(format string, args ...any) { fmt.Fprintf(stderr, "iostrat: "+format+"\n", args...) }

	rt, err := s.Start(opts)
	if err != nil {
		return fmt.Errorf("serve: starting %s: %w", s.Name(), err)
	}
	defer rt.Close()
	if err := f.checkApplies(rt.Info()); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("serve: address %s is already in use (pick another with -addr)", f.addr)
		}
		return fmt.Errorf("serve: %w", err)
	}
	return serveUntilSignal(stdout, rt, ln, p)
}

// parseServeFlags parses and checks the serve command's flags. It returns
// nil and no error after printing the usage for -h.
func parseServeFlags(stdout io.Writer, args []string) (*serveFlags, error) {
	var f serveFlags
	fs := newFlagSet("serve",
		[]string{"iostrat serve -strategy NAME [-proto " + strings.Join(proto.Names(), "|") + "] [-addr HOST:PORT] [-loops N] [-trigger level|edge]"},
		"Serves a protocol under a strategy until SIGINT or SIGTERM, then stops\n"+
			"accepting, writes out the responses already produced, closes every\n"+
			"connection and prints the runtime's counters. http answers GET /plaintext\n"+
			"with \"Hello, World!\"; echo sends every byte back; sink acknowledges\n"+
			"length-prefixed frames with their length and FNV-1a hash.\n"+
			"\n"+
			"A flag the strategy does not honour, as its knobs show ('iostrat list -v'),\n"+
			"is an error: -loops applies only to strategies with loops, executors or\n"+
			"rings (not goroutine or thread), -trigger only to callback.")
	fs.StringVar(&f.strategy, "strategy", "", "strategy to serve with: "+strings.Join(strategies.Names(), ", "))
	fs.StringVar(&f.proto, "proto", "http", "protocol: "+strings.Join(proto.Names(), ", "))
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.IntVar(&f.loops, "loops", 0, "event loops, executors or rings (0: one per GOMAXPROCS)")
	fs.StringVar(&f.trigger, "trigger", "level", "readiness trigger of the callback strategy: level or edge")
	if help, err := parseFlags(fs, stdout, args); help || err != nil {
		return nil, err
	}
	f.given = given(fs)
	switch {
	case f.strategy == "":
		return nil, fmt.Errorf("serve: -strategy is required (have %s)", strings.Join(strategies.Names(), ", "))
	case f.trigger != "level" && f.trigger != "edge":
		return nil, fmt.Errorf("serve: -trigger must be level or edge, got %q", f.trigger)
	case f.loops < 0:
		return nil, fmt.Errorf("serve: -loops must be >= 0, got %d", f.loops)
	}
	return &f, nil
}

// checkApplies rejects a flag given explicitly that the started runtime
// does not honour. The runtime's knobs say what it really runs with, so
// the check holds for every strategy without a list of which takes what.
func (f *serveFlags) checkApplies(info iostrat.Info) error {
	if f.given["loops"] && f.loops > 0 {
		if got := info.Knob("loops"); got != strconv.Itoa(f.loops) {
			return fmt.Errorf("serve: -loops does not apply to %s, which runs with %s", f.strategy, iostrat.Knob{Key: "loops", Value: got})
		}
	}
	if f.given["trigger"] {
		switch got := info.Knob("trigger"); got {
		case f.trigger:
		case "":
			return fmt.Errorf("serve: -trigger does not apply to %s, which has no readiness trigger", f.strategy)
		default:
			return fmt.Errorf("serve: -trigger %s does not apply to %s, which always runs with trigger=%s", f.trigger, f.strategy, got)
		}
	}
	return nil
}

// serveUntilSignal serves p on ln under rt until SIGINT or SIGTERM, then
// closes the service and the runtime and prints the counters.
func serveUntilSignal(stdout io.Writer, rt iostrat.Runtime, ln net.Listener, p iostrat.Protocol) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	svc, err := rt.Serve(ln, p)
	if err != nil {
		ln.Close() // a second Close, if Serve closed it, is harmless
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintf(stdout, "serving %s on %s with %s\n", p.Name(), svc.Addr(), rt.Info())
	<-ctx.Done()
	stop()
	fmt.Fprintf(stdout, "shutting down: %d connections open\n", svc.Conns())
	if err := svc.Close(); err != nil {
		return fmt.Errorf("serve: closing: %w", err)
	}
	st := rt.Stats()
	if err := rt.Close(); err != nil {
		return fmt.Errorf("serve: closing runtime: %w", err)
	}
	fmt.Fprintf(stdout, "stopped; counters:%s\n", formatStats(st))
	return nil
}

// formatStats prints every kept counter as " name=value".
func formatStats(st iostrat.Stats) string {
	var b strings.Builder
	for _, c := range iostrat.Counters() {
		if v, ok := st.Get(c); ok {
			fmt.Fprintf(&b, " %s=%d", c, v)
		}
	}
	if b.Len() == 0 {
		return " none kept"
	}
	return b.String()
}
