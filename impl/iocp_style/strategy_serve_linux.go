package iocpstyle

import (
	"errors"
	"fmt"
	"net"
	"sync"

	"iostrat"
	"iostrat/internal/lifecycle"
)

// Serve serves ln with a library [Server] over the serving loops' hosts:
// loop 0 accepts, and the connections are dealt to the loops in turn,
// each running one iostrat.Handler from p. The service is registered
// with the runtime before the server starts, so a runtime Close that
// begins meanwhile waits for it (service.mu) and closes it while the
// loops still run.
func (rt *strategyRuntime) Serve(ln net.Listener, p iostrat.Protocol) (iostrat.Service, error) {
	if err := rt.life.Check(); err != nil {
		return nil, err
	}
	svc := &service{life: &rt.life, ln: ln}
	if err := rt.life.Add(svc); err != nil {
		return nil, err // Add closed the service, and so the listener
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if svc.closed {
		return nil, iostrat.ErrClosed
	}
	name := rt.strategy.Name()
	srv, err := NewServer(ln, rt.hosts, func() Handler { return lifecycle.Session{H: p.NewHandler()} }, ServerConfig{
		ReadBuffer:   rt.opts.ReadBuffer,
		HighWater:    rt.opts.HighWater,
		DrainTimeout: iostrat.DrainTimeout,
		Logf:         func(format string, args ...any) { rt.opts.Logf("%s: %s", name, fmt.Sprintf(format, args...)) },
	})
	if err != nil {
		svc.closed = true
		rt.life.Remove(svc)
		return nil, closedError(err)
	}
	svc.srv = srv
	return svc, nil
}

// service is a Server that leaves the runtime's service set when closed.
type service struct {
	life *lifecycle.Lifecycle
	ln   net.Listener // until srv takes it over

	// mu is held by Serve while the server starts, so a Close (the
	// user's, or the runtime's) waits until it has.
	mu     sync.Mutex
	srv    *Server // nil until started; guarded by mu, then never changes
	closed bool    // guarded by mu
}

var _ iostrat.Service = (*service)(nil)

func (s *service) Addr() net.Addr { return s.srv.Addr() }
func (s *service) Conns() int     { return s.srv.Conns() }

// Close closes the server (accepting stops; output is written for at most
// DrainTimeout; every connection is closed); a service whose server never
// started only closes its listener.
func (s *service) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var err error
	if s.srv != nil {
		err = closedError(s.srv.Close())
	} else {
		s.ln.Close()
	}
	s.life.Remove(s)
	return err
}

// closedError makes the library's "port closed" an iostrat.ErrClosed.
func closedError(err error) error {
	if errors.Is(err, ErrClosed) {
		return fmt.Errorf("%w: %w", iostrat.ErrClosed, err)
	}
	return err
}
