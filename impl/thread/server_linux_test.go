package thread_test

import (
	"bytes"
	"errors"
	"go.uber.org/goleak"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"iostrat/impl/thread"
)

// sessions makes test Handlers and records what the Server did with them.
type sessions struct {
	handle func(in, out []byte) ([]byte, bool) // nil: echo

	made    atomic.Int64
	closed  atomic.Int64
	twice   atomic.Int64 // Close called more than once on one handler
	maxRead atomic.Int64 // the longest in passed to Handle
	conns   sync.Map     // remote address seen by newHandler
}

type session struct {
	s      *sessions
	closed bool
}

func (s *sessions) newHandler(remote net.Addr) thread.Handler {
	s.made.Add(1)
	s.conns.Store(remote.String(), true)
	return &session{s: s}
}

func (h *session) Handle(in, out []byte) ([]byte, bool) {
	for {
		m := h.s.maxRead.Load()
		if int64(len(in)) <= m || h.s.maxRead.CompareAndSwap(m, int64(len(in))) {
			break
		}
	}
	if h.s.handle != nil {
		return h.s.handle(in, out)
	}
	return append(out, in...), false
}

func (h *session) Close() {
	if h.closed {
		h.s.twice.Add(1)
	}
	h.closed = true
	h.s.closed.Add(1)
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func dial(t *testing.T, srv *thread.Server) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(watchdog))
	return c.(*net.TCPConn)
}

// closeWithin closes srv, failing the test if Close does not return.
func closeWithin(t *testing.T, srv *thread.Server) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- srv.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(watchdog):
		t.Fatalf("Close did not return within %v", watchdog)
	}
}

func TestServerEcho(t *testing.T) {
	const clients, rounds = 8, 20
	var ss sessions
	srv := newServer(t, listen(t), ss.newHandler, thread.ServerConfig{})
	defer srv.Close()

	conns := make([]*net.TCPConn, clients)
	for i := range conns {
		conns[i] = dial(t, srv)
	}
	eventually(t, "Conns() == clients", func() bool { return srv.Conns() == clients })
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i, c := range conns {
		wg.Go(func() {
			buf := make([]byte, 64)
			for r := range rounds {
				msg := []byte{byte(i), byte(r), 'x', 'y'}
				if _, err := c.Write(msg); err != nil {
					errs <- err
					return
				}
				if _, err := io.ReadFull(c, buf[:len(msg)]); err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(buf[:len(msg)], msg) {
					errs <- errors.New("echo differs: " + string(buf[:len(msg)]))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, c := range conns {
		if _, ok := ss.conns.Load(c.LocalAddr().String()); !ok {
			t.Errorf("newHandler never saw the connection from %v", c.LocalAddr())
		}
		c.Close()
	}
	eventually(t, "Conns() back to 0 after the clients closed", func() bool { return srv.Conns() == 0 })
	if got := srv.Counters().Threads.Load(); got != clients+1 {
		t.Errorf("Counters().Threads = %d, want %d (one thread per connection and the accept thread)", got, clients+1)
	}
	if got := srv.Counters().Accepts.Load(); got < clients {
		t.Errorf("Counters().Accepts = %d, want >= %d", got, clients)
	}
	if got := srv.Counters().Wakes.Load(); got != 0 {
		t.Errorf("Counters().Wakes = %d, want 0", got)
	}
	closeWithin(t, srv)
	if made, closed := ss.made.Load(), ss.closed.Load(); made != clients || closed != clients {
		t.Errorf("handlers made %d, closed %d, want %d each", made, closed, clients)
	}
	if n := ss.twice.Load(); n != 0 {
		t.Errorf("%d handlers closed more than once", n)
	}
}

// Every Handle sees at most ReadBuffer bytes: the buffer a blocked reader
// holds is the configured size.
func TestServerReadBuffer(t *testing.T) {
	const size = 7
	var ss sessions
	srv := newServer(t, listen(t), ss.newHandler, thread.ServerConfig{ReadBuffer: size})
	defer srv.Close()
	c := dial(t, srv)
	msg := bytes.Repeat([]byte("0123456789"), 100)
	go c.Write(msg)
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("echo differs")
	}
	c.Close() // before the deferred Close, which would otherwise linger on it
	if m := ss.maxRead.Load(); m > size || m == 0 {
		t.Errorf("longest read handed to Handle = %d bytes, want 1..%d", m, size)
	}
}

// A client's half-close ends the connection after its answers are written.
func TestServerHalfClose(t *testing.T) {
	var ss sessions
	srv := newServer(t, listen(t), ss.newHandler, thread.ServerConfig{})
	defer srv.Close()
	c := dial(t, srv)
	if _, err := c.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("ReadAll after half-close: %v", err)
	}
	if string(got) != "abc" {
		t.Errorf("got %q, want %q", got, "abc")
	}
	eventually(t, "Conns() back to 0", func() bool { return srv.Conns() == 0 })
	eventually(t, "handler closed", func() bool { return ss.closed.Load() == 1 })
}

// closeAfter writes the answer, then lingers: input the client sent after
// the closing message is read and discarded instead of turning the close
// into a reset that would destroy the answer in flight.
func TestServerCloseAfterLingers(t *testing.T) {
	ss := sessions{handle: func(in, out []byte) ([]byte, bool) {
		return append(out, "bye"...), true
	}}
	srv := newServer(t, listen(t), ss.newHandler, thread.ServerConfig{})
	defer srv.Close()
	c := dial(t, srv)
	// More than the socket buffers hold: unread, it would reset the close.
	junk := make([]byte, 8<<20)
	writeErr := make(chan error, 1)
	go func() {
		_, err := c.Write(append([]byte("quit"), junk...))
		writeErr <- err
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("ReadAll: %v (the answer was reset)", err)
	}
	if string(got) != "bye" {
		t.Errorf("got %q, want %q", got, "bye")
	}
	if err := <-writeErr; err != nil {
		t.Errorf("client Write: %v (the server stopped discarding input)", err)
	}
	c.Close()
	eventually(t, "Conns() back to 0", func() bool { return srv.Conns() == 0 })
	if got := ss.made.Load(); got != 1 {
		t.Errorf("handlers made = %d, want 1", got)
	}
}

// Close interrupts idle readers and ends each connection with a lingering
// close: the client sees end of stream, and Close returns once it closes.
func TestServerCloseIdle(t *testing.T) {
	const clients = 4
	var ss sessions
	srv := newServer(t, listen(t), ss.newHandler, thread.ServerConfig{DrainTimeout: watchdog})
	conns := make([]*net.TCPConn, clients)
	for i := range conns {
		conns[i] = dial(t, srv)
	}
	eventually(t, "Conns() == clients", func() bool { return srv.Conns() == clients })
	done := make(chan error, 1)
	go func() { done <- srv.Close() }()
	for _, c := range conns {
		if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Errorf("client Read after Close = %d, %v; want 0, EOF", n, err)
		}
	}
	// Lingering: Close waits for the clients (DrainTimeout is the watchdog).
	select {
	case err := <-done:
		t.Fatalf("Close returned (%v) before the clients closed", err)
	default:
	}
	for _, c := range conns {
		c.Close()
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(watchdog):
		t.Fatal("Close did not return after the clients closed")
	}
	if n := srv.Conns(); n != 0 {
		t.Errorf("Conns() after Close = %d", n)
	}
	if made, closed := ss.made.Load(), ss.closed.Load(); made != clients || closed != clients {
		t.Errorf("handlers made %d, closed %d, want %d each", made, closed, clients)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if c, err := net.Dial("tcp", srv.Addr().String()); err == nil {
		c.SetReadDeadline(time.Now().Add(watchdog))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Error("a connection made after Close was served")
		}
		c.Close()
	}
}

// A Write blocked on a client that does not read is given DrainTimeout,
// then abandoned: Close returns although the client never reads.
func TestServerCloseBlockedWrite(t *testing.T) {
	answered := make(chan struct{}, 1)
	ss := sessions{handle: func(in, out []byte) ([]byte, bool) {
		answered <- struct{}{}
		return append(out, make([]byte, 32<<20)...), false
	}}
	srv := newServer(t, listen(t), ss.newHandler, thread.ServerConfig{DrainTimeout: 50 * time.Millisecond})
	c := dial(t, srv)
	c.SetReadBuffer(4 << 10)
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	<-answered
	closeWithin(t, srv)
	if n := srv.Conns(); n != 0 {
		t.Errorf("Conns() after Close = %d", n)
	}
	if got := ss.closed.Load(); got != 1 {
		t.Errorf("handlers closed = %d, want 1", got)
	}
}

// Servers given one Counters count into it.
func TestServerSharedCounters(t *testing.T) {
	var count thread.Counters
	count.Threads.Add(5) // counted before, by someone else
	var ss sessions
	a := newServer(t, listen(t), ss.newHandler, thread.ServerConfig{Counters: &count})
	b := newServer(t, listen(t), ss.newHandler, thread.ServerConfig{Counters: &count})
	if a.Counters() != &count || b.Counters() != &count {
		t.Fatal("Counters() is not the Counters configured")
	}
	for _, srv := range []*thread.Server{a, b, a} {
		c := dial(t, srv)
		c.Write([]byte("."))
		io.ReadFull(c, make([]byte, 1))
		c.Close()
	}
	closeWithin(t, a)
	closeWithin(t, b)
	if got := count.Threads.Load(); got != 5+3+2 {
		t.Errorf("shared Threads = %d, want 10 (5 before, 3 connections, 2 accept threads)", got)
	}
}

func newServer(t *testing.T, ln net.Listener, newHandler func(net.Addr) thread.Handler, cfg thread.ServerConfig) *thread.Server {
	t.Helper()
	srv, err := thread.NewServer(ln, newHandler, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// Close wakes the accept thread blocked in accept4 (shutdown(2) on the
// listening socket) and leaves no thread, goroutine or fd behind, with
// and without connections served.
func TestServerCloseLeavesNothing(t *testing.T) {
	ln := listen(t)
	net.Dial("tcp", "127.0.0.1:1") // warm up the resolver's and netpoller's fds
	defer goleak.VerifyNone(t)
	fds := openFDs(t) - 1 // ln is handed over and closed
	var ss sessions
	srv := newServer(t, ln, ss.newHandler, thread.ServerConfig{DrainTimeout: 50 * time.Millisecond})
	eventually(t, "the accept thread running", func() bool { return thread.Running() == 1 })
	closeWithin(t, srv) // nothing ever connected: the accept thread is blocked in accept4
	if n := thread.Running(); n != 0 {
		t.Errorf("Running() = %d after Close", n)
	}

	ln = listen(t)
	srv = newServer(t, ln, ss.newHandler, thread.ServerConfig{DrainTimeout: 50 * time.Millisecond})
	for range 3 {
		c := dial(t, srv)
		c.Write([]byte("x"))
		io.ReadFull(c, make([]byte, 1))
	}
	c := dial(t, srv)
	c.Write([]byte("y"))
	io.ReadFull(c, make([]byte, 1))
	c.Close()
	closeWithin(t, srv) // three clients left open: Close shuts them down after the drain
	if n := thread.Running(); n != 0 {
		t.Errorf("Running() = %d after Close", n)
	}
	eventually(t, "fds back to where they were", func() bool { return openFDs(t) <= fds+3 }) // the clients' own
}
