package lifecycle

import (
	"iostrat"
)

// Session adapts one connection's iostrat.Handler to the per-connection
// handler each strategy's library declares in its own terms —
// Handle(in, out) (res, closeAfter) and Close — so an adapter's Serve is
// one line of wrapping.
type Session struct{ H iostrat.Handler }

// Handle runs the protocol handler; closeAfter reports
// iostrat.CloseAfterWrite.
func (s Session) Handle(in, out []byte) (res []byte, closeAfter bool) {
	res, action := s.H.Handle(in, out)
	return res, action == iostrat.CloseAfterWrite
}

// Close ends the protocol handler.
func (s Session) Close() { s.H.Close() }

// Register returns srv, a library's running server, as an iostrat.Service
// that leaves the runtime's set when its user closes it, and adds it to
// the set. If Close has begun, srv is closed and the error is
// iostrat.ErrClosed.
func (l *Lifecycle) Register(srv iostrat.Service) (iostrat.Service, error) {
	s := &registered{Service: srv, life: l}
	if err := l.Add(s); err != nil {
		return nil, err
	}
	return s, nil
}

// registered is a server in a runtime's set.
type registered struct {
	iostrat.Service
	life *Lifecycle
}

func (s *registered) Close() error {
	err := s.Service.Close()
	s.life.Remove(s)
	return err
}

// Unwrap returns the library's server, for tests that look inside it.
func (s *registered) Unwrap() iostrat.Service { return s.Service }
