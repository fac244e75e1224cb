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
	srv, err := NewServer(ln, func(net.Addr) Handler { return lifecycle.Session{H: p.NewHandler()} }, ServerConfig{
		ReadBuffer:   rt.opts.ReadBuffer,
		DrainTimeout: iostrat.DrainTimeout,
		Counters:     &rt.count,
	})
	if err != nil {
		return nil, err
	}
	return rt.life.Register(srv) // closed meanwhile: Register closed srv
}
