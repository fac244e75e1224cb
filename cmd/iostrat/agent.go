package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/signal"
	"syscall"

	"iostrat/internal/agent"
	"iostrat/strategies"
)

// runAgent serves benchmark requests from remote clients until SIGINT or
// SIGTERM (see internal/agent).
func runAgent(stdout, stderr io.Writer, args []string) error {
	var listen, tokenFile string
	fs := newFlagSet("agent",
		[]string{"iostrat agent -listen HOST:PORT -token-file FILE"},
		"Runs benchmark servers on this machine for a client on another one: on a\n"+
			"request carrying the token in FILE, it starts one registered strategy's\n"+
			"server with the protocol, options and CPU budget asked for, reports its\n"+
			"address, and on stop returns the server's CPU time, RSS, counters and\n"+
			"knobs. One benchmark runs at a time; a server whose client's control\n"+
			"connection closes is stopped. SIGINT or SIGTERM stops the agent and any\n"+
			"server it runs.\n"+
			"\n"+
			"Make the token long and random, readable only by its owner:\n"+
			"  openssl rand -hex 32 >token && chmod 600 token\n"+
			"The token keeps strangers out; nothing is encrypted.")
	fs.StringVar(&listen, "listen", "127.0.0.1:7400", "`host:port` to accept control connections on")
	fs.StringVar(&tokenFile, "token-file", "", "`file` holding the token every request must carry (required)")
	if help, err := parseFlags(fs, stdout, args); help || err != nil {
		return err
	}
	if tokenFile == "" {
		return errors.New("agent: -token-file is required: the agent serves only requests carrying its token")
	}
	token, err := agent.ReadToken(tokenFile)
	if err != nil {
		return err
	}
	for _, w := range agent.TokenWarnings(tokenFile, token) {
		fmt.Fprintln(stderr, "iostrat: agent: warning:", w)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("agent: address %s is already in use (pick another with -listen)", listen)
		}
		return fmt.Errorf("agent: %w", err)
	}
	srv := agent.NewServer(token, strategies.Lookup, func(format string, args ...any) {
		fmt.Fprintf(stderr, "iostrat: agent: "+format+"\n", args...)
	})
	fmt.Fprintf(stderr, "agent listening on %s\n", ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		fmt.Fprintln(stderr, "agent stopping")
	case err := <-served:
		srv.Close()
		return err
	}
	closeErr := srv.Close()
	return errors.Join(<-served, closeErr)
}
