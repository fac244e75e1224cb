package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os/signal"
	"strings"
	"syscall"

	"iostrat"
	"iostrat/internal/proto"
	"iostrat/strategies"
)

// runServe serves a protocol under a strategy until SIGINT or SIGTERM,
// then closes gracefully: stop accepting, write out the responses already
// produced, close connections, print the counters.
func runServe(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	strategy := fs.String("strategy", "", "strategy to serve with (see 'iostrat list')")
	protoName := fs.String("proto", "http", "protocol: "+strings.Join(proto.Names(), ", "))
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	loops := fs.Int("loops", 0, "event loops, executors or rings (0: one per GOMAXPROCS)")
	trigger := fs.String("trigger", "level", "readiness trigger for epoll strategies: level or edge")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	if *strategy == "" {
		return fmt.Errorf("serve: -strategy is required (have %s)", strings.Join(strategies.Names(), ", "))
	}
	s, err := strategies.Lookup(*strategy)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	p, err := proto.ByName(*protoName)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	opts := iostrat.Options{Loops: *loops}
	switch *trigger {
	case "level":
		opts.Trigger = iostrat.Level
	case "edge":
		opts.Trigger = iostrat.Edge
	default:
		return fmt.Errorf("serve: -trigger must be level or edge, got %q", *trigger)
	}
	if *loops < 0 {
		return fmt.Errorf("serve: -loops must be >= 0, got %d", *loops)
	}
	opts.Logf = func(format string, args ...any) { fmt.Fprintf(stderr, "iostrat: "+format+"\n", args...) }

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("serve: address %s is already in use (pick another with -addr)", *addr)
		}
		return fmt.Errorf("serve: %w", err)
	}
	rt, err := s.Start(opts)
	if err != nil {
		ln.Close()
		return fmt.Errorf("serve: starting %s: %w", s.Name(), err)
	}
	defer rt.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	svc, err := rt.Serve(ln, p)
	if err != nil {
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
