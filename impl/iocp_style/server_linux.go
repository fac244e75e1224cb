package iocpstyle

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"iostrat/internal/netfd"
)

// Serving sockets with completions, as an IOCP server does: submit an
// accept, a receive and a send with buffers on a port, and react to their
// completions.
//
// A [Host] is the serving state on one port: the connections served
// there, and the servers that accept or serve on it. It belongs to the
// port's owner, which hands it every completion whose token lies in the
// host's range ([Host.HandleCompletion]); the host never waits on the
// port itself, so one port carries the host's completions and the
// owner's own side by side. A [Server] is one listener served over one
// or more hosts: the first keeps one multishot accept armed on the
// listener, and accepted sockets are dealt to the hosts in turn (a Post
// to that host's port, or served in place). Other goroutines reach a
// host the same way, by a job queued for it and a completion posted to
// its port naming the job: that is how NewServer and Server.Close reach
// the owners.
//
// A connection keeps one receive armed: multishot into provided buffers
// where the port has them, so an idle connection holds no buffer, and at
// most one send in flight, lending the output buffer to the kernel while
// the handler appends to a second one.
//
// Connection states (flags of conn; several may hold at once):
//
//	receiving   a receive is armed (until its final completion)
//	sending     a send is in flight; sendBuf is lent to the kernel
//	paused      pending output >= HighWater: receive cancelled until it drains below half
//	peerDone    the client half-closed (end of stream): write what is queued, then close
//	draining    the server ends the connection (closeAfter, Server.Close): input is
//	              received and discarded; once the output is written, shut down the
//	              sending side and linger until the client closes, for at most DrainTimeout
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

// A host's tokens, less its base (see HostTokens):
//
//	bits 44-47  hostKind
//	bits  0-43  server kinds: the server's id
//	bits 24-43  connection kinds: the connection's generation (20 bits)
//	bits  0-23  connection kinds: the connection's index in the host's table
type hostKind uint8

const (
	hkJob            hostKind = iota + 1 // run the host's next queued job
	hkAccept                             // accept completion; payload: server id
	hkAcceptRetry                        // re-arm the accept after an error pause
	hkAdopt                              // a connection dealt to this host; result: its fd
	hkListenerClosed                     // the listener's close completed
	hkRecv                               // connection: receive completion
	hkSend                               // connection: send completion
	hkShutdown                           // connection: shutdown completion
	hkLinger                             // connection: the linger deadline
	hkClosed                             // connection: close completion
)

const (
	hostKindShift = 44
	hostPayload   = 1<<hostKindShift - 1
	connIdxBits   = 24
	connIdxMask   = 1<<connIdxBits - 1
	connGenMask   = 1<<(hostKindShift-connIdxBits) - 1
)

func (h *Host) token(k hostKind, payload uint64) Token {
	return h.base | Token(k)<<hostKindShift | Token(payload&hostPayload)
}

// A Host serves connections on one port. It is made for the port by the
// port's owner and used by the owner only: the owner calls
// HandleCompletion with every completion its Wait returns (or at least
// with those in the host's token range), and keeps doing so until every
// Server using the host has been closed.
type Host struct {
	port    *Port
	base    Token
	servers map[uint64]*hostServer // by server id
	conns   connTable

	jobMu   sync.Mutex
	jobs    []func(*Host) // guarded by jobMu; jobs[jobHead:] are queued
	jobHead int           // guarded by jobMu
}

// NewHost makes a host for port p using the tokens base to
// base+HostTokens-1; base must be a multiple of HostTokens.
func NewHost(p *Port, base Token) (*Host, error) {
	if base%HostTokens != 0 || base > MaxPostToken {
		return nil, fmt.Errorf("iocpstyle: host token base %#x is not a multiple of HostTokens below MaxPostToken", uint64(base))
	}
	return &Host{port: p, base: base, servers: make(map[uint64]*hostServer)}, nil
}

// HandleCompletion handles c if its token lies in the host's range and
// reports whether it did; a completion outside the range is the owner's
// own. Owner only. c is not kept after the call (its Buf may be a
// provided buffer the next Wait recycles); it is passed by pointer so a
// batch of completions is dispatched without copying them.
func (h *Host) HandleCompletion(c *Completion) bool {
	if c.Token&^(HostTokens-1) != h.base {
		return false
	}
	t := uint64(c.Token - h.base)
	kind, payload := hostKind(t>>hostKindShift), t&hostPayload
	switch kind {
	case hkJob:
		h.runJob()
	case hkAccept:
		h.onAccept(payload, c)
	case hkAcceptRetry:
		h.onAcceptRetry(payload)
	case hkAdopt:
		h.onAdopt(payload, c.Result)
	case hkListenerClosed:
		h.onListenerClosed(payload)
	case hkRecv, hkSend, hkShutdown, hkLinger, hkClosed:
		h.onConn(kind, payload, c)
	}
	return true
}

// run queues job for the host's owner and posts the completion that
// tells it to run it. Jobs run in the order queued. Any goroutine.
func (h *Host) run(job func(*Host)) error {
	h.jobMu.Lock()
	h.jobs = append(h.jobs, job) // reuses the array once the queue drained
	h.jobMu.Unlock()
	return h.port.Post(h.token(hkJob, 0), 0)
}

func (h *Host) runJob() {
	h.jobMu.Lock()
	job := h.jobs[h.jobHead]
	h.jobs[h.jobHead] = nil
	if h.jobHead++; h.jobHead == len(h.jobs) {
		h.jobs, h.jobHead = h.jobs[:0], 0
	}
	h.jobMu.Unlock()
	job(h)
}

// A Server serves one listening socket over one or more hosts. Its
// methods are safe from any goroutine but Close, which must not be called
// from the owner of one of its hosts (it waits for them).
type Server struct {
	id         uint64
	lfd        int
	addr       net.Addr
	hosts      []*Host
	newHandler func() Handler
	cfg        ServerConfig
	conns      atomic.Int64
	next       int // the host the next connection goes to; the first host's owner only

	closeMu sync.Mutex
	closed  bool  // guarded by closeMu
	err     error // Close's result; guarded by closeMu
}

// serverIDs numbers servers, so tokens and hosts tell them apart.
var serverIDs atomic.Uint64

// NewServer takes ln's socket over (the caller must not use ln again) and
// serves it on hosts until Close: the first host accepts, and every host
// serves a share of the connections. newHandler makes each connection's
// Handler, on the owner of the host that serves it; it must be safe for
// concurrent use when the hosts have different owners. cfg's zero fields
// ask for the defaults.
//
// NewServer returns at once, having queued the server for each host's
// owner; it may be called from an owner. Connections that arrive before
// the first host's owner has armed the accept wait in the listen backlog.
// If a host's port is closed, NewServer fails with an error wrapping
// ErrClosed, and closes the listener.
func NewServer(ln net.Listener, hosts []*Host, newHandler func() Handler, cfg ServerConfig) (*Server, error) {
	if len(hosts) == 0 {
		return nil, errors.New("iocpstyle: NewServer needs at least one host")
	}
	for i, h := range hosts {
		if h == nil || slices.Contains(hosts[:i], h) {
			return nil, errors.New("iocpstyle: NewServer needs distinct, non-nil hosts")
		}
	}
	dl, err := netfd.Detach(ln)
	if err != nil {
		return nil, err
	}
	s := &Server{
		id:         serverIDs.Add(1),
		lfd:        dl.FD,
		addr:       dl.Addr,
		hosts:      append([]*Host(nil), hosts...),
		newHandler: newHandler,
		cfg:        cfg.withDefaults(),
	}
	// Every other host learns of the server before the first one accepts
	// for it: posts to one port are delivered in order, so no connection
	// dealt to a host can overtake the server's arrival there.
	for i := len(hosts) - 1; i >= 0; i-- {
		attach := func(h *Host) { h.attach(s) }
		if i == 0 {
			attach = func(h *Host) { h.armAccept(h.attach(s)) }
		}
		if err := hosts[i].run(attach); err != nil {
			for _, h := range hosts[i+1:] {
				h.run(func(h *Host) { delete(h.servers, s.id) })
			}
			netfd.Close(s.lfd)
			return nil, fmt.Errorf("iocpstyle: NewServer: host %d: %w", i, err)
		}
	}
	return s, nil
}

// Addr returns the address served.
func (s *Server) Addr() net.Addr { return s.addr }

// Conns returns the number of connections being served.
func (s *Server) Conns() int { return int(s.conns.Load()) }

// Close stops accepting (the first host cancels its accept and closes the
// listener), then has every host stop receiving, send out what was
// produced for at most DrainTimeout, and close its connections, calling
// each Handler's Close. It returns when every connection is closed, and
// then returns the first call's result again. It fails, wrapping
// ErrClosed, if a host's port was closed first; that host's connections
// are then left open.
func (s *Server) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return s.err
	}
	s.closed = true
	var errs []error
	done := make(chan struct{}, 1)
	if err := s.hosts[0].run(func(h *Host) { h.stopAccept(h.servers[s.id], done) }); err == nil {
		<-done
	} else {
		netfd.Close(s.lfd) // the owner is gone and never will
		errs = append(errs, fmt.Errorf("iocpstyle: Server.Close: host 0: %w", err))
	}
	for i, h := range s.hosts {
		if err := h.run(func(h *Host) { h.closeServer(h.servers[s.id], done) }); err != nil {
			errs = append(errs, fmt.Errorf("iocpstyle: Server.Close: host %d: %w", i, err))
			continue
		}
		<-done
	}
	s.err = errors.Join(errs...)
	return s.err
}

// hostServer is a server's state on one host.
type hostServer struct {
	srv       *Server
	conns     []*conn // this host's connections of the server
	multishot bool    // connections receive multishot
	provided  bool    // connections receive into provided buffers
	accepting bool    // first host: the accept is armed
	acceptID  OpID
	stopping  bool          // first host: accept stopped, listener to close
	closing   bool          // connections are being closed
	done      chan struct{} // signalled when stopping or closing completes
}

// attach starts serving s on this host.
func (h *Host) attach(s *Server) *hostServer {
	hs := &hostServer{
		srv:       s,
		provided:  h.port.providedBuffers(),
		multishot: h.port.multishotRecv() && !s.cfg.SingleShotRecv,
	}
	h.servers[s.id] = hs
	return hs
}

// armAccept keeps an accept on the listener: multishot where the kernel
// has it, so one submission accepts every connection.
func (h *Host) armAccept(hs *hostServer) {
	id, err := h.port.Submit(Op{Kind: OpAccept, FD: hs.srv.lfd, Multishot: true, Token: h.token(hkAccept, hs.srv.id)})
	if err != nil {
		hs.srv.cfg.Logf("accept: %v", err)
		return
	}
	hs.accepting, hs.acceptID = true, id
}

// acceptRetryDelay pauses accepting after an accept error such as EMFILE,
// so a persistent error does not spin the owner.
const acceptRetryDelay = 10 * time.Millisecond

func (h *Host) onAccept(id uint64, c *Completion) {
	hs := h.servers[id]
	if hs == nil {
		if c.Err == nil {
			netfd.Close(c.Result)
		}
		return
	}
	if c.Err == nil {
		fd := c.Result
		switch {
		case hs.stopping:
			netfd.Close(fd)
		default:
			h.dispatch(hs, fd)
		}
	}
	if c.More {
		return
	}
	hs.accepting = false
	switch {
	case hs.stopping:
		h.closeListener(hs)
	case c.Err == nil || errors.Is(c.Err, syscall.ECANCELED):
		h.armAccept(hs) // a single-shot accept, or a multishot one the kernel ended
	default:
		hs.srv.cfg.Logf("accept: %v", c.Err)
		if _, err := h.port.Submit(Op{Kind: OpTimeout, Timeout: acceptRetryDelay, Token: h.token(hkAcceptRetry, id)}); err != nil {
			hs.srv.cfg.Logf("accept: pausing: %v", err)
		}
	}
}

func (h *Host) onAcceptRetry(id uint64) {
	if hs := h.servers[id]; hs != nil && !hs.stopping && !hs.accepting {
		h.armAccept(hs)
	}
}

// dispatch gives a new connection to the next host in turn.
func (h *Host) dispatch(hs *hostServer, fd int) {
	s := hs.srv
	target := s.hosts[s.next%len(s.hosts)]
	s.next++
	if target == h {
		h.adopt(hs, fd)
		return
	}
	// A Post, not MSG_RING: posts to one port are delivered in order, so
	// a connection handed over before the server closes is adopted
	// before the host hears of the close.
	if target.port.Post(target.token(hkAdopt, s.id), int32(fd)) != nil {
		netfd.Close(fd)
	}
}

func (h *Host) onAdopt(id uint64, fd int) {
	hs := h.servers[id]
	if hs == nil || hs.closing {
		netfd.Close(fd)
		return
	}
	h.adopt(hs, fd)
}

// adopt starts serving fd on this host.
func (h *Host) adopt(hs *hostServer, fd int) {
	c := h.conns.alloc()
	c.fd, c.hs, c.handler = fd, hs, hs.srv.newHandler()
	c.svcPos = len(hs.conns)
	hs.conns = append(hs.conns, c)
	hs.srv.conns.Add(1)
	h.armRecv(c)
	h.maybeClose(c) // the receive could not be submitted: close at once
}

// stopAccept cancels the accept; the listener is closed when its final
// completion arrives, then done is signalled.
func (h *Host) stopAccept(hs *hostServer, done chan struct{}) {
	hs.stopping, hs.done = true, done
	if hs.accepting {
		h.port.Cancel(hs.acceptID)
		return
	}
	h.closeListener(hs)
}

func (h *Host) closeListener(hs *hostServer) {
	if _, err := h.port.Submit(Op{Kind: OpClose, FD: hs.srv.lfd, Token: h.token(hkListenerClosed, hs.srv.id)}); err != nil {
		netfd.Close(hs.srv.lfd)
		h.onListenerClosed(hs.srv.id)
	}
}

func (h *Host) onListenerClosed(id uint64) {
	if hs := h.servers[id]; hs != nil {
		hs.done <- struct{}{}
	}
}

// closeServer ends every connection of the server on this host: each
// writes its output and lingers (see the connection states), for at most
// DrainTimeout.
func (h *Host) closeServer(hs *hostServer, done chan struct{}) {
	hs.closing, hs.done = true, done
	for _, c := range append([]*conn(nil), hs.conns...) {
		h.startDrain(c)
		h.maybeClose(c)
	}
	if len(hs.conns) == 0 {
		h.serverClosed(hs)
	}
}

func (h *Host) serverClosed(hs *hostServer) {
	delete(h.servers, hs.srv.id)
	hs.done <- struct{}{}
}

// conn is one connection served by a host.
type conn struct {
	idx     uint32
	gen     uint32
	fd      int
	hs      *hostServer
	svcPos  int // index in hs.conns
	handler Handler

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

func (h *Host) connToken(k hostKind, c *conn) Token {
	return h.token(k, uint64(c.gen&connGenMask)<<connIdxBits|uint64(c.idx))
}

func (c *conn) pending() int { return len(c.sendBuf) - c.sendOff + len(c.pend) }

// wantsToRead: a receive should be armed (draining connections receive
// too, to discard).
func (c *conn) wantsToRead() bool {
	return !c.paused && !c.peerDone && !c.aborting && !c.closing
}

// connTable holds a host's connections by index, reusing entries; the
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
	i, gen := uint32(payload&connIdxMask), uint32(payload>>connIdxBits)&connGenMask
	if int(i) >= len(t.items) {
		return nil
	}
	if c := t.items[i]; c.gen&connGenMask == gen && c.handler != nil {
		return c
	}
	return nil
}

func (h *Host) armRecv(c *conn) {
	op := Op{Kind: OpRecv, FD: c.fd, Token: h.connToken(hkRecv, c), Multishot: c.hs.multishot}
	if !c.hs.provided {
		if c.rbuf == nil {
			c.rbuf = make([]byte, c.hs.srv.cfg.ReadBuffer)
		}
		op.Buf = c.rbuf
	}
	id, err := h.port.Submit(op)
	if err != nil {
		c.aborting = true
		return
	}
	c.recvID, c.receiving = id, true
}

func (h *Host) stopReading(c *conn) {
	if c.receiving {
		h.port.Cancel(c.recvID)
	}
}

func (h *Host) onConn(kind hostKind, payload uint64, comp *Completion) {
	c := h.conns.lookup(payload)
	if c == nil {
		return // a linger timer completing after its connection closed
	}
	switch kind {
	case hkRecv:
		h.onRecv(c, comp)
	case hkSend:
		h.onSend(c, comp)
	case hkShutdown:
		c.shutting, c.shut = false, true
		if comp.Err != nil {
			c.aborting = true
		}
	case hkLinger:
		c.lingerID = 0
		if comp.Err == nil { // fired, not cancelled: give up on the client
			c.aborting = true
		}
	case hkClosed:
		h.onClosed(c)
		return
	}
	h.maybeClose(c)
}

func (h *Host) onRecv(c *conn, comp *Completion) {
	if !comp.More {
		c.receiving = false
	}
	switch err := comp.Err; {
	case err == nil && comp.Result > 0:
		if c.draining || c.aborting || c.closing {
			break // input after the server ended the connection is discarded
		}
		out, closeAfter := c.handler.Handle(comp.Buf[:comp.Result], c.pend)
		c.pend = out
		if closeAfter {
			h.startDrain(c)
			break
		}
		h.flush(c)
		if !c.paused && c.pending() >= c.hs.srv.cfg.HighWater {
			c.paused = true
			h.stopReading(c)
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
		h.armRecv(c) // a single-shot receive, or a multishot one that ended
	}
}

// startDrain ends the connection from the server's side: no more input is
// handled, the output is written, and the linger deadline starts. Without
// a deadline (the timer could not be submitted) the connection is
// aborted rather than left to linger for ever.
func (h *Host) startDrain(c *conn) {
	if c.draining || c.closing {
		return
	}
	c.draining = true
	c.paused = false // input is now discarded, so backpressure is moot
	if c.lingerID == 0 {
		id, err := h.port.Submit(Op{Kind: OpTimeout, Timeout: c.hs.srv.cfg.DrainTimeout, Token: h.connToken(hkLinger, c)})
		if err != nil {
			c.aborting = true
			return
		}
		c.lingerID = id
	}
	h.flush(c)
	if !c.receiving && c.wantsToRead() {
		h.armRecv(c)
	}
}

// flush sends pending output if no send is in flight.
func (h *Host) flush(c *conn) {
	if c.sending || len(c.pend) == 0 || c.aborting {
		return
	}
	c.sendBuf, c.pend = c.pend, c.sendBuf[:0]
	c.sendOff = 0
	h.send(c)
}

func (h *Host) send(c *conn) {
	id, err := h.port.Submit(Op{Kind: OpSend, FD: c.fd, Buf: c.sendBuf[c.sendOff:], Token: h.connToken(hkSend, c)})
	if err != nil {
		c.aborting = true
		return
	}
	c.sendID, c.sending = id, true
}

func (h *Host) onSend(c *conn, comp *Completion) {
	c.sending = false
	if comp.Err != nil {
		c.aborting = true // reset, broken pipe, or cancelled by an abort
		return
	}
	c.sendOff += comp.Result
	if c.sendOff < len(c.sendBuf) {
		if !c.aborting {
			h.send(c) // a short send: the rest
		}
		return
	}
	if cap(c.sendBuf) > maxKeptBuffer {
		c.sendBuf = nil
	}
	c.sendBuf, c.sendOff = c.sendBuf[:0], 0
	h.flush(c)
	if c.paused && c.pending() < c.hs.srv.cfg.HighWater/2 {
		c.paused = false
		if !c.receiving && c.wantsToRead() {
			h.armRecv(c)
		}
	}
}

// maybeClose moves an ending connection on: shut down its sending side
// once a draining connection's output is written, and close it once
// nothing is in flight and nothing is left to do.
func (h *Host) maybeClose(c *conn) {
	if c.closing {
		return
	}
	written := !c.sending && len(c.pend) == 0
	switch {
	case c.aborting:
		if c.receiving {
			h.port.Cancel(c.recvID)
		}
		if c.sending {
			h.port.Cancel(c.sendID)
		}
	case c.draining:
		if !written {
			return
		}
		if !c.shut && !c.shutting {
			if _, err := h.port.Submit(Op{Kind: OpShutdown, FD: c.fd, Token: h.connToken(hkShutdown, c)}); err != nil {
				c.aborting = true
				h.maybeClose(c)
				return
			}
			c.shutting = true
			return
		}
		if !c.peerDone {
			return // linger: receive and discard until the client closes
		}
	case c.peerDone:
		if !written {
			return
		}
		h.stopReading(c)
	default:
		return
	}
	if c.receiving || c.sending || c.shutting {
		return // their completions come first
	}
	c.closing = true
	if c.lingerID != 0 {
		h.port.Cancel(c.lingerID)
		c.lingerID = 0
	}
	if _, err := h.port.Submit(Op{Kind: OpClose, FD: c.fd, Token: h.connToken(hkClosed, c)}); err != nil {
		netfd.Close(c.fd)
		h.onClosed(c)
	}
}

// onClosed ends the connection: handler closed exactly once, counted out
// of the server, table entry freed.
func (h *Host) onClosed(c *conn) {
	c.handler.Close()
	hs := c.hs
	last := hs.conns[len(hs.conns)-1]
	hs.conns[c.svcPos] = last
	last.svcPos = c.svcPos
	hs.conns[len(hs.conns)-1] = nil
	hs.conns = hs.conns[:len(hs.conns)-1]
	hs.srv.conns.Add(-1)
	h.conns.release(c)
	if hs.closing && len(hs.conns) == 0 {
		h.serverClosed(hs)
	}
}

// recvMode describes how a server's connections receive on port p.
func (p *Port) recvMode(singleShot bool) string {
	switch {
	case p.multishotRecv() && !singleShot:
		return "multishot+provided-buffers"
	case p.providedBuffers():
		return "provided-buffers"
	}
	return "buffer-per-connection"
}

// acceptMode describes how a server accepts on port p.
func (p *Port) acceptMode() string {
	if p.u != nil && !p.u.feat.multishotAccept {
		return "single-shot"
	}
	return "multishot"
}
