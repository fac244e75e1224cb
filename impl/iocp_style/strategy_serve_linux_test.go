package iocpstyle

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"iostrat"
	"iostrat/internal/proto"
)

// TestServeCloseDrainsThenGivesUp: a client that never reads makes the
// server pause reading (backpressure) with output pending; closing the
// service writes what it can for at most DrainTimeout, then closes the
// connection anyway. Another client, idle, sees its connection end
// (after the server's shutdown and lingering read) at once.
func TestServeCloseDrainsThenGivesUp(t *testing.T) {
	for _, b := range []Backend{Uring, Emulated} {
		t.Run(b.String(), func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			rt, err := Strategy{Backend: b}.Start(iostrat.Options{HighWater: 64 << 10})
			if errors.Is(err, errors.ErrUnsupported) {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			svc, err := rt.Serve(ln, proto.Echo{})
			if err != nil {
				t.Fatal(err)
			}
			stuck, err := net.Dial("tcp", svc.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer stuck.Close()
			// Write until the server stops reading: its output to us is
			// stuck above HighWater.
			chunk := bytes.Repeat([]byte("x"), 64<<10)
			for {
				stuck.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
				if _, err := stuck.Write(chunk); err != nil {
					break
				}
			}
			good, err := net.Dial("tcp", svc.Addr().String())
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
			closed := make(chan error, 1)
			go func() { closed <- svc.Close() }()
			select {
			case err := <-closed:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("Service.Close hung with a client that never reads")
			}
			if n := svc.Conns(); n != 0 {
				t.Fatalf("Conns() = %d after Close", n)
			}
			good.SetReadDeadline(time.Now().Add(10 * time.Second))
			if n, err := good.Read(make([]byte, 1)); err == nil {
				t.Fatalf("good client read %d bytes after Close, want end of stream", n)
			}
			// The server gave up on it and closed: whatever the kernel still
			// queues for it arrives, then the end of stream.
			stuck.SetReadDeadline(time.Now().Add(30 * time.Second))
			if _, err := io.Copy(io.Discard, stuck); err != nil && !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("stuck client after Close: %v, want end of stream or reset", err)
			}
			if err := rt.Close(); err != nil {
				t.Fatal(err)
			}
			if err := goleak.Find(ignore); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestLingeringClose: when the server ends a connection (here a malformed
// HTTP request, answered 400 and closed) while the client is still
// sending, the server shuts down its side and reads and discards the rest
// instead of closing on unread input, which would reset the connection and
// could destroy the response before the client reads it.
func TestLingeringClose(t *testing.T) {
	for _, b := range []Backend{Uring, Emulated} {
		t.Run(b.String(), func(t *testing.T) {
			rt, err := Strategy{Backend: b}.Start(iostrat.Options{})
			if errors.Is(err, errors.ErrUnsupported) {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer rt.Close()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			svc, err := rt.Serve(ln, proto.HTTP{})
			if err != nil {
				t.Fatal(err)
			}
			for round := range 5 {
				c, err := net.Dial("tcp", svc.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				c.SetDeadline(time.Now().Add(20 * time.Second))
				junk := bytes.Repeat([]byte("more junk after a bad request "), 1<<20) // 30 MiB: more than the socket buffers hold
				wrote := make(chan error, 1)
				go func() {
					_, err := c.Write(append([]byte("GARBAGE\r\n\r\n"), junk...))
					wrote <- err
				}()
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					t.Fatalf("round %d: reading the 400: %v", round, err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 400 {
					t.Fatalf("round %d: status %d", round, resp.StatusCode)
				}
				if err := <-wrote; err != nil {
					t.Fatalf("round %d: the server reset the connection while the client sent: %v", round, err)
				}
				c.(*net.TCPConn).CloseWrite()
				if _, err := io.Copy(io.Discard, c); err != nil {
					t.Fatalf("round %d: after the response: %v, want end of stream", round, err)
				}
				c.Close()
			}
			if err := svc.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
