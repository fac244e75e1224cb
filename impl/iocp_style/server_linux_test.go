package iocpstyle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The server's tests run their own owner loops: a goroutine locked to its
// thread per port, handing every completion to the port's host, as a
// program on the library alone would.

const (
	testHostBase  = HostTokens // the host's range: one above the owner's own
	testStopToken = Token(1)   // the owner's own token: leave the loop
)

// startHosts starts n owner loops, each with a port of cfg and a host, and
// stops them when the test ends (after the test's own cleanups, which
// close its servers). It skips where the backend is unavailable.
func startHosts(t *testing.T, n int, cfg Config) []*Host {
	t.Helper()
	hosts := make([]*Host, n)
	for i := range hosts {
		started := make(chan error, 1)
		exited := make(chan error, 1)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			p, err := NewPort(cfg)
			if err != nil {
				started <- err
				return
			}
			h, err := NewHost(p, testHostBase)
			if err != nil {
				p.Close()
				started <- err
				return
			}
			hosts[i] = h
			started <- nil
			cs := make([]Completion, 64)
			var waitErr error
			for stop := false; !stop; {
				n, err := p.Wait(cs, 1)
				if err != nil && waitErr == nil {
					waitErr = err
				}
				for i := range cs[:n] {
					if !h.HandleCompletion(&cs[i]) && cs[i].Token == testStopToken {
						stop = true
					}
				}
			}
			exited <- errors.Join(waitErr, p.Close())
		}()
		if err := <-started; err != nil {
			if errors.Is(err, errors.ErrUnsupported) {
				t.Skip(err)
			}
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := hosts[i].port.Post(testStopToken, 0); err != nil {
				t.Errorf("stopping host %d: %v", i, err)
				return
			}
			if err := <-exited; err != nil {
				t.Errorf("host %d: %v", i, err)
			}
		})
	}
	return hosts
}

// sessions makes the test handlers and keeps their record.
type sessions struct {
	closeAfterFirst bool // answer the first input with "bye\n" and end the connection

	made, closed, handled atomic.Int64
	mu                    sync.Mutex
	threads               map[int]bool // threads handlers were made on
	errs                  []string
}

func (r *sessions) new() Handler {
	r.made.Add(1)
	r.mu.Lock()
	if r.threads == nil {
		r.threads = make(map[int]bool)
	}
	r.threads[unix.Gettid()] = true
	r.mu.Unlock()
	return &testSession{r: r}
}

func (r *sessions) fail(format string, args ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

// check reports the misuses handlers saw.
func (r *sessions) check(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.errs {
		t.Error(e)
	}
}

// testSession echoes, or says goodbye (closeAfterFirst).
type testSession struct {
	r      *sessions
	closed int
	ended  bool
}

func (s *testSession) Handle(in, out []byte) ([]byte, bool) {
	s.r.handled.Add(1)
	if s.ended || s.closed > 0 {
		s.r.fail("Handle after closeAfter or Close")
	}
	if s.r.closeAfterFirst {
		s.ended = true
		return append(out, "bye\n"...), true
	}
	return append(out, in...), false
}

func (s *testSession) Close() {
	if s.closed++; s.closed > 1 {
		s.r.fail("Close called %d times", s.closed)
	}
	s.r.closed.Add(1)
}

// serve starts a server on a fresh loopback listener and closes it when
// the test ends (before the hosts stop).
func serve(t *testing.T, hosts []*Host, r *sessions, cfg ServerConfig) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ln, hosts, r.new, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
		r.check(t)
	})
	return srv
}

// eventually waits up to 10 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// closeWithin runs srv.Close and fails if it takes more than 30 s.
func closeWithin(t *testing.T, srv *Server) {
	t.Helper()
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Server.Close hung")
	}
}

var serverBackends = []Backend{Uring, Emulated}

// TestServerEcho: several clients at once, each streaming messages of
// many sizes and reading every byte back, over two hosts, in each way a
// connection can receive. Connections are dealt to both hosts, and every
// handler is closed once its client has closed.
func TestServerEcho(t *testing.T) {
	modes := []struct {
		name string
		port Config
		srv  ServerConfig
	}{
		{"multishot", Config{Buffers: 64, BufferSize: 4096}, ServerConfig{}},
		{"single-shot", Config{Buffers: 64, BufferSize: 4096}, ServerConfig{SingleShotRecv: true}},
		{"buffer-per-connection", Config{}, ServerConfig{ReadBuffer: 4096}},
	}
	for _, b := range serverBackends {
		for _, m := range modes {
			t.Run(b.String()+"/"+m.name, func(t *testing.T) {
				cfg := m.port
				cfg.Backend = b
				hosts := startHosts(t, 2, cfg)
				r := &sessions{}
				srv := serve(t, hosts, r, m.srv)
				const clients, messages = 8, 100
				var wg sync.WaitGroup
				errs := make(chan error, clients)
				for k := range clients {
					wg.Go(func() { errs <- echoClient(srv.Addr().String(), k, messages) })
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Error(err)
					}
				}
				eventually(t, "every connection is closed", func() bool {
					return srv.Conns() == 0 && r.closed.Load() == clients
				})
				if got := r.made.Load(); got != clients {
					t.Errorf("%d handlers made for %d clients", got, clients)
				}
				r.mu.Lock()
				threads := len(r.threads)
				r.mu.Unlock()
				if threads != 2 {
					t.Errorf("handlers made on %d threads, want both hosts'", threads)
				}
			})
		}
	}
}

// echoClient sends messages of growing sizes while reading the echo, then
// closes.
func echoClient(addr string, k, messages int) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	var sent bytes.Buffer
	for i := range messages {
		sent.Write(bytes.Repeat([]byte{byte('a' + (k+i)%26)}, 1+(i*97+k*31)%5000))
	}
	wrote := make(chan error, 1)
	go func() {
		_, err := c.Write(sent.Bytes())
		wrote <- err
	}()
	got := make([]byte, sent.Len())
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("client %d: reading the echo: %v", k, err)
	}
	if err := <-wrote; err != nil {
		return fmt.Errorf("client %d: %v", k, err)
	}
	if !bytes.Equal(got, sent.Bytes()) {
		return fmt.Errorf("client %d: echo differs from what was sent", k)
	}
	return nil
}

// TestServerHalfClose: a client that sends, then shuts down its sending
// side, gets everything echoed, then end of stream: the server writes
// what is queued, then closes.
func TestServerHalfClose(t *testing.T) {
	for _, b := range serverBackends {
		t.Run(b.String(), func(t *testing.T) {
			hosts := startHosts(t, 1, Config{Backend: b, Buffers: 16, BufferSize: 4096})
			r := &sessions{}
			srv := serve(t, hosts, r, ServerConfig{})
			c, err := net.Dial("tcp", srv.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			msg := bytes.Repeat([]byte("half-close "), 10000)
			wrote := make(chan error, 1)
			go func() {
				_, err := c.Write(msg)
				if err == nil {
					err = c.(*net.TCPConn).CloseWrite()
				}
				wrote <- err
			}()
			got, err := io.ReadAll(c) // to end of stream
			if err != nil {
				t.Fatalf("reading to end of stream: %v", err)
			}
			if err := <-wrote; err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, msg) {
				t.Fatalf("got %d bytes back of %d sent", len(got), len(msg))
			}
			eventually(t, "the handler is closed", func() bool { return r.closed.Load() == 1 && srv.Conns() == 0 })
		})
	}
}

// TestServerCloseAfterLingers: a handler that ends its connection while
// the client is still sending (more than the socket buffers hold) has its
// answer delivered: the server shuts down its side and receives and
// discards the rest instead of closing on unread input, which would reset
// the connection. Handle is not called again after closeAfter.
func TestServerCloseAfterLingers(t *testing.T) {
	for _, b := range serverBackends {
		t.Run(b.String(), func(t *testing.T) {
			hosts := startHosts(t, 1, Config{Backend: b, Buffers: 16, BufferSize: 16 << 10})
			r := &sessions{closeAfterFirst: true}
			srv := serve(t, hosts, r, ServerConfig{DrainTimeout: time.Minute})
			for round := range 3 {
				c, err := net.Dial("tcp", srv.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				c.SetDeadline(time.Now().Add(30 * time.Second))
				junk := bytes.Repeat([]byte("more after the server is done "), 1<<20)
				wrote := make(chan error, 1)
				go func() {
					_, err := c.Write(junk)
					wrote <- err
				}()
				got, err := io.ReadAll(c) // the answer, then the server's shutdown
				if err != nil || string(got) != "bye\n" {
					t.Fatalf("round %d: read %q, %v; want \"bye\\n\" and end of stream", round, got, err)
				}
				if err := <-wrote; err != nil {
					t.Fatalf("round %d: the server reset the connection while the client sent: %v", round, err)
				}
				c.(*net.TCPConn).CloseWrite() // the server's linger ends: it closes
				eventually(t, "the connection is closed", func() bool { return r.closed.Load() == int64(round+1) })
				c.Close()
			}
			if n := r.handled.Load(); n != 3 {
				t.Errorf("Handle called %d times for 3 connections that each ended at their first input", n)
			}
		})
	}
}

// TestServerCloseIdle: Close ends idle connections with a shutdown each
// client reads as end of stream. Clients that then close let Close return
// at once (the drain timeout here is far longer than the test waits);
// clients that stay are given up on at the drain timeout. Either way every
// handler is closed, nothing is counted open, and the listener is gone.
func TestServerCloseIdle(t *testing.T) {
	for _, b := range serverBackends {
		for _, clientsClose := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/clients-close=%v", b, clientsClose), func(t *testing.T) {
				hosts := startHosts(t, 2, Config{Backend: b, Buffers: 16, BufferSize: 4096})
				r := &sessions{}
				cfg := ServerConfig{DrainTimeout: time.Hour}
				if !clientsClose {
					cfg.DrainTimeout = 50 * time.Millisecond
				}
				srv := serve(t, hosts, r, cfg)
				const clients = 6
				var wg sync.WaitGroup
				errs := make(chan error, clients)
				for range clients {
					c, err := net.Dial("tcp", srv.Addr().String())
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					wg.Go(func() {
						c.SetReadDeadline(time.Now().Add(30 * time.Second))
						got, err := io.ReadAll(c)
						if err == nil && len(got) > 0 {
							err = fmt.Errorf("read %q", got)
						}
						errs <- err
						if clientsClose {
							c.Close()
						}
					})
				}
				eventually(t, "every client is served", func() bool { return srv.Conns() == clients })
				closeWithin(t, srv)
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Errorf("idle client: %v, want end of stream", err)
					}
				}
				if n, c := srv.Conns(), r.closed.Load(); n != 0 || c != clients {
					t.Errorf("after Close: Conns() = %d, %d of %d handlers closed", n, c, clients)
				}
				if err := srv.Close(); err != nil {
					t.Errorf("second Close: %v", err)
				}
				if c, err := net.Dial("tcp", srv.Addr().String()); err == nil {
					c.Close()
					t.Error("the listener still accepts after Close")
				}
			})
		}
	}
}

// TestServerCloseBlockedWriter: a client that never reads makes the server
// stop receiving (backpressure) with output pending; Close sends what it
// can for at most DrainTimeout, then closes the connection anyway, while
// a well-behaved client beside it sees its connection end at once.
func TestServerCloseBlockedWriter(t *testing.T) {
	for _, b := range serverBackends {
		t.Run(b.String(), func(t *testing.T) {
			hosts := startHosts(t, 1, Config{Backend: b, Buffers: 16, BufferSize: 16 << 10})
			r := &sessions{}
			srv := serve(t, hosts, r, ServerConfig{HighWater: 64 << 10, DrainTimeout: 200 * time.Millisecond})
			stuck, err := net.Dial("tcp", srv.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer stuck.Close()
			// Write until the server stops receiving: its output to us is
			// stuck above HighWater, and the socket buffers fill.
			chunk := bytes.Repeat([]byte("x"), 64<<10)
			for total := 0; ; total += len(chunk) {
				if total > 1<<30 {
					t.Fatal("the server kept receiving 1 GiB from a client that never reads")
				}
				stuck.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
				if _, err := stuck.Write(chunk); err != nil {
					break
				}
			}
			good, err := net.Dial("tcp", srv.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer good.Close()
			msg := bytes.Repeat([]byte("drain me "), 1000)
			if _, err := good.Write(msg); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(good, got); err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("echo before close: %v", err)
			}
			closeWithin(t, srv)
			if n, c := srv.Conns(), r.closed.Load(); n != 0 || c != 2 {
				t.Fatalf("after Close: Conns() = %d, %d of 2 handlers closed", n, c)
			}
			good.SetReadDeadline(time.Now().Add(10 * time.Second))
			if n, err := good.Read(make([]byte, 1)); err == nil {
				t.Fatalf("good client read %d bytes after Close, want end of stream", n)
			}
			// The server gave up on it and closed: whatever the kernel
			// still queues for it arrives, then end of stream or a reset.
			stuck.SetReadDeadline(time.Now().Add(30 * time.Second))
			if _, err := io.Copy(io.Discard, stuck); err != nil && !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("stuck client after Close: %v, want end of stream or reset", err)
			}
		})
	}
}

// TestHostTokens: a host takes only bases that are multiples of HostTokens
// within the posted-token range, and handles only its own range's tokens.
func TestHostTokens(t *testing.T) {
	for _, base := range []Token{1, HostTokens + 1, MaxPostToken + 1} {
		if _, err := NewHost(nil, base); err == nil {
			t.Errorf("NewHost accepted base %#x", uint64(base))
		}
	}
	h, err := NewHost(nil, MaxPostToken+1-HostTokens) // the top range
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []Token{0, h.base - 1, MaxPostToken + 1} {
		if h.HandleCompletion(&Completion{Token: tok}) {
			t.Errorf("host with base %#x handled token %#x", uint64(h.base), uint64(tok))
		}
	}
	// A token in range naming no connection is the host's, and harmless.
	if !h.HandleCompletion(&Completion{Token: h.connTokenAt(hkLinger, 7, 3)}) {
		t.Error("host did not take a token in its range")
	}
}

// connTokenAt is a connection token for index i and generation gen.
func (h *Host) connTokenAt(k hostKind, i, gen uint32) Token {
	return h.token(k, uint64(gen)<<connIdxBits|uint64(i))
}

// TestNewServerRefuses: no hosts, a host twice, a listener that is not
// TCP.
func TestNewServerRefuses(t *testing.T) {
	hosts := startHosts(t, 1, Config{Backend: Emulated})
	r := &sessions{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := NewServer(ln, nil, r.new, ServerConfig{}); err == nil {
		t.Error("NewServer without hosts succeeded")
	}
	if _, err := NewServer(ln, []*Host{hosts[0], hosts[0]}, r.new, ServerConfig{}); err == nil {
		t.Error("NewServer with one host twice succeeded")
	}
	uln, err := net.Listen("unix", t.TempDir()+"/sock")
	if err != nil {
		t.Fatal(err)
	}
	defer uln.Close()
	if _, err := NewServer(uln, hosts, r.new, ServerConfig{}); err == nil {
		t.Error("NewServer on a unix listener succeeded")
	}
}
