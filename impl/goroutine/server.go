package goroutine

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// A Handler is one connection's session: it turns the bytes received into
// the bytes to send and never reads, writes or blocks itself. A Server
// makes one per connection and calls it from that connection's goroutine
// only.
type Handler interface {
	// Handle consumes all of in, the bytes just read, and appends its
	// answer to out, returning the extended slice. in is a view of the
	// connection's read buffer, valid only until Handle returns: a partial
	// message must be copied if it is kept. out has length 0 and reuses
	// the capacity of earlier answers; the Server writes the returned
	// bytes before it reads again. If closeAfter is true the Server writes
	// the answer, then ends the connection with a lingering close and
	// calls Handle no more.
	Handle(in, out []byte) (res []byte, closeAfter bool)
	// Close ends the session. It is called exactly once, after the last
	// Handle, however the connection ended.
	Close()
}

// ServerConfig tunes a Server. The zero value asks for the defaults.
type ServerConfig struct {
	// ReadBuffer is the size of each read and of the buffer every
	// connection goroutine holds while it is blocked in Read: the main
	// memory cost of one goroutine per connection. 0 means 16 KiB.
	ReadBuffer int
	// DrainTimeout bounds the end of a connection: how long a lingering
	// close waits for the client to close after the server's FIN, and how
	// long Close lets a blocked Write finish. 0 means one second.
	DrainTimeout time.Duration
	// Counters is where the Server counts; nil means counters of its own.
	Counters *Counters
}

const (
	defaultReadBuffer   = 16 << 10
	defaultDrainTimeout = time.Second
)

func (c ServerConfig) withDefaults() ServerConfig {
	if c.ReadBuffer <= 0 {
		c.ReadBuffer = defaultReadBuffer
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = defaultDrainTimeout
	}
	if c.Counters == nil {
		c.Counters = new(Counters)
	}
	return c
}

// A Server serves a listener with one goroutine per connection, each
// blocking in Read and Write: an accept goroutine starts them, the Go
// scheduler runs them and its netpoller parks each until its socket is
// ready. A blocked Write is the backpressure: the goroutine stops reading
// until the client reads.
//
// Read buffers and output slices come from pools the Server keeps, so a
// connection holds its read buffer only while it lives. No read or write
// deadline is set while serving.
type Server struct {
	ln         net.Listener
	newHandler func(net.Conn) Handler
	cfg        ServerConfig

	bufs sync.Pool // *[]byte read buffers of cfg.ReadBuffer bytes
	outs sync.Pool // *[]byte output slices, any capacity

	wg      sync.WaitGroup // the accept goroutine and every connection goroutine
	mu      sync.Mutex
	open    map[net.Conn]struct{}
	closing bool

	closeOnce sync.Once
	closeErr  error
}

// NewServer takes ownership of ln and serves it until Close: it returns at
// once, having started the accept goroutine. newHandler is called from each
// new connection's goroutine to make that connection's Handler; it must be
// safe for concurrent use.
func NewServer(ln net.Listener, newHandler func(net.Conn) Handler, cfg ServerConfig) *Server {
	s := &Server{
		ln:         ln,
		newHandler: newHandler,
		cfg:        cfg.withDefaults(),
		open:       make(map[net.Conn]struct{}),
	}
	size := s.cfg.ReadBuffer
	s.bufs.New = func() any { b := make([]byte, size); return &b }
	s.wg.Add(1)
	go s.acceptLoop()
	return s
}

// Addr returns the address served.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Conns returns the number of connections being served.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open)
}

// Counters returns the counters the Server counts into.
func (s *Server) Counters() *Counters { return s.cfg.Counters }

// acceptBackoff bounds the pause after a failed Accept (out of fds, or a
// transient failure): it doubles from acceptBackoffMin up to
// acceptBackoffMax, as net/http's does, instead of spinning or giving up.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			backoff = min(max(2*backoff, acceptBackoffMin), acceptBackoffMax)
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
		s.cfg.Counters.Tasks.Add(1)
		go s.serveConn(c)
	}
}

// serveConn is the whole connection in blocking style: read, hand the
// bytes to the handler, write its answer, repeat.
func (s *Server) serveConn(c net.Conn) {
	defer s.wg.Done()
	h := s.newHandler(c)
	bp := s.bufs.Get().(*[]byte)
	op, _ := s.outs.Get().(*[]byte)
	if op == nil {
		op = new([]byte)
	}
	defer func() {
		h.Close()
		s.bufs.Put(bp)
		*op = (*op)[:0]
		s.outs.Put(op)
		c.Close()
		s.mu.Lock()
		delete(s.open, c)
		s.mu.Unlock()
	}()
	buf := *bp
	for {
		n, rerr := c.Read(buf)
		if n > 0 {
			out, closeAfter := h.Handle(buf[:n], (*op)[:0])
			*op = out
			if len(out) > 0 {
				if _, err := c.Write(out); err != nil {
					return
				}
			}
			if closeAfter {
				s.linger(c)
				return
			}
		}
		if rerr != nil {
			if errors.Is(rerr, os.ErrDeadlineExceeded) {
				s.linger(c) // Close interrupted the Read
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
func (s *Server) linger(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok || tc.CloseWrite() != nil {
		return
	}
	tc.SetReadDeadline(time.Now().Add(s.cfg.DrainTimeout))
	var sink [512]byte
	for {
		if _, err := tc.Read(sink[:]); err != nil {
			return
		}
	}
}

// Close stops accepting, interrupts every blocked Read (each connection
// then ends with a lingering close), gives every blocked Write
// DrainTimeout to finish, and returns once every goroutine of the Server
// has ended. It is idempotent and returns the listener's close error.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		err := s.ln.Close()
		s.mu.Lock()
		s.closing = true
		now := time.Now()
		for c := range s.open {
			c.SetReadDeadline(now)
			c.SetWriteDeadline(now.Add(s.cfg.DrainTimeout))
		}
		s.mu.Unlock()
		s.wg.Wait()
		if !errors.Is(err, net.ErrClosed) {
			s.closeErr = err
		}
	})
	return s.closeErr
}
