package callback

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// loops starts n loops closed at the end of the test.
func loops(t testing.TB, n int) []*Loop {
	t.Helper()
	ls := make([]*Loop, n)
	for i := range ls {
		ls[i] = newLoop(t, Config{})
	}
	return ls
}

// serve starts a Server on a fresh loopback listener, closed at the end of
// the test (before the loops, which were started earlier).
func serve(t testing.TB, ls []*Loop, cb Callbacks, cfg ServerConfig) *Server {
	t.Helper()
	return serveOn(t, listen(t, 0), ls, cb, cfg)
}

// listen opens a loopback listener; a positive sockBuf sets the socket
// buffers of the connections it accepts, so tests that fill them need
// little data.
func listen(t testing.TB, sockBuf int) net.Listener {
	t.Helper()
	var lc net.ListenConfig
	if sockBuf > 0 {
		lc.Control = func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) {
				unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, sockBuf)
				unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF, sockBuf)
			})
		}
	}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func serveOn(t testing.TB, ln net.Listener, ls []*Loop, cb Callbacks, cfg ServerConfig) *Server {
	t.Helper()
	s, err := NewServer(ls, ln, cb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func dial(t testing.TB, s *Server) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(hang))
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// echo writes back what it reads, through the loop's scratch buffer.
func echo() Callbacks {
	return Callbacks{OnData: func(c *Conn, in []byte) {
		c.Write(append(c.WriteBuffer(), in...))
	}}
}

// roundTrip writes msg while reading the same number of bytes back and
// checks them.
func roundTrip(c net.Conn, msg []byte) error {
	werr := make(chan error, 1)
	go func() { _, err := c.Write(msg); werr <- err }()
	got := make([]byte, len(msg))
	_, rerr := io.ReadFull(c, got)
	if err := <-werr; err != nil {
		return err
	}
	if rerr != nil {
		return rerr
	}
	if !bytes.Equal(got, msg) {
		return errors.New("echo differs")
	}
	return nil
}

func TestServerEcho(t *testing.T) {
	for _, trig := range []Trigger{Level, Edge} {
		t.Run(trig.String(), func(t *testing.T) {
			ls := loops(t, 2)
			// A small read buffer makes edge-triggered reads spend their
			// budget and requeue.
			s := serve(t, ls, echo(), ServerConfig{Trigger: trig, ReadBuffer: 1024, EdgeBudget: 2048})
			const conns = 32
			var wg sync.WaitGroup
			errs := make(chan error, conns)
			for i := range conns {
				c := dial(t, s)
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := rand.New(rand.NewPCG(uint64(i), 7))
					for _, size := range []int{1, 100, 1024, 5000, 64 << 10, 300 << 10} {
						msg := make([]byte, size)
						for j := range msg {
							msg[j] = byte(r.Uint32())
						}
						if err := roundTrip(c, msg); err != nil {
							errs <- fmt.Errorf("conn %d, %d bytes: %w", i, size, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if n := s.Conns(); n != conns {
				t.Errorf("Conns() = %d, want %d", n, conns)
			}
			// Round-robin: each loop has half.
			for i, l := range ls {
				onLoop(t, l, func(t *loopT) {
					if open := s.shares[i].open; open != conns/2 {
						t.Errorf("loop %d serves %d connections, want %d", i, open, conns/2)
					}
				})
			}
		})
	}
}

// connLog records a connection's callbacks, checking that nothing follows
// OnClose and that OnClose comes exactly once.
type connLog struct {
	mu      sync.Mutex
	opened  int
	closed  int
	errs    []error
	closedC map[*Conn]bool
}

func (g *connLog) callbacks(onData func(c *Conn, in []byte)) Callbacks {
	g.closedC = map[*Conn]bool{}
	return Callbacks{
		OnOpen: func(c *Conn) {
			g.mu.Lock()
			g.opened++
			g.mu.Unlock()
		},
		OnData: func(c *Conn, in []byte) {
			g.mu.Lock()
			if g.closedC[c] {
				g.errs = append(g.errs, errors.New("OnData after OnClose"))
			}
			g.mu.Unlock()
			onData(c, in)
		},
		OnClose: func(c *Conn, err error) {
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.closedC[c] {
				g.errs = append(g.errs, errors.New("OnClose twice"))
			}
			g.closedC[c] = true
			g.closed++
			// Writing to or closing a closed connection must be harmless.
			c.Write([]byte("late"))
			c.Close()
		},
	}
}

// TestNoCallbackAfterClose ends connections every way there is — client
// close, client reset, server Close inside OnData, a write to a vanished
// peer — and checks each gets OnClose exactly once and nothing after it.
func TestNoCallbackAfterClose(t *testing.T) {
	for _, trig := range []Trigger{Level, Edge} {
		t.Run(trig.String(), func(t *testing.T) {
			ls := loops(t, 2)
			var g connLog
			s := serve(t, ls, g.callbacks(func(c *Conn, in []byte) {
				switch in[0] {
				case 'q': // server-side close right after a reply
					c.Write([]byte("bye"))
					c.Close()
					c.Write([]byte("ignored"))
				case 'b': // a big reply the client will not read
					c.Write(make([]byte, 4<<20))
				default:
					c.Write(append(c.WriteBuffer(), in...))
				}
			}), ServerConfig{Trigger: trig})
			const each = 10
			for i := range each {
				// Orderly client close.
				c := dial(t, s)
				if err := roundTrip(c, []byte("hello")); err != nil {
					t.Fatal(err)
				}
				c.Close()
				// Reset by the client mid-reply.
				c = dial(t, s)
				c.Write([]byte("b"))
				c.SetLinger(0)
				c.Close()
				// Server ends it: the reply arrives, then end of stream,
				// even with more input pipelined behind the request.
				c = dial(t, s)
				c.Write([]byte("q and more input that is discarded"))
				got, err := io.ReadAll(c)
				if err != nil || string(got) != "bye" {
					t.Fatalf("round %d: after server close read %q, %v", i, got, err)
				}
				c.Close()
			}
			waitFor(t, "all connections closed", func() bool { return s.Conns() == 0 })
			for _, l := range ls {
				onLoop(t, l, func(*loopT) {})
			}
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.opened != 3*each || g.closed != 3*each {
				t.Errorf("opened %d, closed %d, want %d each", g.opened, g.closed, 3*each)
			}
			for _, err := range g.errs {
				t.Error(err)
			}
		})
	}
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hang)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v", what, hang)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestPartialWritesAndEAGAIN sends replies far larger than the socket
// buffers to a client that reads in small pieces, so writes come back
// short or with EAGAIN and the rest must be queued and finished on
// writability, in order and byte for byte.
func TestPartialWritesAndEAGAIN(t *testing.T) {
	for _, trig := range []Trigger{Level, Edge} {
		t.Run(trig.String(), func(t *testing.T) {
			ls := loops(t, 1)
			const size = 8 << 20
			reply := make([]byte, size)
			for i := range reply {
				reply[i] = byte(i * 7)
			}
			queued := 0 // loop-owned: replies that had to be queued
			s := serve(t, ls, Callbacks{OnData: func(c *Conn, in []byte) {
				for range in {
					c.Write(reply[:size/2])
					c.Write(reply[size/2:])
					if c.Pending() > 0 {
						queued++
					}
				}
			}}, ServerConfig{Trigger: trig, HighWater: 64 << 20})
			c := dial(t, s)
			if _, err := c.Write([]byte("12")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 1000)
			for rep := range 2 {
				for off := 0; off < size; {
					n, err := c.Read(buf[:min(len(buf), size-off)])
					if err != nil {
						t.Fatalf("reply %d at %d: %v", rep, off, err)
					}
					if !bytes.Equal(buf[:n], reply[off:off+n]) {
						t.Fatalf("reply %d differs at %d", rep, off)
					}
					off += n
				}
			}
			onLoop(t, ls[0], func(t *loopT) {
				if queued == 0 {
					t.Error("no reply was ever queued: EAGAIN path not exercised")
				}
			})
		})
	}
}

// TestBackpressure: a client that sends without reading must not make the
// server queue more than HighWater plus one read's worth of output; once
// it reads, everything arrives and the connection is read again.
func TestBackpressure(t *testing.T) {
	for _, trig := range []Trigger{Level, Edge} {
		t.Run(trig.String(), func(t *testing.T) {
			ls := loops(t, 1)
			const highWater, readBuf = 64 << 10, 16 << 10
			maxQueued := 0 // loop-owned
			var server *Conn
			s := serveOn(t, listen(t, 64<<10), ls, Callbacks{
				OnOpen: func(c *Conn) { server = c },
				OnData: func(c *Conn, in []byte) {
					c.Write(in)
					maxQueued = max(maxQueued, c.Pending())
				},
			}, ServerConfig{Trigger: trig, HighWater: highWater, ReadBuffer: readBuf})
			c := dial(t, s)
			c.SetReadBuffer(64 << 10)
			c.SetWriteBuffer(64 << 10)
			// Far more than the four socket buffers and HighWater hold.
			const total = 8 << 20
			msg := make([]byte, total)
			for i := range msg {
				msg[i] = byte(i>>10 ^ i)
			}
			written := make(chan error, 1)
			go func() { _, err := c.Write(msg); written <- err }()

			// Wait until the server has paused the connection, then check
			// what it holds. The client's write cannot have finished: the
			// server stopped reading, so the bytes pile up in the sockets.
			paused := func() (p bool) {
				onLoop(t, ls[0], func(*loopT) { p = server != nil && server.state == connPaused })
				return p
			}
			waitFor(t, "backpressure engaged", paused)
			for range 20 { // more turns: nothing more is read while paused
				onLoop(t, ls[0], func(*loopT) {})
			}
			onLoop(t, ls[0], func(t *loopT) {
				if server.state != connPaused {
					t.Fatal("connection resumed although nobody read")
				}
				if maxQueued > highWater+readBuf {
					t.Errorf("queued %d bytes, bound is HighWater+ReadBuffer = %d", maxQueued, highWater+readBuf)
				}
			})
			select {
			case err := <-written:
				t.Fatalf("client wrote all %d bytes (%v) while the server should have stopped reading", total, err)
			default:
			}

			got := make([]byte, total)
			if _, err := io.ReadFull(c, got); err != nil {
				t.Fatal(err)
			}
			if err := <-written; err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, msg) {
				t.Fatal("echo differs after backpressure")
			}
			onLoop(t, ls[0], func(t *loopT) {
				if server.state != connReading || s.shares[0].pauses == 0 {
					t.Errorf("state %d after draining, %d pauses; want reading, >0", server.state, s.shares[0].pauses)
				}
				if maxQueued > highWater+readBuf {
					t.Errorf("queued %d bytes, bound is %d", maxQueued, highWater+readBuf)
				}
			})
			t.Logf("most output queued: %d bytes (HighWater %d)", maxQueued, highWater)
		})
	}
}

// TestHalfClose: input followed by the client's FIN is answered in full,
// then the server closes.
func TestHalfClose(t *testing.T) {
	for _, trig := range []Trigger{Level, Edge} {
		t.Run(trig.String(), func(t *testing.T) {
			ls := loops(t, 2)
			s := serve(t, ls, echo(), ServerConfig{Trigger: trig})
			for i := range 4 {
				c := dial(t, s)
				msg := bytes.Repeat([]byte{byte(i)}, 1<<20)
				go func() { c.Write(msg); c.CloseWrite() }()
				got, err := io.ReadAll(c)
				if err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("conn %d: got %d of %d bytes, %v", i, len(got), len(msg), err)
				}
			}
			waitFor(t, "connections closed", func() bool { return s.Conns() == 0 })
		})
	}
}

// TestServerCloseDrains: Close delivers the output already queued to a
// client that reads, then ends its connection; and leaves no goroutine or
// fd behind.
func TestServerCloseDrains(t *testing.T) {
	g0, f0 := runtime.NumGoroutine(), countFDs(t)
	const size = 16 << 20
	ls, s := startBigReplyServer(t, size, hang)
	reader, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	idle, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	reader.Write([]byte("x"))
	waitFor(t, "two connections", func() bool { return s.Conns() == 2 })
	// The first byte of the reply proves it was produced (and, being far
	// larger than the socket buffers, mostly queued) before Close.
	buf := make([]byte, 1)
	if _, err := io.ReadFull(reader, buf); err != nil {
		t.Fatal(err)
	}
	readAll := make(chan int)
	go func() {
		n, _ := io.Copy(io.Discard, reader)
		reader.Close() // the client's close ends the server's linger
		readAll <- int(n) + 1
	}()
	go func() {
		idle.SetReadDeadline(time.Now().Add(hang))
		if n, err := idle.Read(buf); err == nil {
			t.Errorf("idle client read %d bytes after Close, want end of stream", n)
		}
		idle.Close()
	}()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := <-readAll; got != size {
		t.Errorf("reading client got %d of %d bytes before end of stream", got, size)
	}
	if n := s.Conns(); n != 0 {
		t.Errorf("Conns() = %d after Close", n)
	}
	for _, l := range ls {
		l.Close()
	}
	checkNoLeaks(t, g0, f0)
}

// TestServerCloseDrainTimeout: a client that neither reads its reply nor
// closes cannot hold Close up past the drain timeout; its connection is
// closed.
func TestServerCloseDrainTimeout(t *testing.T) {
	g0, f0 := runtime.NumGoroutine(), countFDs(t)
	ls, s := startBigReplyServer(t, 16<<20, 50*time.Millisecond)
	stuck, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	stuck.Write([]byte("x"))
	waitFor(t, "connection open", func() bool { return s.Conns() == 1 })
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(hang):
		t.Fatal("Close waited on a client that does not read")
	}
	stuck.Close()
	for _, l := range ls {
		l.Close()
	}
	checkNoLeaks(t, g0, f0)
}

// startBigReplyServer serves, on two loops of its own, a reply of size
// bytes to every read.
func startBigReplyServer(t *testing.T, size int, drain time.Duration) ([]*Loop, *Server) {
	t.Helper()
	ls := make([]*Loop, 2)
	for i := range ls {
		var err error
		if ls[i], err = NewLoop(Config{}); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	reply := make([]byte, size)
	s, err := NewServer(ls, ln, Callbacks{OnData: func(c *Conn, in []byte) {
		c.Write(reply)
	}}, ServerConfig{DrainTimeout: drain, HighWater: 2 * size})
	if err != nil {
		t.Fatal(err)
	}
	return ls, s
}

// TestLoopCloseClosesConnections: closing the loops without closing the
// server first still closes every connection (OnClose with ErrClosed)
// and leaks nothing.
func TestLoopCloseClosesConnections(t *testing.T) {
	g0, f0 := runtime.NumGoroutine(), countFDs(t)
	l, err := NewLoop(Config{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var closedWith []error // written on the loop, read after Close
	s, err := NewServer([]*Loop{l}, ln, Callbacks{
		OnClose: func(c *Conn, err error) { closedWith = append(closedWith, err) },
	}, ServerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "connection open", func() bool { return s.Conns() == 1 })
	l.Close()
	if len(closedWith) != 1 || !errors.Is(closedWith[0], ErrClosed) {
		t.Errorf("OnClose calls: %v, want one with ErrClosed", closedWith)
	}
	s.Close()
	c.Close()
	checkNoLeaks(t, g0, f0)
}
