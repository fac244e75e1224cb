package callback

import (
	"errors"

	"golang.org/x/sys/unix"

	"iostrat/internal/epoll"
	"iostrat/internal/netfd"
)

// connState is where a connection is in its life. The loop that owns the
// connection is the only goroutine that reads or changes it.
//
//	state    reads input                  output                          leaves when
//	reading  yes, hands it to OnData      written at once; the rest       queued output > HighWater: paused;
//	                                      queued until writable           end of stream or Close: closing
//	paused   no, input waits in the       queued output being written     queued output < HighWater/2: reading;
//	         socket (backpressure)                                        end of stream or Close: closing
//	closing  after the client's end of    queued output being written     client's end of stream read after
//	         stream, never; otherwise     (for at most the drain          the output is written, an error, or
//	         read and discarded           timeout); then, if the client   the drain timeout: closed
//	                                      has not closed, FIN (shutdown)
//	closed   —                            —                               never: fd closed, slot freed,
//	                                                                      OnClose called once
//
// A server-initiated end (Close, CloseAfterWrite, Server.Close) lingers
// after its FIN, reading and discarding until the client closes, because
// closing a socket with unread input makes the kernel send a reset that
// can destroy the response before the client has read it.
type connState uint8

const (
	connReading connState = iota // input handed to OnData
	connPaused                   // input left in the socket until output drains
	connClosing                  // output drained, then FIN and linger, then close
	connClosed                   // fd closed; nothing more happens
)

// A Conn is one accepted TCP connection of a Server, served by one loop.
// Its methods are for the loop goroutine only: call them from the
// Server's callbacks or from other callbacks running on c.Loop().
type Conn struct {
	loop  *Loop
	srv   *Server
	share *loopShare
	fd    int

	state      connState
	eof        bool // the client's end of stream has been read
	ending     bool // the server ends the connection: Close was called
	finSent    bool // our sending side is shut down
	peerFin    bool // edge-triggered: the peer's FIN is known, read to the end
	inCallback bool // OnOpen or OnData of this connection is running
	closeLater bool // closeNow was asked for inside the callback
	queued     bool // on the loop's ready list

	closeErr error
	out      []byte // queued output (a pooled buffer), nil when none
	sent     int    // bytes of out already written
	deadline *Timer // bounds the closing state
	ctx      any
}

// errDrainTimeout is the OnClose error of a connection closed because its
// output did not drain, or its client did not close, within the drain
// timeout.
var errDrainTimeout = errors.New("callback: drain timeout")

// Loop returns the loop serving the connection.
func (c *Conn) Loop() *Loop { return c.loop }

// FD returns the connection's socket.
func (c *Conn) FD() int { return c.fd }

// Context returns the value set with SetContext.
func (c *Conn) Context() any { return c.ctx }

// SetContext attaches a value to the connection, typically its protocol
// session.
func (c *Conn) SetContext(v any) { c.ctx = v }

// Pending returns the bytes queued for writing.
func (c *Conn) Pending() int { return len(c.out) - c.sent }

// WriteBuffer returns an empty slice with spare capacity, owned by the
// loop, to build output in and pass to Write without allocating. It stays
// valid until the callback returns and is shared by every connection of
// the loop.
func (c *Conn) WriteBuffer() []byte { return c.loop.writeBuf[:0] }

// Write sends p. When nothing is queued it writes at once; what the socket
// does not take is copied into the connection's output buffer (taken from
// the loop's pool on first use) and written when the socket becomes
// writable. Write never retains p. Once the queued output exceeds the
// server's HighWater, the connection stops being read until it drains
// below half. Write does nothing after Close, or once the connection is
// closed; a write error closes the connection (after the running callback
// returns).
func (c *Conn) Write(p []byte) {
	checkLoopThread(c.loop)
	if len(p) == 0 || c.state == connClosed || c.ending || c.closeLater {
		return
	}
	l := c.loop
	if c.Pending() == 0 {
		n, err := netfd.Write(c.fd, p)
		l.count.Writes++
		if err != nil && err != unix.EAGAIN {
			c.closeNow(err)
			return
		}
		if n == len(p) {
			return
		}
		c.enqueue(p[n:])
		c.updateInterest()
	} else {
		c.enqueue(p)
	}
	if c.state == connReading && c.Pending() > c.srv.cfg.HighWater {
		c.state = connPaused
		c.share.pauses++
		c.updateInterest()
	}
}

// Close ends the connection gracefully: queued output is written, then
// the sending side is shut down and input is discarded until the client
// closes, all within the server's drain timeout. OnData is not called
// again; OnClose is called once the socket is closed.
func (c *Conn) Close() {
	checkLoopThread(c.loop)
	if c.state == connClosed || c.ending {
		return
	}
	c.ending = true
	wasPaused := c.state == connPaused
	c.state = connClosing
	c.deadline = c.loop.AfterFunc(c.srv.cfg.DrainTimeout, c.drainTimedOut)
	if wasPaused && c.srv.edge {
		c.loop.requeue(c) // edges were ignored while paused: discard what came
	}
	c.outputChanged()
}

func (c *Conn) drainTimedOut() {
	c.deadline = nil
	c.closeNow(errDrainTimeout)
}

// onEvents handles one readiness event: write queued output first (it may
// lift backpressure), then read.
func (c *Conn) onEvents(ev uint32) {
	if ev&epoll.RdHup != 0 {
		c.peerFin = true
	}
	if c.Pending() > 0 && ev&(epoll.Out|epoll.Err|epoll.Hup) != 0 {
		c.flush()
	}
	if ev&(epoll.In|epoll.Err|epoll.Hup|epoll.RdHup) != 0 {
		c.readInput()
	}
}

// wantsInput reports whether the connection reads its socket: when
// reading, and when closing before the client's end of stream (to discard).
func (c *Conn) wantsInput() bool {
	return c.state == connReading || (c.state == connClosing && !c.eof)
}

// readInput reads the socket. Level-triggered, it reads once: if more is
// left, epoll reports the fd again next turn. Edge-triggered, it reads
// until a short read (all that was there; new data brings a new edge) or
// end of stream, or until the server's per-turn budget is spent, when it
// puts the connection on the loop's ready list to continue next turn, so
// one busy connection cannot starve the others.
func (c *Conn) readInput() {
	if !c.wantsInput() {
		return
	}
	l, s := c.loop, c.srv
	buf := l.readBuffer(s.cfg.ReadBuffer)
	total := 0
	for {
		n, err := netfd.Read(c.fd, buf)
		l.count.Reads++
		if err != nil {
			if err == unix.EAGAIN {
				if total == 0 {
					l.count.SpuriousWakes++
				}
				return
			}
			c.closeNow(err)
			return
		}
		if n == 0 {
			c.onEOF()
			return
		}
		total += n
		if c.state == connReading && s.cb.OnData != nil {
			c.inCallback = true
			l.count.Callbacks++
			s.cb.OnData(c, buf[:n])
			c.inCallback = false
			if c.closeLater {
				c.closeNow(c.closeErr)
				return
			}
		}
		if !s.edge || !c.wantsInput() {
			return
		}
		if n < len(buf) && !c.peerFin {
			return
		}
		if total >= s.cfg.EdgeBudget {
			l.requeue(c)
			return
		}
	}
}

func (c *Conn) onEOF() {
	c.eof = true
	if c.Pending() == 0 {
		c.closeNow(nil)
		return
	}
	c.state = connClosing
	c.updateInterest()
}

// enqueue copies p behind the queued output.
func (c *Conn) enqueue(p []byte) {
	if c.out == nil {
		c.out = c.loop.getOut(len(p))
	} else if c.sent > 0 && len(c.out)+len(p) > cap(c.out) {
		n := copy(c.out, c.out[c.sent:])
		c.out, c.sent = c.out[:n], 0
	}
	c.out = append(c.out, p...)
}

// flush writes queued output until it is gone or the socket is full.
func (c *Conn) flush() {
	l := c.loop
	for c.sent < len(c.out) {
		n, err := netfd.Write(c.fd, c.out[c.sent:])
		l.count.Writes++
		if err == unix.EAGAIN {
			break
		}
		if err != nil {
			c.closeNow(err)
			return
		}
		c.sent += n
		if c.sent < len(c.out) {
			break // a short write: the socket buffer is full
		}
	}
	c.outputChanged()
}

// outputChanged applies what the queued output allows now: returning the
// buffer when drained, lifting backpressure, and finishing a close.
func (c *Conn) outputChanged() {
	pending := c.Pending()
	if pending == 0 && c.out != nil {
		c.loop.putOut(c.out)
		c.out, c.sent = nil, 0
	}
	switch c.state {
	case connPaused:
		if pending <= c.srv.cfg.HighWater/2 {
			c.state = connReading
			if c.srv.edge {
				c.loop.requeue(c) // edges that came while paused were not acted on
			}
		}
	case connClosing:
		if pending > 0 {
			break
		}
		if c.eof {
			c.closeNow(nil)
			return
		}
		if !c.finSent {
			c.finSent = true
			if err := unix.Shutdown(c.fd, unix.SHUT_WR); err != nil {
				c.closeNow(err)
				return
			}
		}
	}
	c.updateInterest()
}

// updateInterest registers what the connection waits for. Level-triggered,
// input is registered only while it is wanted (else a paused or finished
// connection would be reported ready every turn) and output only while
// something is queued, so EPOLLOUT is armed after a short write or EAGAIN
// and disarmed when drained. Edge-triggered, the fd stays registered for
// both from the start: an edge is reported once, so an unused interest
// costs nothing and no epoll_ctl is needed when output queues up.
func (c *Conn) updateInterest() {
	if c.srv.edge || c.state == connClosed {
		return
	}
	var want uint32
	if c.wantsInput() {
		want |= epoll.In
	}
	if c.Pending() > 0 {
		want |= epoll.Out
	}
	l := c.loop
	if err := l.setInterest(c.fd, &l.fds[c.fd], want); err != nil {
		c.closeNow(err)
	}
}

// closeNow closes the socket at once. Inside the connection's own OnOpen
// or OnData it is deferred until the callback returns, so the callback
// never sees its connection vanish under it.
func (c *Conn) closeNow(err error) {
	if c.state == connClosed {
		return
	}
	if c.inCallback {
		if !c.closeLater {
			c.closeLater, c.closeErr = true, err
		}
		return
	}
	l := c.loop
	c.state = connClosed
	if c.deadline != nil {
		c.deadline.Stop()
		c.deadline = nil
	}
	l.unregister(c.fd)
	netfd.Close(c.fd)
	if c.out != nil {
		l.putOut(c.out)
		c.out, c.sent = nil, 0
	}
	c.srv.closed(c)
	if c.srv.cb.OnClose != nil {
		l.count.Callbacks++
		c.srv.cb.OnClose(c, err)
	}
}

// requeue puts an edge-triggered connection on the ready list, to be read
// next turn without waiting for an edge.
func (l *Loop) requeue(c *Conn) {
	if !c.queued {
		c.queued = true
		l.ready = append(l.ready, c)
	}
}

// runReady reads the connections requeued last turn. Those requeued now
// wait for the next turn.
func (l *Loop) runReady() {
	if len(l.ready) == 0 {
		return
	}
	list := l.ready
	l.ready = l.spare[:0]
	for i, c := range list {
		list[i] = nil
		c.queued = false
		c.readInput()
	}
	l.spare = list[:0]
}

// readBuffer returns the loop's read buffer, n bytes long.
func (l *Loop) readBuffer(n int) []byte {
	if len(l.readBuf) < n {
		l.readBuf = make([]byte, n)
	}
	return l.readBuf[:n]
}

// Output buffer pool limits: buffers start at minOut bytes; only buffers up
// to maxPooledOut return to the pool, and the pool holds at most
// maxPoolOut of them per loop, so a burst of large outputs is left to the
// garbage collector rather than kept.
const (
	minOut       = 4 << 10
	maxPooledOut = 64 << 10
	maxPoolOut   = 64
	// maxWriteBuf bounds the scratch output buffer a loop keeps.
	maxWriteBuf = 256 << 10
)

func (l *Loop) getOut(n int) []byte {
	if k := len(l.outPool); k > 0 {
		b := l.outPool[k-1]
		if cap(b) >= n {
			l.outPool[k-1] = nil
			l.outPool = l.outPool[:k-1]
			return b[:0]
		}
	}
	return make([]byte, 0, max(n, minOut))
}

func (l *Loop) putOut(b []byte) {
	if cap(b) <= maxPooledOut && len(l.outPool) < maxPoolOut {
		l.outPool = append(l.outPool, b[:0])
	}
}

// keepWriteBuf adopts out, grown from WriteBuffer by append, as the loop's
// scratch buffer, so the next callback does not grow it again.
func (l *Loop) keepWriteBuf(out []byte) {
	if cap(out) > cap(l.writeBuf) && cap(out) <= maxWriteBuf {
		l.writeBuf = out[:0]
	}
}
