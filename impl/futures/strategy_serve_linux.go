package futures

import (
	"errors"
	"fmt"
	"net"

	"iostrat"
	"iostrat/internal/lifecycle"
)

// Serve serves ln with a [Server] on every loop: an accept task on loop 0,
// each connection a task on the loops in turn, running one iostrat.Handler
// from p.
//
// NewServer spawns the accept task before the service is registered, so
// that whoever closes the service — its user, the runtime's Close, or Add
// itself when Close has begun — finds a task that will close the listener
// and let Close return: the task stops at its next poll once the Server is
// closing, or is dropped (and stops) by a loop that closes first.
func (rt *strategyRuntime) Serve(ln net.Listener, p iostrat.Protocol) (iostrat.Service, error) {
	if err := rt.life.Check(); err != nil {
		ln.Close()
		return nil, err
	}
	execs := make([]*Executor, len(rt.loops))
	for i, lp := range rt.loops {
		execs[i] = lp.e
	}
	srv, err := NewServer(execs, ln, func() Handler { return lifecycle.Session{H: p.NewHandler()} }, ServerConfig{
		ReadBuffer:   rt.opts.ReadBuffer,
		HighWater:    rt.opts.HighWater,
		DrainTimeout: iostrat.DrainTimeout,
		Logf:         rt.opts.Logf,
	})
	if errors.Is(err, ErrClosed) {
		return nil, fmt.Errorf("%w: %w", iostrat.ErrClosed, err)
	} else if err != nil {
		return nil, err
	}
	return rt.life.Register(srv) // closed meanwhile: Register closed srv
}
