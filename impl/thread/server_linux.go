package thread

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A Handler is one connection's session: it turns the bytes received into
// the bytes to send and never reads, writes or blocks itself. A Server
// makes one per connection and calls it from that connection's thread
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
	// connection thread holds while it is blocked in read. 0 means 16 KiB.
	ReadBuffer int
	// DrainTimeout bounds the end of a connection: how long a lingering
	// close waits for the client to close after the server's FIN, and how
	// long Close lets connections finish before it shuts their sockets
	// down. 0 means one second.
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

// A Server serves a TCP listener with one thread per connection and
// blocking sockets throughout: an accept thread blocks in accept4 on the
// listening socket, and each connection's thread blocks in read and in
// send on its own. No netpoller and no epoll are involved; the kernel
// wakes the thread whose socket is ready. A blocked send is the
// backpressure: the thread stops reading until the client reads.
//
// A connection is refused (closed at once) if its thread would exceed
// [Limits.Cap].
type Server struct {
	lfd        int // the listening socket, blocking; closed after the accept thread ends
	addr       net.Addr
	newHandler func(remote net.Addr) Handler
	cfg        ServerConfig

	threads Group  // the accept thread and every connection thread
	closing uint32 // futex word: 1 once Close began; the accept backoff sleeps on it
	bufs    sync.Pool

	mu   sync.Mutex // guards open; held for map updates and shutdowns, never across a wait
	open map[*conn]struct{}

	closeOnce sync.Once
	closeErr  error
}

// conn is one connection. Only its own thread closes fd, after removing
// the conn from Server.open under Server.mu, and Close shuts fds down only
// under Server.mu: so Close never touches an fd number already reused.
//
// state tells Close whether the thread is blocked in read:
//
//	connBusy    <-> connReading   the thread, around each read
//	either      ->  |connClosing  Close; if the thread was reading, Close
//	                              also sends the FIN on its behalf
//
// The thread's transitions are compare-and-swaps that fail once the
// closing bit is set, so it learns of Close at its next one.
type conn struct {
	fd    int
	state atomic.Uint32
}

const (
	connBusy    = 0 // handling, writing, or between reads
	connReading = 1 // blocked in read, or about to be
	connClosing = 2 // flag: Close began
)

// NewServer takes ownership of ln, a TCP listener, and serves it until
// Close: it returns at once, having started the accept thread. The
// listening socket is taken over (duplicated, ln closed, the copy set to
// blocking mode); ln must not be used again. newHandler is called on each
// new connection's thread with the client's address; it must be safe for
// concurrent use.
func NewServer(ln net.Listener, newHandler func(remote net.Addr) Handler, cfg ServerConfig) (*Server, error) {
	lfd, err := takeListener(ln)
	if err != nil {
		return nil, err
	}
	s := &Server{
		lfd:        lfd,
		addr:       ln.Addr(),
		newHandler: newHandler,
		cfg:        cfg.withDefaults(),
		open:       make(map[*conn]struct{}),
	}
	s.threads.Counters = s.cfg.Counters
	size := s.cfg.ReadBuffer
	s.bufs.New = func() any { b := make([]byte, size); return &b }
	if err := s.threads.Go(s.acceptLoop); err != nil {
		unix.Close(lfd)
		return nil, err
	}
	return s, nil
}

// takeListener duplicates ln's socket, closes ln (the Go runtime
// unregisters its copy from the netpoller) and returns the duplicate in
// blocking mode.
func takeListener(ln net.Listener) (int, error) {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		ln.Close()
		return -1, fmt.Errorf("thread: listener %T has no socket to take over", ln)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		ln.Close()
		return -1, fmt.Errorf("thread: %w", err)
	}
	lfd, derr := -1, error(nil)
	if err := rc.Control(func(fd uintptr) { lfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		derr = err
	}
	ln.Close()
	if derr != nil {
		return -1, fmt.Errorf("thread: dup listener: %w", derr)
	}
	if err := unix.SetNonblock(lfd, false); err != nil {
		unix.Close(lfd)
		return -1, fmt.Errorf("thread: listener to blocking mode: %w", err)
	}
	return lfd, nil
}

// Addr returns the address served.
func (s *Server) Addr() net.Addr { return s.addr }

// Conns returns the number of connections being served.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open)
}

// Counters returns the counters the Server counts into.
func (s *Server) Counters() *Counters { return s.cfg.Counters }

// acceptBackoff bounds the pause after a failed accept (out of fds, or a
// transient failure): it doubles from acceptBackoffMin up to
// acceptBackoffMax, as net/http's does, instead of spinning or giving up.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// acceptLoop is the accept thread: it blocks in accept4 and starts a
// thread per connection. Close wakes it with shutdown(2) on the listening
// socket, which makes a blocked accept4 return EINVAL on Linux.
func (s *Server) acceptLoop() {
	var backoff time.Duration
	for atomic.LoadUint32(&s.closing) == 0 {
		nfd, sa, err := unix.Accept4(s.lfd, unix.SOCK_CLOEXEC)
		s.cfg.Counters.Accepts.Add(1)
		if err != nil {
			if err == unix.EINTR || err == unix.ECONNABORTED {
				continue
			}
			backoff = min(max(2*backoff, acceptBackoffMin), acceptBackoffMax)
			s.pause(backoff)
			continue
		}
		backoff = 0
		c := &conn{fd: nfd}
		remote := tcpAddr(sa)
		s.mu.Lock()
		if atomic.LoadUint32(&s.closing) != 0 {
			s.mu.Unlock()
			unix.Close(nfd)
			continue
		}
		s.open[c] = struct{}{}
		if err := s.threads.Go(func() { s.serveConn(c, remote) }); err != nil {
			delete(s.open, c) // over the thread cap: refused
			unix.Close(nfd)
		}
		s.mu.Unlock()
	}
}

// pause sleeps for d in the kernel, or until Close begins.
func (s *Server) pause(d time.Duration) {
	ts := new(unix.Timespec)
	*ts = unix.NsecToTimespec(int64(monotonicNow() + d))
	futexWaitUntil(&s.closing, 0, ts, s.cfg.Counters)
}

func tcpAddr(sa unix.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
	case *unix.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}
	}
	return &net.TCPAddr{}
}

// serveConn is a connection's thread: read, hand the bytes to the
// handler, write its answer, repeat; every call blocks the thread.
func (s *Server) serveConn(c *conn, remote net.Addr) {
	h := s.newHandler(remote)
	bp := s.bufs.Get().(*[]byte)
	buf := *bp
	var out []byte
	defer func() {
		h.Close()
		s.bufs.Put(bp)
		s.mu.Lock()
		delete(s.open, c)
		s.mu.Unlock()
		unix.Close(c.fd)
	}()
	for {
		if !c.state.CompareAndSwap(connBusy, connReading) {
			s.linger(c, false) // Close began while we were busy
			return
		}
		n, err := s.read(c.fd, buf)
		if !c.state.CompareAndSwap(connReading, connBusy) {
			s.linger(c, true) // Close sent our FIN while we were reading
			return
		}
		if n > 0 {
			var closeAfter bool
			out, closeAfter = h.Handle(buf[:n], out[:0])
			if len(out) > 0 && !s.writeAll(c.fd, out) {
				return // the client reset or vanished
			}
			if closeAfter {
				s.linger(c, false)
				return
			}
			continue
		}
		// End of stream (a half-close included): everything produced is
		// already written, so closing now loses nothing. Or an error: the
		// client reset the connection.
		_ = err
		return
	}
}

// read is one blocking read, retried if a signal interrupts it.
func (s *Server) read(fd int, buf []byte) (int, error) {
	for {
		n, err := unix.Read(fd, buf)
		s.cfg.Counters.Reads.Add(1)
		if err == unix.EINTR {
			continue
		}
		return max(n, 0), err
	}
}

// writeAll sends p, blocking until the kernel has taken all of it.
// MSG_NOSIGNAL: a client that reset the connection makes send fail with
// EPIPE instead of raising SIGPIPE.
func (s *Server) writeAll(fd int, p []byte) bool {
	for len(p) > 0 {
		n, err := unix.SendmsgN(fd, p, nil, nil, unix.MSG_NOSIGNAL)
		s.cfg.Counters.Writes.Add(1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false
		}
		p = p[n:]
	}
	return true
}

// linger ends a connection the server chose to end: send FIN after the
// output already written (unless Close sent it), then discard what the
// client still sends until it closes or DrainTimeout passes, so unread
// input cannot turn the close into a reset that destroys the response in
// flight. The wait is a blocking read with SO_RCVTIMEO.
func (s *Server) linger(c *conn, finSent bool) {
	if !finSent && unix.Shutdown(c.fd, unix.SHUT_WR) != nil {
		return
	}
	tv := unix.NsecToTimeval(int64(s.cfg.DrainTimeout))
	unix.SetsockoptTimeval(c.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	var sink [512]byte
	for {
		if n, err := s.read(c.fd, sink[:]); n == 0 || err != nil {
			return
		}
	}
}

// Close stops accepting, ends every connection with a lingering close
// (a connection blocked in read gets its FIN from Close at once; one
// handling or writing sends it after its write), gives them DrainTimeout
// to finish, then shuts down the sockets of those left so their blocked
// reads and writes return, and returns once every thread of the Server
// has ended and every fd is closed. It is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		atomic.StoreUint32(&s.closing, 1)
		var errs []error
		if err := unix.Shutdown(s.lfd, unix.SHUT_RDWR); err != nil && err != unix.ENOTCONN {
			errs = append(errs, fmt.Errorf("thread: shutdown listener: %w", err))
		}
		futexWake(&s.closing, 1, s.cfg.Counters) // an accept backoff in progress
		for c := range s.open {
			if c.state.Or(connClosing) == connReading {
				unix.Shutdown(c.fd, unix.SHUT_WR)
			}
		}
		s.mu.Unlock()
		if !s.threads.latch.waitFor(s.cfg.DrainTimeout, s.cfg.Counters) {
			s.mu.Lock()
			for c := range s.open {
				unix.Shutdown(c.fd, unix.SHUT_RDWR)
			}
			s.mu.Unlock()
		}
		s.threads.Wait()
		if err := unix.Close(s.lfd); err != nil {
			errs = append(errs, fmt.Errorf("thread: close listener: %w", err))
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
