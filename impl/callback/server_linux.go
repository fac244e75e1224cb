package callback

import (
	"errors"
	"fmt"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"iostrat/internal/netfd"
)

// Callbacks are a Server's connection events, all run on the loop serving
// the connection. A nil callback is skipped.
type Callbacks struct {
	// OnOpen is called once a connection is registered with its loop.
	OnOpen func(c *Conn)
	// OnData is called with input just read. in is a view of the loop's
	// read buffer, valid only until OnData returns: copy what you keep.
	OnData func(c *Conn, in []byte)
	// OnClose is called exactly once, after the socket is closed. err is
	// nil for an orderly end and otherwise says why (a reset peer, the
	// drain timeout, the loop closing).
	OnClose func(c *Conn, err error)
}

// Trigger is how a Server's loops are told that a connection is ready.
type Trigger uint8

const (
	// Level: a connection is reported for as long as it is ready. The
	// default.
	Level Trigger = iota
	// Edge: a connection is reported when it becomes ready; the loop reads
	// it until a short read or its per-turn budget (ServerConfig.EdgeBudget).
	Edge
)

// String returns "level" or "edge".
func (t Trigger) String() string {
	if t == Edge {
		return "edge"
	}
	return "level"
}

// Defaults used when a [ServerConfig] field is zero.
const (
	// DefaultReadBuffer is the size of each read: 16 KiB, the largest TLS
	// record. A loop has one read buffer for all its connections.
	DefaultReadBuffer = 16 << 10
	// DefaultHighWater is the queued output at which a connection stops
	// being read.
	DefaultHighWater = 256 << 10
	// DefaultDrainTimeout bounds a closing connection's drain.
	DefaultDrainTimeout = time.Second
)

// ServerConfig tunes a Server. The zero value asks for the defaults.
type ServerConfig struct {
	// Trigger is level (the default) or edge-triggered readiness for
	// connections. The listening socket is always level-triggered.
	Trigger Trigger
	// ReadBuffer is the size of each read, and of each loop's one read
	// buffer. 0 means DefaultReadBuffer.
	ReadBuffer int
	// HighWater is the queued output at which a connection stops being
	// read until it drains below half. 0 means DefaultHighWater.
	HighWater int
	// EdgeBudget, edge-triggered only, is how many bytes one connection
	// may read in one turn before it yields to the others. 0 means
	// ReadBuffer: one full read per turn.
	EdgeBudget int
	// DrainTimeout bounds a closing connection: the time to write its
	// queued output and for the client to close after our FIN. 0 means
	// DefaultDrainTimeout.
	DrainTimeout time.Duration
	// Logf reports accept failures. nil means log.Printf.
	Logf func(format string, args ...any)
}

func (c ServerConfig) withDefaults() ServerConfig {
	if c.ReadBuffer <= 0 {
		c.ReadBuffer = DefaultReadBuffer
	}
	if c.HighWater <= 0 {
		c.HighWater = DefaultHighWater
	}
	if c.EdgeBudget <= 0 {
		c.EdgeBudget = c.ReadBuffer
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.Logf == nil {
		c.Logf = log.Printf
	}
	return c
}

// maxAcceptsPerTurn bounds the connections the acceptor takes in one turn,
// so a connection storm does not hold up the acceptor's own sockets.
const maxAcceptsPerTurn = 128

// acceptBackoff is how long the acceptor stops watching the listener after
// an accept error such as running out of fds (level-triggered, it would
// otherwise be reported ready in every turn).
const acceptBackoff = 10 * time.Millisecond

// A Server serves a TCP listener on a set of loops. The first loop is the
// acceptor: it watches the listening socket and hands each accepted
// connection to the next loop in round-robin order (keeping its own share),
// so the loops get equal numbers of connections. A hand-off to another
// loop is one Post per connection, paid once at accept time.
type Server struct {
	loops  []*Loop
	cfg    ServerConfig
	cb     Callbacks
	edge   bool
	lfd    int
	addr   net.Addr
	shares []loopShare // one per loop, each touched by its loop only

	// Acceptor loop only.
	listen Watch
	next   int

	conns     atomic.Int64
	closing   atomic.Bool
	closeOnce sync.Once
}

// loopShare is the part of a server one loop keeps: its open connections
// and, while the server closes, the signal that they are all gone.
type loopShare struct {
	open     int
	pauses   uint64        // times a connection of this share was paused
	drained  chan struct{} // closed when open reaches 0 while draining; nil before
	draining bool
}

// NewServer takes over ln (a *net.TCPListener; ln must not be used again)
// and serves it on loops with cb. The loops stay the caller's: close the
// Server before them.
func NewServer(loops []*Loop, ln net.Listener, cb Callbacks, cfg ServerConfig) (*Server, error) {
	if len(loops) == 0 {
		ln.Close()
		return nil, errors.New("callback: NewServer with no loops")
	}
	nl, err := netfd.Detach(ln)
	if err != nil {
		ln.Close()
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{
		loops:  loops,
		cfg:    cfg,
		cb:     cb,
		edge:   cfg.Trigger == Edge,
		lfd:    nl.FD,
		addr:   nl.Addr,
		shares: make([]loopShare, len(loops)),
	}
	var werr error
	if !loops[0].call(func() { s.listen, werr = loops[0].Watch(s.lfd, Readable, s.acceptable) }) {
		werr = ErrClosed
	}
	if werr != nil {
		netfd.Close(s.lfd)
		return nil, werr
	}
	return s, nil
}

// Addr returns the address served.
func (s *Server) Addr() net.Addr { return s.addr }

// Conns returns the number of open connections.
func (s *Server) Conns() int { return int(s.conns.Load()) }

// acceptable runs on the acceptor loop when the listener is readable.
func (s *Server) acceptable(Events) {
	l := s.loops[0]
	for range maxAcceptsPerTurn {
		fd, err := netfd.Accept(s.lfd)
		l.count.Accepts++
		if err == unix.EAGAIN {
			return
		}
		if err != nil {
			s.acceptFailed(err)
			return
		}
		i := s.next
		s.next = (i + 1) % len(s.loops)
		if i == 0 {
			s.open(0, fd)
		} else if s.loops[i].Post(func() { s.open(i, fd) }) != nil {
			netfd.Close(fd)
		}
	}
}

// acceptFailed stops watching the listener for a moment after an accept
// error (EMFILE, ENFILE, ENOBUFS): level-triggered, it would be reported
// ready every turn while the error lasts.
func (s *Server) acceptFailed(err error) {
	s.cfg.Logf("callback: accept on %v: %v; pausing accepts for %v", s.addr, err, acceptBackoff)
	if s.listen.Modify(0) != nil {
		return
	}
	s.loops[0].AfterFunc(acceptBackoff, func() {
		if !s.closing.Load() {
			s.listen.Modify(Readable)
		}
	})
}

// open registers an accepted socket with loop i.
func (s *Server) open(i int, fd int) {
	l, share := s.loops[i], &s.shares[i]
	if s.closing.Load() || share.draining {
		netfd.Close(fd)
		return
	}
	c := &Conn{loop: l, srv: s, share: share, fd: fd}
	interest := Readable
	if s.edge {
		interest = Readable | Writable | PeerClosed | EdgeTriggered
	}
	if _, err := l.register(fd, uint32(interest), c, nil); err != nil {
		s.cfg.Logf("callback: registering connection: %v", err)
		netfd.Close(fd)
		return
	}
	share.open++
	s.conns.Add(1)
	if s.cb.OnOpen != nil {
		c.inCallback = true
		l.count.Callbacks++
		s.cb.OnOpen(c)
		c.inCallback = false
		if c.closeLater {
			c.closeNow(c.closeErr)
		}
	}
}

// closed is called by a connection's loop when its socket is closed.
func (s *Server) closed(c *Conn) {
	s.conns.Add(-1)
	sh := c.share
	sh.open--
	if sh.draining && sh.open == 0 {
		close(sh.drained)
	}
}

// Close stops accepting, then ends every connection gracefully (queued
// output written, FIN, input discarded until the client closes) within the
// drain timeout, and returns when every connection is closed. It is
// idempotent. Not from a loop goroutine.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closing.Store(true)
		s.loops[0].call(func() { s.listen.Unwatch() })
		// The acceptor no longer touches the listener: its slot is free, so
		// even an event already collected for it is dropped.
		if cerr := netfd.Close(s.lfd); cerr != nil {
			err = fmt.Errorf("callback: closing listener: %w", cerr)
		}
		// Connections handed to a loop before the listener closed were
		// posted before the drain below, so the loop registers them first
		// and the drain ends them too.
		drained := make([]chan struct{}, len(s.loops))
		for i, l := range s.loops {
			if !l.call(func() { drained[i] = s.drain(i) }) {
				drained[i] = nil // the loop has stopped and closed its connections
			}
		}
		for i, l := range s.loops {
			if drained[i] != nil {
				select {
				case <-drained[i]:
				case <-l.Done():
				}
			}
		}
	})
	return err
}

// drain ends every connection of the server on loop i and returns a
// channel closed when they are all closed.
func (s *Server) drain(i int) chan struct{} {
	l, sh := s.loops[i], &s.shares[i]
	sh.draining = true
	sh.drained = make(chan struct{})
	if sh.open == 0 {
		close(sh.drained)
		return sh.drained
	}
	for fd := range l.fds {
		if c := l.fds[fd].conn; c != nil && c.srv == s {
			c.Close()
		}
	}
	return sh.drained
}

// call runs fn on the loop and waits for it. It reports false if the loop
// stopped before running fn. Not from the loop's own goroutine.
func (l *Loop) call(fn func()) bool {
	done := make(chan struct{})
	if l.Post(func() { fn(); close(done) }) != nil {
		return false
	}
	select {
	case <-done:
		return true
	case <-l.exited:
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
}
