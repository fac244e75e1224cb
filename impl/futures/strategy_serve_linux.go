package futures

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"iostrat"
	"iostrat/internal/netfd"
	"iostrat/internal/timerheap"
)

// Serve adapts the library to iostrat.Protocol: the socket futures it is
// built on (Source, with PollAccept, PollRead and PollWrite) are the
// library's, in io_linux.go; what is here is the iostrat side — a Handler
// per connection, Options.HighWater and ReadBuffer, DrainTimeout, and the
// iostrat.Service.
//
// An accept task on loop 0 owns the listening socket; it hands
// each connection to the loops in turn, spawning a connTask there (a local
// Spawn for loop 0, a cross-thread one for the others). A connTask is the
// whole connection as one future: it registers its fd with its loop's
// reactor on first poll and stays on that loop until it closes.
//
// A connection's states:
//
//	state        reads   writes                    leaves when
//	open         yes     pending output, directly  end of stream, CloseAfterWrite,
//	                                                service closing, an error
//	paused       no      pending output            output below HighWater/2
//	finishing    no      pending output            output written, the drain
//	                                                deadline (service closing), an error
//	closed       -       -                         (fd closed, Handler.Close called)
//
// Backpressure: a connection whose pending output reaches HighWater stops
// reading until it drains below half of it.

type service struct {
	rt    *strategyRuntime
	ln    *netfd.Listener
	proto iostrat.Protocol

	conns         atomic.Int64 // open connections
	active        atomic.Int64 // the accept task and the connections not yet closed
	closing       atomic.Bool
	drainDeadline atomic.Int64 // on timerheap.Now's clock, set by Close
	closeOnce     sync.Once
	doneOnce      sync.Once
	done          chan struct{} // closed when active reaches 0 after closing
}

var _ iostrat.Service = (*service)(nil)

// Serve takes the listener's socket over and accepts on loop 0.
//
// The accept task is spawned before the service is registered, so that
// whoever closes the service — its user, the runtime's Close, or Add
// itself when Close has begun — finds a task that will close the listener
// and let Close return: the task stops at its next poll once the service
// is closing, or is dropped (and stops) by a loop that closes first.
func (rt *strategyRuntime) Serve(ln net.Listener, p iostrat.Protocol) (iostrat.Service, error) {
	if err := rt.life.Check(); err != nil {
		return nil, err
	}
	l, err := netfd.Detach(ln)
	if err != nil {
		return nil, err
	}
	s := &service{rt: rt, ln: l, proto: p, done: make(chan struct{})}
	s.active.Store(1) // the accept task
	SpawnDetached(rt.loops[0].e, &acceptTask{svc: s, lp: rt.loops[0]})
	if err := rt.life.Add(s); err != nil {
		return nil, err // Add closed s, and with it the listener
	}
	return s, nil
}

func (s *service) Addr() net.Addr { return s.ln.Addr }
func (s *service) Conns() int     { return int(s.conns.Load()) }

// Close stops accepting and reading, lets each connection write what it
// has produced (until the drain deadline), and returns when every
// connection and the listener are closed.
func (s *service) Close() error {
	s.closeOnce.Do(func() {
		s.drainDeadline.Store(timerheap.Now() + int64(iostrat.DrainTimeout))
		s.closing.Store(true)
		for _, lp := range s.rt.loops {
			lp.e.post(inboxEntry{op: &serviceStop{svc: s, lp: lp}})
		}
		if s.active.Load() == 0 {
			s.finish()
		}
	})
	<-s.done
	s.rt.life.Remove(s)
	return nil
}

// taskDone counts one accept or connection task as finished.
func (s *service) taskDone() {
	if s.active.Add(-1) == 0 && s.closing.Load() {
		s.finish()
	}
}

func (s *service) finish() { s.doneOnce.Do(func() { close(s.done) }) }

// serviceStop wakes, on one loop, every task of a closing service, so each
// sees the closing flag at its next poll.
type serviceStop struct {
	svc *service
	lp  *loop
}

func (op *serviceStop) runOnOwner(*Executor) {
	for c := range op.lp.conns {
		if c.svc == op.svc {
			c.self.WakeByRef()
		}
	}
	for a := range op.lp.acceptors {
		if a.svc == op.svc {
			a.self.WakeByRef()
		}
	}
}

// acceptBudget bounds the connections one poll of the accept task takes
// before it yields to the other tasks of its loop.
const acceptBudget = 64

// acceptTask accepts connections and spreads them over the loops.
type acceptTask struct {
	svc     *service
	lp      *loop
	src     Source
	self    Waker
	next    int // round-robin position
	backoff SleepFuture
	waiting bool // in backoff after an accept error
	started bool
}

func (a *acceptTask) Poll(cx *Context) Poll[struct{}] {
	s := a.svc
	if !a.started {
		a.started = true
		src, err := cx.exec.Register(s.ln.FD)
		if err != nil {
			s.rt.opts.Logf("futures: registering listener: %v", err)
			a.stop()
			return Ready(struct{}{})
		}
		a.src = src
		a.self = cx.Waker().Clone()
		a.lp.acceptors[a] = struct{}{}
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
			s.rt.opts.Logf("futures: accept: %v", err)
			a.backoff = Sleep(10 * time.Millisecond)
			a.waiting = true
			continue
		}
		loops := s.rt.loops
		lp := loops[a.next%len(loops)]
		a.next++
		s.active.Add(1)
		s.conns.Add(1)
		SpawnDetached(lp.e, &connTask{svc: s, lp: lp, fd: p.value.FD})
	}
}

// stop closes the listener; the task is done.
func (a *acceptTask) stop() {
	if a.waiting {
		a.backoff.Drop()
		a.waiting = false
	}
	delete(a.lp.acceptors, a)
	a.self.Drop()
	if a.src.ok {
		a.src.Close()
	} else {
		netfd.Close(a.svc.ln.FD)
	}
	a.svc.taskDone()
}

// Drop closes the listener of an accept task dropped by a closing loop.
func (a *acceptTask) Drop() { a.stop() }

// readBudget bounds the reads one poll of a connection makes before it
// yields to the other connections of its loop.
const readBudget = 16

// connTask serves one connection.
type connTask struct {
	svc *service
	lp  *loop
	fd  int
	src Source
	h   iostrat.Handler
	out []byte // output produced and not yet written: out[off:]
	off int

	self       Waker // to be woken when the service closes
	drain      SleepFuture
	draining   bool
	eof        bool // the client half-closed
	closeAfter bool // the handler asked to close after writing
	paused     bool // backpressure: not reading
	started    bool
	closed     bool
}

// maxIdleOut is the output buffer capacity a connection keeps once its
// output is written; a larger buffer, grown by a burst, is let go.
const maxIdleOut = 64 << 10

func (c *connTask) Poll(cx *Context) Poll[struct{}] {
	if !c.started {
		c.started = true
		src, err := cx.exec.Register(c.fd)
		if err != nil {
			c.svc.rt.opts.Logf("futures: registering connection: %v", err)
			c.close()
			return Ready(struct{}{})
		}
		c.src = src
		c.h = c.svc.proto.NewHandler()
		c.self = cx.Waker().Clone()
		c.lp.conns[c] = struct{}{}
	}
	highWater := c.svc.rt.opts.HighWater
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
		closing := c.svc.closing.Load()
		if pending == 0 && (c.eof || c.closeAfter || closing) {
			c.close()
			return Ready(struct{}{})
		}
		if c.paused && pending < highWater/2 {
			c.paused = false
		} else if !c.paused && pending >= highWater {
			c.paused = true
		}
		if c.eof || c.closeAfter || closing || c.paused {
			if closing {
				if !c.draining {
					c.draining = true
					c.drain = sleepUntil(c.svc.drainDeadline.Load())
				}
				if c.drain.Poll(cx).ready {
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
		p := c.src.PollRead(cx, c.lp.readBuf)
		if !p.ready {
			return Pending[struct{}]()
		}
		switch err := p.value.Err; {
		case err == io.EOF:
			c.eof = true
			continue
		case err != nil:
			if !netfd.IsGone(err) && !errors.Is(err, unix.EBADF) {
				c.svc.rt.opts.Logf("futures: read: %v", err)
			}
			c.close()
			return Ready(struct{}{})
		}
		var act iostrat.Action
		c.out, act = c.h.Handle(c.lp.readBuf[:p.value.N], c.out)
		if act == iostrat.CloseAfterWrite {
			c.closeAfter = true
		}
	}
}

// close ends the connection: timer, reactor slot, fd, handler, counts.
func (c *connTask) close() {
	if c.closed {
		return
	}
	c.closed = true
	if c.draining {
		c.drain.Drop()
	}
	if c.started {
		delete(c.lp.conns, c)
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
	c.svc.conns.Add(-1)
	c.svc.taskDone()
}

// Drop closes a connection whose task is dropped by a closing loop.
func (c *connTask) Drop() { c.close() }
