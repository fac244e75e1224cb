package main

import (
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"iostrat"
)

// drainTimeout bounds a connection the handler asked to close: the time
// to write its output and for the client to close after the FIN. It is
// the callback strategy's default (callback.DefaultDrainTimeout).
const drainTimeout = time.Second

// drainPoll is how often a closing connection checks whether its output
// has been written (see finish).
const drainPoll = time.Millisecond

// maxScratch bounds the output buffer a loop keeps between calls, as the
// callback strategy bounds its loops' scratch buffers.
const maxScratch = 256 << 10

// server is the gnet event handler: one protocol handler per connection,
// driven as the callback strategy drives it (impl/callback,
// protocolCallbacks). Input goes through Handle as gnet reads it; output
// is built in the loop's scratch buffer and written at once, gnet copying
// whatever the socket does not take into the connection's outbound
// buffer. A handler's CloseAfterWrite ends the connection as callback's
// Conn.Close does: the output is written, then the sending side is shut
// down (FIN) and input is read and discarded until the client closes,
// within drainTimeout, because closing a socket with unread input makes
// the kernel send a reset that can destroy the response.
//
// Reads are iostrat.DefaultReadBuffer (16 KiB) as for every strategy
// (gnet's default is 64 KiB). What stays gnet's own is its loop: a
// goroutine, not locked to a thread, that blocks in epoll_wait (callback's
// loop is a thread of its own parked on Go's netpoller, so an idle gnet
// loop costs fewer context switches: ctx-switches/<unit>), its
// ring buffers for input that a read leaves unconsumed and for output the
// socket does not take, a main reactor accepting and handing
// connections to -loops event loops, and no backpressure (gnet reads on
// however much output is queued, where callback stops reading above
// 256 KiB; the benchmarks' clients read as they write, so that limit is
// not reached there).
type server struct {
	gnet.BuiltinEventEngine
	proto   iostrat.Protocol
	loops   int // requested
	log     *countingLogger
	stdout  io.Writer
	scratch sync.Map // gnet.EventLoop → *[]byte, each loop's output buffer

	booted  chan gnet.Engine // receives the engine once it is listening
	bootErr error            // why OnBoot shut the engine down
}

func newServer(p iostrat.Protocol, loops int, log *countingLogger, stdout io.Writer) *server {
	return &server{proto: p, loops: loops, log: log, stdout: stdout, booted: make(chan gnet.Engine, 1)}
}

// session is one connection's state, used only on its loop (the drain
// timer only calls Conn.Close, which gnet runs on the loop).
type session struct {
	h        iostrat.Handler
	out      *[]byte // the loop's scratch output buffer
	ending   bool    // the handler asked to close: input is discarded
	finSent  bool    // the sending side is shut down
	deadline *time.Timer
}

// OnBoot runs when gnet's listener accepts connections ("ready for
// accepting", in gnet's words), before its loops start taking them from
// the backlog: it prints the placement and the address served.
func (s *server) OnBoot(eng gnet.Engine) gnet.Action {
	addr, err := listenAddr(eng)
	if err != nil {
		s.bootErr = err
		return gnet.Shutdown
	}
	fmt.Fprintf(s.stdout, "gomaxprocs %d\n%s\nlistening %s\n", runtime.GOMAXPROCS(0), s.log.loopsLine(s.loops), addr)
	s.booted <- eng
	return gnet.None
}

// listenAddr is the address gnet's one listener is bound to, read from a
// duplicate of its socket (port 0 binds a port the kernel picks).
func listenAddr(eng gnet.Engine) (string, error) {
	fd, err := eng.Dup()
	if err != nil {
		return "", fmt.Errorf("duplicating the listener: %w", err)
	}
	defer unix.Close(fd)
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return "", fmt.Errorf("getsockname: %w", err)
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)).String(), nil
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port)).String(), nil
	}
	return "", fmt.Errorf("listener bound to %T, not an IP address", sa)
}

// OnOpen starts the connection's protocol session.
func (s *server) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	c.SetContext(&session{h: s.proto.NewHandler(), out: s.loopBuffer(c.EventLoop())})
	return nil, gnet.None
}

// loopBuffer is the scratch output buffer of loop l, shared by all its
// connections (a loop runs one callback at a time).
func (s *server) loopBuffer(l gnet.EventLoop) *[]byte {
	if b, ok := s.scratch.Load(l); ok {
		return b.(*[]byte)
	}
	b, _ := s.scratch.LoadOrStore(l, new([]byte))
	return b.(*[]byte)
}

// OnTraffic hands everything read to the handler and writes its answer.
func (s *server) OnTraffic(c gnet.Conn) gnet.Action {
	ss := c.Context().(*session)
	in, _ := c.Next(-1) // all of the input, a view valid until we return
	if ss.ending {
		return ss.finish(c) // input discarded
	}
	out, action := ss.h.Handle(in, (*ss.out)[:0])
	keepScratch(ss.out, out)
	if len(out) > 0 {
		if _, err := c.Write(out); err != nil {
			return gnet.Close
		}
	}
	if action == iostrat.CloseAfterWrite {
		ss.ending = true
		ss.deadline = time.AfterFunc(drainTimeout, func() { _ = c.Close() })
		return ss.finish(c)
	}
	return gnet.None
}

// finish shuts down the sending side once gnet has handed all the output
// to the socket. gnet has no event for a drained outbound buffer, so
// while output is queued the connection looks again drainPoll later
// (Wake runs OnTraffic on its loop); waking it at once instead would
// spin the loop, and slow the very writes it waits for.
func (ss *session) finish(c gnet.Conn) gnet.Action {
	if ss.finSent {
		return gnet.None
	}
	if c.OutboundBuffered() > 0 {
		time.AfterFunc(drainPoll, func() { _ = c.Wake(nil) })
		return gnet.None
	}
	ss.finSent = true
	if err := unix.Shutdown(c.Fd(), unix.SHUT_WR); err != nil {
		return gnet.Close
	}
	return gnet.None
}

// OnClose ends the session, however the connection ended: the client
// closed it, an error, the drain timeout, or the engine stopping.
func (s *server) OnClose(c gnet.Conn, _ error) gnet.Action {
	ss, ok := c.Context().(*session)
	if !ok {
		return gnet.None
	}
	if ss.deadline != nil {
		ss.deadline.Stop()
	}
	ss.h.Close()
	return gnet.None
}

// keepScratch adopts out, grown from the loop's buffer by append, as the
// loop's buffer, so the next call does not grow it again.
func keepScratch(buf *[]byte, out []byte) {
	if cap(out) > cap(*buf) && cap(out) <= maxScratch {
		*buf = out[:0]
	}
}
