package futures

import (
	"errors"
	"io"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"iostrat/internal/netfd"
	"iostrat/internal/timerheap"
)

// A Handler is one connection's session: it turns the bytes received into
// the bytes to send and never reads, writes or blocks itself. A Server
// makes one per connection and calls it from the executor serving that
// connection only.
type Handler interface {
	// Handle consumes all of in, the bytes just read, and appends its
	// answer to out, returning the extended slice. in is a view of the
	// executor's read buffer, valid only until Handle returns: a partial
	// message must be copied if it is kept. out may still hold output not
	// yet written (the socket was full), so Handle appends and never
	// overwrites; the Server writes the new bytes at once. If closeAfter
	// is true the Server writes what is pending, then ends the connection
	// with a lingering close and calls Handle no more.
	Handle(in, out []byte) (res []byte, closeAfter bool)
	// Close ends the session. It is called exactly once, after the last
	// Handle, however the connection ended.
	Close()
}

// Defaults used when a [ServerConfig] field is zero.
const (
	// DefaultReadBuffer is the size of each read: 16 KiB, the largest TLS
	// record. An executor has one read buffer per Server for all its
	// connections.
	DefaultReadBuffer = 16 << 10
	// DefaultHighWater is the pending output at which a connection stops
	// being read.
	DefaultHighWater = 256 << 10
	// DefaultDrainTimeout bounds a closing connection's drain.
	DefaultDrainTimeout = time.Second
)

// ServerConfig tunes a Server. The zero value asks for the defaults.
type ServerConfig struct {
	// ReadBuffer is the size of each read, and of the one read buffer
	// each executor keeps for the Server's connections. 0 means
	// DefaultReadBuffer.
	ReadBuffer int
	// HighWater is the pending output at which a connection stops being
	// read until it drains below half (backpressure). 0 means
	// DefaultHighWater.
	HighWater int
	// DrainTimeout bounds the end of a connection the server ends: how
	// long a lingering close waits for the client to close after the
	// server's FIN and, once Close is called, the time every connection
	// has left to write its pending output and linger. 0 means
	// DefaultDrainTimeout.
	DrainTimeout time.Duration
	// Logf reports failures to accept, register or read. nil means
	// log.Printf.
	Logf func(format string, args ...any)
}

func (c ServerConfig) withDefaults() ServerConfig {
	if c.ReadBuffer <= 0 {
		c.ReadBuffer = DefaultReadBuffer
	}
	if c.HighWater <= 0 {
		c.HighWater = DefaultHighWater
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.Logf == nil {
		c.Logf = log.Printf
	}
	return c
}

// A Server serves a TCP listener with futures on a set of executors. An
// accept task on the first executor owns the listening socket and hands
// each connection to the executors in turn, spawning a connTask there (a
// local Spawn for the first executor, a cross-thread one for the others).
// A connTask is the whole connection as one future over the Source of its
// fd: it registers the fd with its executor's reactor on first poll and
// stays on that executor until it closes. It reads into the executor's
// read buffer, writes the answer directly, keeps it only after EAGAIN,
// and stops reading above the high-water mark.
//
// A connection's states:
//
//	state      reads      writes           leaves when
//	open       yes        pending output   end of stream (finishing), closeAfter
//	                                       or Close (finishing), an error (closed)
//	paused     no         pending output   output below HighWater/2 (open)
//	finishing  no         pending output   output written: lingering, or closed
//	                                       after end of stream; the drain
//	                                       deadline (Close), an error (closed)
//	lingering  discarded  - (FIN sent)     the client closes, an error, the
//	                                       linger or drain deadline (closed)
//	closed     -          -                (fd closed, Handler.Close called)
//
// The lingering close is net/http's: closing a socket with unread input
// makes the kernel send a reset, which can destroy the answer before the
// client reads it; so a connection the server ends sends its FIN after
// its output and discards input until the client closes, for at most
// DrainTimeout. A client that half-closed has sent everything and was read
// to its end, so its connection closes as soon as its output is written.
type Server struct {
	ln         *netfd.Listener
	newHandler func() Handler
	cfg        ServerConfig
	shares     []serverShare // one per executor, each touched by its owner only

	conns         atomic.Int64 // open connections
	active        atomic.Int64 // the accept task and the connections not yet closed
	closing       atomic.Bool
	drainDeadline atomic.Int64 // on timerheap.Now's clock, set by Close
	closeOnce     sync.Once
	doneOnce      sync.Once
	done          chan struct{} // closed when active reaches 0 after closing
}

// serverShare is what one executor keeps of a Server: its read buffer and
// its connections (for Close to wake them), and on the first executor the
// accept task.
type serverShare struct {
	e        *Executor
	readBuf  []byte
	conns    map[*connTask]struct{}
	acceptor *acceptTask
}

// NewServer takes over ln (a *net.TCPListener; ln must not be used again)
// and serves it on execs, making each connection's Handler with
// newHandler, which is called on the executor that serves the connection.
// It returns at once, having spawned the accept task on execs[0].
//
// The executors stay the caller's, and must run (Run) for the Server to
// serve: close the Server before stopping them. An executor closed first
// drops its tasks of the Server, which closes their sockets.
func NewServer(execs []*Executor, ln net.Listener, newHandler func() Handler, cfg ServerConfig) (*Server, error) {
	if len(execs) == 0 {
		ln.Close()
		return nil, errors.New("futures: NewServer with no executors")
	}
	l, err := netfd.Detach(ln)
	if err != nil {
		ln.Close()
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{
		ln:         l,
		newHandler: newHandler,
		cfg:        cfg,
		shares:     make([]serverShare, len(execs)),
		done:       make(chan struct{}),
	}
	for i, e := range execs {
		s.shares[i] = serverShare{e: e, readBuf: make([]byte, cfg.ReadBuffer), conns: make(map[*connTask]struct{})}
	}
	s.active.Store(1) // the accept task
	SpawnDetached(execs[0], &acceptTask{srv: s, sh: &s.shares[0]})
	if execs[0].closed.Load() {
		// The executor is closed: it has dropped the accept task, or will
		// drop it with the rest of its tasks, and that closes the listener.
		return nil, ErrClosed
	}
	return s, nil
}

// Addr returns the address served.
func (s *Server) Addr() net.Addr { return s.ln.Addr }

// Conns returns the number of open connections.
func (s *Server) Conns() int { return int(s.conns.Load()) }

// Close stops accepting and reading, lets each connection write what it
// has produced and linger (until DrainTimeout from now), and returns when
// every connection and the listener are closed. It is idempotent. Not
// from a task on one of the Server's executors, which Close waits for.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.drainDeadline.Store(timerheap.Now() + int64(s.cfg.DrainTimeout))
		s.closing.Store(true)
		for i := range s.shares {
			s.shares[i].e.post(inboxEntry{op: &serverStop{sh: &s.shares[i]}})
		}
		if s.active.Load() == 0 {
			s.finish()
		}
	})
	<-s.done
	return nil
}

// taskDone counts one accept or connection task as finished.
func (s *Server) taskDone() {
	if s.active.Add(-1) == 0 && s.closing.Load() {
		s.finish()
	}
}

func (s *Server) finish() { s.doneOnce.Do(func() { close(s.done) }) }

// serverStop wakes, on one executor, every task of a closing Server, so
// each sees the closing flag at its next poll.
type serverStop struct{ sh *serverShare }

func (op *serverStop) runOnOwner(*Executor) {
	for c := range op.sh.conns {
		c.self.WakeByRef()
	}
	if a := op.sh.acceptor; a != nil {
		a.self.WakeByRef()
	}
}

// acceptBudget bounds the connections one poll of the accept task takes
// before it yields to the other tasks of its executor.
const acceptBudget = 64

// acceptBackoff is how long the accept task waits after an accept error
// (out of fds or memory) before it tries again.
const acceptBackoff = 10 * time.Millisecond

// acceptTask accepts connections and spreads them over the executors.
type acceptTask struct {
	srv     *Server
	sh      *serverShare
	src     Source
	self    Waker
	next    int // round-robin position
	backoff SleepFuture
	waiting bool // in backoff after an accept error
	started bool
}

func (a *acceptTask) Poll(cx *Context) Poll[struct{}] {
	s := a.srv
	if !a.started {
		a.started = true
		src, err := cx.exec.Register(s.ln.FD)
		if err != nil {
			s.cfg.Logf("futures: registering listener: %v", err)
			a.stop()
			return Ready(struct{}{})
		}
		a.src = src
		a.self = cx.Waker().Clone()
		a.sh.acceptor = a
	}
	for budget := acceptBudget; ; budget-- {
		if s.closing.Load() {
			a.stop()
			return Ready(struct{}{})
		}
		if a.waiting {
			if !a.backoff.Poll(cx).ready {
				return Pending[struct{}]()
			}
			a.waiting = false
		}
		if budget == 0 {
			cx.Waker().WakeByRef()
			return Pending[struct{}]()
		}
		p := a.src.PollAccept(cx)
		if !p.ready {
			return Pending[struct{}]()
		}
		if err := p.value.Err; err != nil {
			// Out of fds or memory: the waiting connection stays queued;
			// try again a little later rather than spin.
			s.cfg.Logf("futures: accept: %v", err)
			a.backoff = Sleep(acceptBackoff)
			a.waiting = true
			continue
		}
		sh := &s.shares[a.next%len(s.shares)]
		a.next++
		s.active.Add(1)
		s.conns.Add(1)
		SpawnDetached(sh.e, &connTask{srv: s, sh: sh, fd: p.value.FD})
	}
}

// stop closes the listener; the task is done.
func (a *acceptTask) stop() {
	if a.waiting {
		a.backoff.Drop()
		a.waiting = false
	}
	if a.started {
		a.sh.acceptor = nil
		a.self.Drop()
	}
	if a.src.ok {
		a.src.Close()
	} else {
		netfd.Close(a.srv.ln.FD)
	}
	a.srv.taskDone()
}

// Drop closes the listener of an accept task dropped by a closing
// executor.
func (a *acceptTask) Drop() { a.stop() }

// readBudget bounds the reads one poll of a connection makes before it
// yields to the other connections of its executor.
const readBudget = 16

// maxIdleOut is the output buffer capacity a connection keeps once its
// output is written; a larger buffer, grown by a burst, is let go.
const maxIdleOut = 64 << 10

// connTask serves one connection.
type connTask struct {
	srv *Server
	sh  *serverShare
	fd  int
	src Source
	h   Handler
	out []byte // output produced and not yet written: out[off:]
	off int

	self       Waker       // to be woken when the Server closes
	deadline   SleepFuture // the drain or linger deadline, once timed
	timed      bool
	eof        bool // the client half-closed
	closeAfter bool // the handler asked to close after writing
	paused     bool // backpressure: not reading
	lingering  bool // FIN sent: discarding input until the client closes
	started    bool
	closed     bool
}

func (c *connTask) Poll(cx *Context) Poll[struct{}] {
	if !c.started {
		c.started = true
		src, err := cx.exec.Register(c.fd)
		if err != nil {
			c.srv.cfg.Logf("futures: registering connection: %v", err)
			c.close()
			return Ready(struct{}{})
		}
		c.src = src
		c.h = c.srv.newHandler()
		c.self = cx.Waker().Clone()
		c.sh.conns[c] = struct{}{}
	}
	if c.lingering {
		return c.pollLinger(cx)
	}
	highWater := c.srv.cfg.HighWater
	for budget := readBudget; ; {
		// Write what is pending, directly; on EAGAIN the write waker is
		// in the slot and reading goes on (up to the high-water mark).
		if c.off < len(c.out) {
			p := c.src.PollWrite(cx, c.out[c.off:])
			if p.ready {
				if p.value.Err != nil {
					c.close() // reset or broken pipe: close quietly
					return Ready(struct{}{})
				}
				c.off += p.value.N
				if c.off == len(c.out) {
					c.off = 0
					c.out = c.out[:0]
					if cap(c.out) > maxIdleOut {
						c.out = nil
					}
				}
			}
		}
		pending := len(c.out) - c.off
		closing := c.srv.closing.Load()
		if pending == 0 && (c.eof || c.closeAfter || closing) {
			if c.eof || !c.startLinger(closing) {
				c.close()
				return Ready(struct{}{})
			}
			return c.pollLinger(cx)
		}
		if c.paused && pending < highWater/2 {
			c.paused = false
		} else if !c.paused && pending >= highWater {
			c.paused = true
		}
		if c.eof || c.closeAfter || closing || c.paused {
			if closing {
				c.setDeadline(c.srv.drainDeadline.Load())
				if c.deadline.Poll(cx).ready {
					c.close() // the client did not read its output in time
					return Ready(struct{}{})
				}
			}
			return Pending[struct{}]() // the write waker is in the slot
		}
		if budget == 0 {
			cx.Waker().WakeByRef()
			return Pending[struct{}]()
		}
		budget--
		p := c.src.PollRead(cx, c.sh.readBuf)
		if !p.ready {
			return Pending[struct{}]()
		}
		switch err := p.value.Err; {
		case err == io.EOF:
			c.eof = true
			continue
		case err != nil:
			c.readFailed(err)
			return Ready(struct{}{})
		}
		c.out, c.closeAfter = c.h.Handle(c.sh.readBuf[:p.value.N], c.out)
	}
}

// setDeadline times the connection's end at deadline (on timerheap.Now's
// clock), unless it is timed already.
func (c *connTask) setDeadline(deadline int64) {
	if !c.timed {
		c.timed = true
		c.deadline = sleepUntil(deadline)
	}
}

// startLinger sends FIN after the output and starts discarding input,
// until DrainTimeout from now or the drain deadline of a closing Server.
// It reports false if the socket is gone (the peer reset it).
func (c *connTask) startLinger(closing bool) bool {
	if err := unix.Shutdown(c.fd, unix.SHUT_WR); err != nil {
		return false
	}
	c.lingering = true
	if closing {
		c.setDeadline(c.srv.drainDeadline.Load())
	} else {
		c.setDeadline(timerheap.Now() + int64(c.srv.cfg.DrainTimeout))
	}
	return true
}

// pollLinger reads and discards input until the client closes or the
// deadline passes.
func (c *connTask) pollLinger(cx *Context) Poll[struct{}] {
	if c.deadline.Poll(cx).ready {
		c.close() // the client did not close in time
		return Ready(struct{}{})
	}
	for range readBudget {
		p := c.src.PollRead(cx, c.sh.readBuf)
		if !p.ready {
			return Pending[struct{}]()
		}
		switch err := p.value.Err; {
		case err == io.EOF:
			c.close()
			return Ready(struct{}{})
		case err != nil:
			c.readFailed(err)
			return Ready(struct{}{})
		}
	}
	cx.Waker().WakeByRef()
	return Pending[struct{}]()
}

// readFailed closes the connection after a read error, reporting it unless
// the peer is merely gone.
func (c *connTask) readFailed(err error) {
	if !netfd.IsGone(err) && !errors.Is(err, unix.EBADF) {
		c.srv.cfg.Logf("futures: read: %v", err)
	}
	c.close()
}

// close ends the connection: timer, reactor slot, fd, handler, counts.
func (c *connTask) close() {
	if c.closed {
		return
	}
	c.closed = true
	if c.timed {
		c.deadline.Drop()
	}
	if c.started {
		delete(c.sh.conns, c)
		c.self.Drop()
	}
	if c.src.ok {
		c.src.Close()
	} else {
		netfd.Close(c.fd)
	}
	if c.h != nil {
		c.h.Close()
	}
	c.out = nil
	c.srv.conns.Add(-1)
	c.srv.taskDone()
}

// Drop closes a connection whose task is dropped by a closing executor.
func (c *connTask) Drop() { c.close() }
