package thread

import (
	"net"

	"iostrat"
	"iostrat/internal/lifecycle"
)

// Serve serves ln with a [Server]: a thread per connection, each running
// one iostrat.Handler from p.
func (rt *strategyRuntime) Serve(ln net.Listener, p iostrat.Protocol) (iostrat.Service, error) {
	if err := rt.life.Check(); err != nil {
		ln.Close()
		return nil, err
	}
	srv, err := NewServer(ln, func(net.Addr) Handler { return session{p.NewHandler()} }, ServerConfig{
		ReadBuffer:   rt.opts.ReadBuffer,
		DrainTimeout: iostrat.DrainTimeout,
		Counters:     &rt.count,
	})
	if err != nil {
		return nil, err
	}
	s := &service{Server: srv, life: &rt.life}
	if err := rt.life.Add(s); err != nil { // closed meanwhile: Add closed s
		return nil, err
	}
	return s, nil
}

// service is a Server that leaves the runtime's service set when closed.
type service struct {
	*Server
	life *lifecycle.Lifecycle
}

var _ iostrat.Service = (*service)(nil)

func (s *service) Close() error {
	err := s.Server.Close()
	s.life.Remove(s)
	return err
}

// session adapts an iostrat.Handler to a [Handler].
type session struct{ h iostrat.Handler }

func (s session) Handle(in, out []byte) ([]byte, bool) {
	res, action := s.h.Handle(in, out)
	return res, action == iostrat.CloseAfterWrite
}

func (s session) Close() { s.h.Close() }
