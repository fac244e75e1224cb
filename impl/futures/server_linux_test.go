package futures

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// runExecutors starts n executors, each run by a goroutine locked to its
// thread, stopped and closed at the end of the test (after any Server
// started later, as cleanups run last first).
func runExecutors(t testing.TB, n int) []*Executor {
	t.Helper()
	execs := make([]*Executor, n)
	var wg sync.WaitGroup
	for i := range execs {
		e, err := NewExecutor(Config{})
		if err != nil {
			t.Fatal(err)
		}
		execs[i] = e
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			if err := e.Run(); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(func() {
		for _, e := range execs {
			e.Stop()
		}
		wg.Wait()
		for _, e := range execs {
			if err := e.Close(); err != nil {
				t.Error(err)
			}
		}
	})
	return execs
}

// sessions makes the Handlers of a test Server and counts their Closes.
type sessions struct {
	made, closed atomic.Int64
}

// echo returns a Handler factory whose sessions echo their input, and
// answer "quit\n" at the start of an input with "bye\n" and closeAfter.
func (ss *sessions) echo() func() Handler {
	return func() Handler {
		ss.made.Add(1)
		return &echoSession{ss: ss}
	}
}

type echoSession struct {
	ss     *sessions
	closed bool
}

func (h *echoSession) Handle(in, out []byte) ([]byte, bool) {
	if h.closed {
		panic("Handle after Close")
	}
	if bytes.HasPrefix(in, []byte("quit\n")) {
		return append(out, "bye\n"...), true
	}
	return append(out, in...), false
}

func (h *echoSession) Close() {
	if h.closed {
		panic("Close called twice")
	}
	h.closed = true
	h.ss.closed.Add(1)
}

// serve starts a Server over execs on a fresh loopback listener, closed at
// the end of the test (before the executors).
func serve(t testing.TB, execs []*Executor, newHandler func() Handler, cfg ServerConfig) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(execs, ln, newHandler, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func dialServer(t testing.TB, s *Server) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(time.Minute))
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// eventually waits (up to a minute) for cond.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still false after a minute", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// connState is what inspect reports about the connections of one
// executor's share of a Server.
type connState struct {
	conns, paused, lingering, maxPending int
}

// inspectOp reads the connections' state on their executor's goroutine.
type inspectOp struct {
	sh  *serverShare
	out chan connState
}

func (op *inspectOp) runOnOwner(*Executor) {
	var s connState
	for c := range op.sh.conns {
		s.conns++
		if c.paused {
			s.paused++
		}
		if c.lingering {
			s.lingering++
		}
		s.maxPending = max(s.maxPending, len(c.out)-c.off)
	}
	op.out <- s
}

// inspect reports the state of the connections s serves on its i-th
// executor.
func inspect(s *Server, i int) connState {
	out := make(chan connState, 1)
	sh := &s.shares[i]
	sh.e.post(inboxEntry{op: &inspectOp{sh: sh, out: out}})
	return <-out
}

// Several clients at once, each doing round trips of random sizes over two
// executors: every byte comes back in order, the connections are spread
// over both executors, and each session is closed once its client leaves.
func TestServerEcho(t *testing.T) {
	const clients, rounds = 8, 20
	execs := runExecutors(t, 2)
	var ss sessions
	s := serve(t, execs, ss.echo(), ServerConfig{})
	cs := make([]*net.TCPConn, clients)
	for i := range cs {
		cs[i] = dialServer(t, s)
	}
	eventually(t, "Conns() reaches the number of clients", func() bool { return s.Conns() == clients })
	for i := range execs {
		if st := inspect(s, i); st.conns != clients/len(execs) {
			t.Errorf("executor %d serves %d connections, want %d", i, st.conns, clients/len(execs))
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i, c := range cs {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			for range rounds {
				msg := make([]byte, 1+rng.IntN(100<<10))
				for j := range msg {
					msg[j] = byte(rng.Uint32())
				}
				werr := make(chan error, 1)
				go func() { _, err := c.Write(msg); werr <- err }()
				got := make([]byte, len(msg))
				if _, err := io.ReadFull(c, got); err != nil {
					errs <- fmt.Errorf("client %d: %w", i, err)
					return
				}
				if err := <-werr; err != nil {
					errs <- fmt.Errorf("client %d: %w", i, err)
					return
				}
				if !bytes.Equal(got, msg) {
					errs <- fmt.Errorf("client %d: echo differs from what was sent", i)
					return
				}
			}
			c.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	eventually(t, "Conns() back to 0", func() bool { return s.Conns() == 0 })
	eventually(t, "every session closed", func() bool { return ss.closed.Load() == clients })
	if m := ss.made.Load(); m != clients {
		t.Errorf("%d sessions made for %d connections", m, clients)
	}
}

// A client that half-closes gets all its output, then end of stream.
func TestServerHalfClose(t *testing.T) {
	execs := runExecutors(t, 1)
	var ss sessions
	s := serve(t, execs, ss.echo(), ServerConfig{})
	c := dialServer(t, s)
	msg := bytes.Repeat([]byte("half-close "), 10000)
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("read %d bytes after a half-close, want the %d sent", len(got), len(msg))
	}
	eventually(t, "Conns() back to 0", func() bool { return s.Conns() == 0 })
	eventually(t, "the session closed", func() bool { return ss.closed.Load() == 1 })
}

// A Handler that asks to close after its answer: the client reads the
// answer, then end of stream, even though it sent more than the server
// read (closing with that input unread would reset the connection); the
// server discards the rest and keeps the connection until the client
// closes.
func TestServerCloseAfterLingers(t *testing.T) {
	execs := runExecutors(t, 1)
	var ss sessions
	s := serve(t, execs, ss.echo(), ServerConfig{ReadBuffer: 4 << 10, DrainTimeout: time.Hour})
	c := dialServer(t, s)
	// More than one read and than the socket buffers hold: the server
	// reads "quit\n" and a little after it, and must drain the rest.
	junk := bytes.Repeat([]byte("unread input "), 1<<20/13)
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(append([]byte("quit\n"), junk...))
		werr <- err
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading the answer: %v (closed with unread input: reset)", err)
	}
	if string(got) != "bye\n" {
		t.Fatalf("read %q, want %q then end of stream", got, "bye\n")
	}
	if err := <-werr; err != nil {
		t.Fatalf("writing while the server lingers: %v", err)
	}
	if st := inspect(s, 0); st.lingering != 1 || s.Conns() != 1 {
		t.Fatalf("after its FIN, before the client closes: %+v, Conns() = %d; want one lingering connection", st, s.Conns())
	}
	c.Close()
	eventually(t, "Conns() back to 0 once the client closed", func() bool { return s.Conns() == 0 })
	eventually(t, "the session closed", func() bool { return ss.closed.Load() == 1 })
}

// A lingering connection whose client never closes is closed once
// DrainTimeout has passed.
func TestServerLingerTimeout(t *testing.T) {
	execs := runExecutors(t, 1)
	var ss sessions
	s := serve(t, execs, ss.echo(), ServerConfig{DrainTimeout: 50 * time.Millisecond})
	c := dialServer(t, s)
	if _, err := io.WriteString(c, "quit\n"); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "bye\n" {
		t.Fatalf("read %q, %v; want %q then end of stream", got, err, "bye\n")
	}
	eventually(t, "Conns() back to 0 with the client still open", func() bool { return s.Conns() == 0 })
	if n := ss.closed.Load(); n != 1 {
		t.Fatalf("%d sessions closed, want 1", n)
	}
}

// Close with idle connections: each client reads end of stream (not a
// reset), and Close returns once the clients have closed in answer — the
// drain timeout is an hour, so nothing else ends the lingering. Close is
// idempotent.
func TestServerCloseIdle(t *testing.T) {
	const clients = 16
	execs := runExecutors(t, 2)
	var ss sessions
	s := serve(t, execs, ss.echo(), ServerConfig{DrainTimeout: time.Hour})
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		c := dialServer(t, s)
		if _, err := io.WriteString(c, "ping"); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4)
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			defer c.Close()
			if n, err := c.Read(buf); err != io.EOF {
				errs <- fmt.Errorf("client %d: read %d bytes, %v after Close; want end of stream", i, n, err)
			}
		})
	}
	eventually(t, "Conns() reaches the number of clients", func() bool { return s.Conns() == clients })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := s.Conns(); n != 0 {
		t.Errorf("Conns() = %d after Close", n)
	}
	if n := ss.closed.Load(); n != clients {
		t.Errorf("%d sessions closed after Close, want %d", n, clients)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if c, err := net.Dial("tcp", s.Addr().String()); err == nil {
		c.Close()
		t.Fatal("the listener still accepts after Close")
	}
}

// Close while a connection cannot write (its client never reads): Close
// returns once DrainTimeout has passed, with the connection closed.
func TestServerCloseBlockedWriter(t *testing.T) {
	execs := runExecutors(t, 1)
	var ss sessions
	s := serve(t, execs, ss.echo(), ServerConfig{HighWater: 64 << 10, DrainTimeout: 50 * time.Millisecond})
	c := dialServer(t, s)
	go func() {
		chunk := make([]byte, 64<<10)
		for {
			if _, err := c.Write(chunk); err != nil {
				return // the server closed, or the test did
			}
		}
	}()
	eventually(t, "the connection is paused with output pending", func() bool {
		st := inspect(s, 0)
		return st.paused == 1 && st.maxPending > 0
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := s.Conns(); n != 0 {
		t.Errorf("Conns() = %d after Close", n)
	}
	if n := ss.closed.Load(); n != 1 {
		t.Errorf("%d sessions closed after Close, want 1", n)
	}
}

// A client that writes without reading: the server's pending output
// reaches the high-water mark, it stops reading that connection (so the
// output it holds stays bounded), and resumes once the client reads; every
// byte comes back in order.
func TestServerBackpressure(t *testing.T) {
	const (
		highWater = 64 << 10
		readBuf   = 16 << 10
	)
	execs := runExecutors(t, 1)
	var ss sessions
	s := serve(t, execs, ss.echo(), ServerConfig{HighWater: highWater, ReadBuffer: readBuf})
	checkBackpressure(t, s, highWater, readBuf)
}

// checkBackpressure sends 8 MiB to s, an echo server on one executor,
// without reading until the connection is paused, then reads it all back.
func checkBackpressure(t *testing.T, s *Server, highWater, readBuf int) {
	t.Helper()
	const total = 8 << 20
	c := dialServer(t, s)
	msg := make([]byte, total)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range msg {
		msg[i] = byte(rng.Uint32())
	}
	werr := make(chan error, 1)
	go func() { _, err := c.Write(msg); werr <- err }()

	var st connState
	eventually(t, "the connection pauses reading", func() bool {
		st = inspect(s, 0)
		return st.paused != 0
	})
	if st.maxPending > highWater+readBuf {
		t.Fatalf("%d bytes pending while paused, want at most high water + one read = %d", st.maxPending, highWater+readBuf)
	}
	got := make([]byte, total)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("echo differs from what was sent")
	}
	if st := inspect(s, 0); st.paused != 0 {
		t.Fatalf("still paused after the client read everything: %+v", st)
	}
	c.Close() // so that the server's Close need not wait for its linger
}

// NewServer on a closed executor fails with ErrClosed and closes the
// listener; with no executors it fails too.
func TestNewServerErrors(t *testing.T) {
	e, err := NewExecutor(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	var ss sessions
	for _, execs := range [][]*Executor{{e}, nil} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		s, err := NewServer(execs, ln, ss.echo(), ServerConfig{})
		if err == nil {
			s.Close()
			t.Fatalf("NewServer on %d executors (closed) succeeded", len(execs))
		}
		if len(execs) > 0 && !errors.Is(err, ErrClosed) {
			t.Errorf("NewServer on a closed executor: %v, want ErrClosed", err)
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			t.Errorf("NewServer on %d executors failed and left the listener open", len(execs))
		}
	}
}

// The read path allocates nothing: a round trip through a Server costs no
// allocation in the server once the connection is set up.
func TestServerReadPathAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	execs := runExecutors(t, 1)
	var ss sessions
	s := serve(t, execs, ss.echo(), ServerConfig{})
	c := dialServer(t, s)
	msg, got := []byte("0123456789abcdef"), make([]byte, 16)
	roundTrip := func() {
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatal(err)
		}
	}
	for range 100 {
		roundTrip() // warm up: the output buffer, the executor's pools
	}
	// The client side allocates nothing per round trip either, so any
	// allocation counted is the server's.
	if n := testing.AllocsPerRun(1000, roundTrip); n > 0.05 {
		t.Fatalf("%.2f allocations per round trip, want 0", n)
	}
}
