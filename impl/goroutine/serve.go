package goroutine

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"iostrat"
)

// service serves one listener: an accept goroutine and one goroutine per
// connection, each blocking in Read and Write.
type service struct {
	rt    *goRuntime
	ln    net.Listener
	proto iostrat.Protocol

	wg      sync.WaitGroup // the accept loop and every connection goroutine
	mu      sync.Mutex
	open    map[net.Conn]struct{}
	closing bool
	once    sync.Once
}

var _ iostrat.Service = (*service)(nil)

// Serve accepts on ln in a goroutine and serves each connection in its own.
func (rt *goRuntime) Serve(ln net.Listener, p iostrat.Protocol) (iostrat.Service, error) {
	if err := rt.check(); err != nil {
		ln.Close()
		return nil, err
	}
	s := &service{rt: rt, ln: ln, proto: p, open: make(map[net.Conn]struct{})}
	rt.mu.Lock()
	rt.services[s] = struct{}{}
	rt.mu.Unlock()
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

func (s *service) Addr() net.Addr { return s.ln.Addr() }

// Conns counts the connections being served.
func (s *service) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open)
}

func (s *service) acceptLoop() {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of fds or a transient failure: back off as net/http
			// does instead of spinning or giving up.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			c.Close()
			continue
		}
		s.open[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		s.rt.tasks.Add(1)
		go s.serveConn(c)
	}
}

// serveConn is the whole connection in blocking style: read, hand the
// bytes to the session, write its answer, repeat. A blocked Write is the
// backpressure: the goroutine stops reading until the client reads.
func (s *service) serveConn(c net.Conn) {
	defer s.wg.Done()
	h := s.proto.NewHandler()
	bp := s.rt.bufs.Get().(*[]byte)
	op, _ := s.rt.outs.Get().(*[]byte)
	if op == nil {
		op = new([]byte)
	}
	defer func() {
		h.Close()
		s.rt.bufs.Put(bp)
		*op = (*op)[:0]
		s.rt.outs.Put(op)
		c.Close()
		s.mu.Lock()
		delete(s.open, c)
		s.mu.Unlock()
	}()
	buf := *bp
	for {
		n, rerr := c.Read(buf)
		if n > 0 {
			out, action := h.Handle(buf[:n], (*op)[:0])
			*op = out
			if len(out) > 0 {
				if _, err := c.Write(out); err != nil {
					return
				}
			}
			if action == iostrat.CloseAfterWrite {
				linger(c)
				return
			}
		}
		if rerr != nil {
			if errors.Is(rerr, os.ErrDeadlineExceeded) {
				linger(c) // the service is closing
			}
			// End of stream (half-close included): everything produced is
			// already written, so closing now loses nothing.
			return
		}
	}
}

// linger ends a connection the server chose to end: send FIN after the
// output already written, then discard what the client still sends until
// it closes or DrainTimeout passes, so unread input cannot turn the close
// into a reset that destroys the response in flight.
func linger(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok || tc.CloseWrite() != nil {
		return
	}
	tc.SetReadDeadline(time.Now().Add(iostrat.DrainTimeout))
	var sink [512]byte
	for {
		if _, err := tc.Read(sink[:]); err != nil {
			return
		}
	}
}

// Close stops accepting, interrupts every blocked Read, gives blocked
// Writes DrainTimeout to finish, and waits for every goroutine.
func (s *service) Close() error {
	var err error
	s.once.Do(func() {
		err = s.ln.Close()
		s.mu.Lock()
		s.closing = true
		now := time.Now()
		for c := range s.open {
			c.SetReadDeadline(now)
			c.SetWriteDeadline(now.Add(iostrat.DrainTimeout))
		}
		s.mu.Unlock()
		s.wg.Wait()
		s.rt.mu.Lock()
		delete(s.rt.services, s)
		s.rt.mu.Unlock()
	})
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
