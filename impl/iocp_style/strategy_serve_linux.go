package iocpstyle

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"iostrat"
	"iostrat/internal/netfd"
)

// Serving with completions. Loop 0 keeps one multishot accept armed on the
// listener; each accepted socket goes to the next loop in turn (a Post to
// that loop, or handled in place). A connection keeps one receive armed:
// multishot into provided buffers where the kernel has them, so an idle
// connection holds no buffer, and at most one send in flight, lending the
// output buffer to the kernel while the handler appends to a second one.
//
// Connection states (flags of conn; several may hold at once):
//
//	receiving   a receive is armed (until its final completion)
//	sending     a send is in flight; sendBuf is lent to the kernel
//	paused      pending output >= HighWater: receive cancelled until it drains below half
//	peerDone    the client half-closed (end of stream): write what is queued, then close
//	draining    the server ends the connection (CloseAfterWrite, service close): input is
//	              read and discarded; once the output is written, shut down the sending
//	              side and linger until the client closes, for at most DrainTimeout
//	shutting    the OpShutdown is in flight
//	aborting    close without writing (peer reset, the linger deadline passed)
//	closing     OpClose submitted; the handler is closed when it completes
//
// The lingering close is net/http's: closing a socket with unread input
// makes the kernel send a reset that can destroy the response before the
// client reads it. A connection is closed only when no receive, send or
// shutdown is in flight, so no completion can arrive for a freed
// connection; tokens carry index and generation anyway, and the linger
// timer, which borrows nothing, may complete after the close.

// service is one Serve call.
type service struct {
	rt    *strategyRuntime
	id    uint64
	lfd   int
	addr  net.Addr
	proto iostrat.Protocol
	conns atomic.Int64

	// mu is held by Serve while the loops learn of the service, so a Close
	// (the user's, or the runtime's) waits until they have.
	mu      sync.Mutex
	started bool // every loop serves it: Close has the loops stop it; guarded by mu
	closed  bool // guarded by mu
	next    int  // round-robin position; loop 0 only
}

// loopService is a service's state on one loop.
type loopService struct {
	svc       *service
	conns     []*conn // this loop's connections of the service
	accepting bool    // loop 0: the accept is armed
	acceptID  OpID
	stopping  bool          // loop 0: accept stopped, listener to close
	closing   bool          // connections are being closed
	done      chan struct{} // signalled when stopping or closing completes
}

// Serve takes the listener's socket over and starts accepting on loop 0.
// The service is registered with the runtime first, so a runtime Close
// that begins meanwhile closes it once its loops know it.
func (rt *strategyRuntime) Serve(ln net.Listener, p iostrat.Protocol) (iostrat.Service, error) {
	if err := rt.life.Check(); err != nil {
		return nil, err
	}
	dl, err := netfd.Detach(ln)
	if err != nil {
		return nil, err
	}
	rt.mu.Lock()
	rt.nextSvc++
	svc := &service{rt: rt, id: rt.nextSvc, lfd: dl.FD, addr: dl.Addr, proto: p}
	rt.mu.Unlock()
	if err := rt.life.Add(svc); err != nil {
		return nil, err // Add closed the service, and so the listener
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if svc.closed {
		return nil, iostrat.ErrClosed
	}
	// Every loop learns of the service before loop 0 accepts for it.
	done := make(chan struct{}, len(rt.loops))
	for _, l := range rt.loops {
		if err := rt.run(l, func(l *loop) {
			l.svcs[svc.id] = &loopService{svc: svc}
			done <- struct{}{}
		}); err != nil {
			svc.closed = true
			netfd.Close(dl.FD)
			rt.life.Remove(svc)
			return nil, iostrat.ErrClosed
		}
	}
	for range rt.loops {
		<-done
	}
	rt.run(rt.loops[0], func(l *loop) {
		l.armAccept(l.svcs[svc.id])
		done <- struct{}{}
	})
	<-done
	svc.started = true
	return svc, nil
}

func (s *service) Addr() net.Addr { return s.addr }
func (s *service) Conns() int     { return int(s.conns.Load()) }

// Close stops accepting (loop 0 cancels its accept and closes the
// listener), then has every loop stop reading, write out what was
// produced for at most DrainTimeout, and close its connections. A
// service the loops never learned of only closes its listener.
func (s *service) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	rt := s.rt
	if !s.started {
		netfd.Close(s.lfd)
		rt.life.Remove(s)
		return nil
	}
	done := make(chan struct{}, len(rt.loops))
	if rt.run(rt.loops[0], func(l *loop) { l.stopAccept(l.svcs[s.id], done) }) == nil {
		<-done
	}
	for _, l := range rt.loops {
		if rt.run(l, func(l *loop) { l.closeService(l.svcs[s.id], done) }) == nil {
			<-done
		}
	}
	rt.life.Remove(s)
	return nil
}

// armAccept keeps an accept on the listener: multishot where the kernel
// has it, so one submission accepts every connection.
func (l *loop) armAccept(ls *loopService) {
	id, err := l.port.Submit(Op{Kind: OpAccept, FD: ls.svc.lfd, Multishot: true, Token: tok(tkAccept, ls.svc.id)})
	if err != nil {
		l.rt.opts.Logf("%s: accept: %v", l.rt.strategy.Name(), err)
		return
	}
	ls.accepting, ls.acceptID = true, id
}

// acceptRetryDelay pauses accepting after an accept error such as EMFILE,
// so a persistent error does not spin the loop.
const acceptRetryDelay = 10 * time.Millisecond

func (l *loop) onAccept(id uint64, c *Completion) {
	ls := l.svcs[id]
	if ls == nil {
		if c.Err == nil {
			netfd.Close(c.Result)
		}
		return
	}
	if c.Err == nil {
		fd := c.Result
		switch {
		case ls.stopping:
			netfd.Close(fd)
		default:
			l.dispatch(ls, fd)
		}
	}
	if c.More {
		return
	}
	ls.accepting = false
	switch {
	case ls.stopping:
		l.closeListener(ls)
	case c.Err == nil || errors.Is(c.Err, syscall.ECANCELED):
		l.armAccept(ls) // a single-shot accept, or a multishot one the kernel ended
	default:
		l.rt.opts.Logf("%s: accept: %v", l.rt.strategy.Name(), c.Err)
		l.submit(Op{Kind: OpTimeout, Timeout: acceptRetryDelay, Token: tok(tkAcceptRetry, id)})
	}
}

func (l *loop) onAcceptRetry(id uint64) {
	if ls := l.svcs[id]; ls != nil && !ls.stopping && !ls.accepting {
		l.armAccept(ls)
	}
}

// dispatch gives a new connection to the next loop in turn.
func (l *loop) dispatch(ls *loopService, fd int) {
	svc := ls.svc
	target := l.rt.loops[svc.next%len(l.rt.loops)]
	svc.next++
	if target == l {
		l.adopt(ls, fd)
		return
	}
	// A Post, not MSG_RING: posts to one loop are delivered in order, so
	// a connection handed over before the service closes is adopted
	// before the loop hears of the close.
	if target.port.Post(tok(tkAdopt, svc.id), int32(fd)) != nil {
		netfd.Close(fd)
	}
}

func (l *loop) onAdopt(id uint64, fd int) {
	ls := l.svcs[id]
	if ls == nil || ls.closing {
		netfd.Close(fd)
		return
	}
	l.adopt(ls, fd)
}

// adopt starts serving fd on this loop.
func (l *loop) adopt(ls *loopService, fd int) {
	c := l.conns.alloc()
	c.fd, c.ls, c.h = fd, ls, ls.svc.proto.NewHandler()
	c.svcPos = len(ls.conns)
	ls.conns = append(ls.conns, c)
	ls.svc.conns.Add(1)
	l.armRecv(c)
	l.maybeClose(c) // the receive could not be submitted: close at once
}

// stopAccept cancels the accept; the listener is closed when its final
// completion arrives, then done is signalled.
func (l *loop) stopAccept(ls *loopService, done chan struct{}) {
	ls.stopping, ls.done = true, done
	if ls.accepting {
		l.port.Cancel(ls.acceptID)
		return
	}
	l.closeListener(ls)
}

func (l *loop) closeListener(ls *loopService) {
	l.submit(Op{Kind: OpClose, FD: ls.svc.lfd, Token: tok(tkListenerClosed, ls.svc.id)})
}

func (l *loop) onListenerClosed(id uint64) {
	if ls := l.svcs[id]; ls != nil {
		ls.done <- struct{}{}
	}
}

// closeService ends every connection of the service on this loop: each
// writes its output and lingers (see the connection states), for at most
// DrainTimeout.
func (l *loop) closeService(ls *loopService, done chan struct{}) {
	ls.closing, ls.done = true, done
	for _, c := range append([]*conn(nil), ls.conns...) {
		l.startDrain(c)
		l.maybeClose(c)
	}
	if len(ls.conns) == 0 {
		l.serviceClosed(ls)
	}
}

func (l *loop) serviceClosed(ls *loopService) {
	delete(l.svcs, ls.svc.id)
	ls.done <- struct{}{}
}

// conn is one connection served by a loop.
type conn struct {
	idx    uint32
	gen    uint32
	fd     int
	ls     *loopService
	svcPos int
	h      iostrat.Handler

	recvID   OpID
	sendID   OpID
	lingerID OpID   // the DrainTimeout timer of a draining connection, or 0
	sendBuf  []byte // lent to the kernel while sending
	sendOff  int
	pend     []byte // output produced while a send is in flight
	rbuf     []byte // receive buffer, only where the port has no provided buffers

	receiving, sending, paused, peerDone, draining, shutting, shut, aborting, closing bool
}

// maxKeptBuffer is the output capacity a connection keeps once its output
// is written; larger buffers go back to the garbage collector, so idle
// connections stay small.
const maxKeptBuffer = 16 << 10

func (c *conn) token(k tokKind) Token {
	return tok(k, uint64(c.gen&0xFFFFFF)<<24|uint64(c.idx))
}

func (c *conn) pending() int { return len(c.sendBuf) - c.sendOff + len(c.pend) }

// wantsToRead: a receive should be armed (draining connections read too,
// to discard).
func (c *conn) wantsToRead() bool {
	return !c.paused && !c.peerDone && !c.aborting && !c.closing
}

// connTable holds a loop's connections by index, reusing entries; the
// generation changes on every reuse.
type connTable struct {
	items []*conn
	free  []uint32
}

func (t *connTable) alloc() *conn {
	if k := len(t.free); k > 0 {
		i := t.free[k-1]
		t.free = t.free[:k-1]
		c := t.items[i]
		*c = conn{idx: i, gen: c.gen + 1}
		return c
	}
	c := &conn{idx: uint32(len(t.items))}
	t.items = append(t.items, c)
	return c
}

func (t *connTable) release(c *conn) {
	gen := c.gen
	*c = conn{idx: c.idx, gen: gen}
	t.free = append(t.free, c.idx)
}

func (t *connTable) lookup(payload uint64) *conn {
	i, gen := uint32(payload&0xFFFFFF), uint32(payload>>24)&0xFFFFFF
	if int(i) >= len(t.items) {
		return nil
	}
	if c := t.items[i]; c.gen&0xFFFFFF == gen && c.h != nil {
		return c
	}
	return nil
}

// recvMode describes how connections receive on this loop's port.
func (l *loop) recvMode() string {
	switch {
	case l.port.multishotRecv():
		return "multishot+provided-buffers"
	case l.port.providedBuffers():
		return "provided-buffers"
	}
	return "buffer-per-connection"
}

func (l *loop) ringToRing() string {
	if l.port.msgRing() {
		return "IORING_OP_MSG_RING"
	}
	return "eventfd-post"
}

func (l *loop) acceptMode() string {
	if l.port.u != nil && !l.port.u.feat.multishotAccept {
		return "single-shot"
	}
	return "multishot"
}

func (l *loop) armRecv(c *conn) {
	op := Op{Kind: OpRecv, FD: c.fd, Token: c.token(tkRecv), Multishot: l.port.multishotRecv()}
	if !l.port.providedBuffers() {
		if c.rbuf == nil {
			c.rbuf = make([]byte, l.rt.opts.ReadBuffer)
		}
		op.Buf = c.rbuf
	}
	id, err := l.port.Submit(op)
	if err != nil {
		c.aborting = true
		return
	}
	c.recvID, c.receiving = id, true
}

func (l *loop) stopReading(c *conn) {
	if c.receiving {
		l.port.Cancel(c.recvID)
	}
}

func (l *loop) onConn(kind tokKind, payload uint64, comp *Completion) {
	c := l.conns.lookup(payload)
	if c == nil {
		return // a linger timer completing after its connection closed
	}
	switch kind {
	case tkRecv:
		l.onRecv(c, comp)
	case tkSend:
		l.onSend(c, comp)
	case tkShutdown:
		c.shutting, c.shut = false, true
		if comp.Err != nil {
			c.aborting = true
		}
	case tkLinger:
		c.lingerID = 0
		if comp.Err == nil { // fired, not cancelled: give up on the client
			c.aborting = true
		}
	case tkClosed:
		l.onClosed(c)
		return
	}
	l.maybeClose(c)
}

func (l *loop) onRecv(c *conn, comp *Completion) {
	if !comp.More {
		c.receiving = false
	}
	switch err := comp.Err; {
	case err == nil && comp.Result > 0:
		if c.draining || c.aborting || c.closing {
			break // input after the server ended the connection is discarded
		}
		out, action := c.h.Handle(comp.Buf[:comp.Result], c.pend)
		c.pend = out
		if action == iostrat.CloseAfterWrite {
			l.startDrain(c)
			break
		}
		l.flush(c)
		if !c.paused && c.pending() >= l.rt.opts.HighWater {
			c.paused = true
			l.stopReading(c)
		}
	case err == nil: // end of stream: the client half-closed, or closed after our shutdown
		c.peerDone = true
	case errors.Is(err, syscall.ECANCELED), errors.Is(err, syscall.ENOBUFS):
		// Cancelled by us (pause, close) or out of provided buffers (the
		// next Wait recycles some): receive again below if still wanted.
	default: // reset or another error: the peer is gone
		c.aborting = true
	}
	if !c.receiving && c.wantsToRead() {
		l.armRecv(c) // a single-shot receive, or a multishot one that ended
	}
}

// startDrain ends the connection from the server's side: no more input is
// handled, the output is written, and the linger deadline starts.
func (l *loop) startDrain(c *conn) {
	if c.draining || c.closing {
		return
	}
	c.draining = true
	c.paused = false // input is now discarded, so backpressure is moot
	if c.lingerID == 0 {
		c.lingerID = l.submit(Op{Kind: OpTimeout, Timeout: iostrat.DrainTimeout, Token: c.token(tkLinger)})
	}
	l.flush(c)
	if !c.receiving && c.wantsToRead() {
		l.armRecv(c)
	}
}

// flush sends pending output if no send is in flight.
func (l *loop) flush(c *conn) {
	if c.sending || len(c.pend) == 0 || c.aborting {
		return
	}
	c.sendBuf, c.pend = c.pend, c.sendBuf[:0]
	c.sendOff = 0
	l.send(c)
}

func (l *loop) send(c *conn) {
	id, err := l.port.Submit(Op{Kind: OpSend, FD: c.fd, Buf: c.sendBuf[c.sendOff:], Token: c.token(tkSend)})
	if err != nil {
		c.aborting = true
		return
	}
	c.sendID, c.sending = id, true
}

func (l *loop) onSend(c *conn, comp *Completion) {
	c.sending = false
	if comp.Err != nil {
		c.aborting = true // reset, broken pipe, or cancelled by an abort
		return
	}
	c.sendOff += comp.Result
	if c.sendOff < len(c.sendBuf) {
		if !c.aborting {
			l.send(c) // a short send: the rest
		}
		return
	}
	if cap(c.sendBuf) > maxKeptBuffer {
		c.sendBuf = nil
	}
	c.sendBuf, c.sendOff = c.sendBuf[:0], 0
	l.flush(c)
	if c.paused && c.pending() < l.rt.opts.HighWater/2 {
		c.paused = false
		if !c.receiving && c.wantsToRead() {
			l.armRecv(c)
		}
	}
}

// maybeClose moves an ending connection on: shut down its sending side
// once a draining connection's output is written, and close it once
// nothing is in flight and nothing is left to do.
func (l *loop) maybeClose(c *conn) {
	if c.closing {
		return
	}
	written := !c.sending && len(c.pend) == 0
	switch {
	case c.aborting:
		if c.receiving {
			l.port.Cancel(c.recvID)
		}
		if c.sending {
			l.port.Cancel(c.sendID)
		}
	case c.draining:
		if !written {
			return
		}
		if !c.shut && !c.shutting {
			c.shutting = true
			l.submit(Op{Kind: OpShutdown, FD: c.fd, Token: c.token(tkShutdown)})
			return
		}
		if !c.peerDone {
			return // linger: read and discard until the client closes
		}
	case c.peerDone:
		if !written {
			return
		}
		l.stopReading(c)
	default:
		return
	}
	if c.receiving || c.sending || c.shutting {
		return // their completions come first
	}
	c.closing = true
	if c.lingerID != 0 {
		l.port.Cancel(c.lingerID)
		c.lingerID = 0
	}
	if _, err := l.port.Submit(Op{Kind: OpClose, FD: c.fd, Token: c.token(tkClosed)}); err != nil {
		netfd.Close(c.fd)
		l.onClosed(c)
	}
}

// onClosed ends the connection: handler closed exactly once, counted out
// of the service, table entry freed.
func (l *loop) onClosed(c *conn) {
	c.h.Close()
	ls := c.ls
	last := ls.conns[len(ls.conns)-1]
	ls.conns[c.svcPos] = last
	last.svcPos = c.svcPos
	ls.conns[len(ls.conns)-1] = nil
	ls.conns = ls.conns[:len(ls.conns)-1]
	ls.svc.conns.Add(-1)
	l.conns.release(c)
	if ls.closing && len(ls.conns) == 0 {
		l.serviceClosed(ls)
	}
}
