package loadgen

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"iostrat"
	"iostrat/internal/proto"
)

// testServer is a loopback TCP server for the tests: one goroutine per
// connection running handle, all of them ended by Close, which the test's
// cleanup calls.
type testServer struct {
	ln       net.Listener
	handle   func(net.Conn)
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	closed   bool
	accepted atomic.Int64 // connections accepted
	open     atomic.Int64 // connections whose handler is running
}

func startServer(t testing.TB, handle func(net.Conn)) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{ln: ln, handle: handle, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.acceptLoop()
	t.Cleanup(s.Close)
	return s
}

func (s *testServer) Addr() string { return s.ln.Addr().String() }

func (s *testServer) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		s.accepted.Add(1)
		s.open.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.open.Add(-1)
			s.handle(c)
			c.Close()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// Close stops accepting, closes every connection and waits for every
// handler to return.
func (s *testServer) Close() {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.ln.Close()
	s.wg.Wait()
}

// echoServer echoes every byte; it counts the bytes it echoed in echoed,
// if not nil.
func echoServer(echoed *atomic.Int64) func(net.Conn) {
	return func(c net.Conn) {
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				if echoed != nil {
					echoed.Add(int64(n))
				}
				if _, werr := c.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
}

// corruptEchoServer echoes every byte but flips the one at stream offset
// at.
func corruptEchoServer(at int64) func(net.Conn) {
	return func(c net.Conn) {
		buf := make([]byte, 64<<10)
		var pos int64
		for {
			n, err := c.Read(buf)
			if at >= pos && at < pos+int64(n) {
				buf[at-pos] ^= 0x20
			}
			pos += int64(n)
			if _, werr := c.Write(buf[:n]); werr != nil || err != nil {
				return
			}
		}
	}
}

// staleEchoServer answers every message of size bytes with the first one
// it received, like a server that echoes a stale buffer.
func staleEchoServer(size int) func(net.Conn) {
	return func(c net.Conn) {
		first := make([]byte, size)
		msg := make([]byte, size)
		if _, err := io.ReadFull(c, first); err != nil {
			return
		}
		c.Write(first)
		for {
			if _, err := io.ReadFull(c, msg); err != nil {
				return
			}
			c.Write(first)
		}
	}
}

// silentServer reads and discards everything and never answers.
func silentServer(c net.Conn) { io.Copy(io.Discard, c) }

// closingServer echoes the first n bytes of every connection, then closes
// it.
func closingServer(n int64) func(net.Conn) {
	return func(c net.Conn) {
		buf := make([]byte, 64<<10)
		for n > 0 {
			k, err := c.Read(buf[:min(int64(len(buf)), n)])
			n -= int64(k)
			if _, werr := c.Write(buf[:k]); werr != nil || err != nil {
				return
			}
		}
	}
}

// delayedEchoServer echoes every chunk it reads after holding it for delay,
// so every echoed byte leaves at least delay after it arrived.
func delayedEchoServer(delay time.Duration) func(net.Conn) {
	return func(c net.Conn) {
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				time.Sleep(delay)
				if _, werr := c.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
}

// stallingEchoServer echoes every byte, except that after echoing after
// bytes it stops reading for stall, once.
func stallingEchoServer(after int64, stall time.Duration) func(net.Conn) {
	return func(c net.Conn) {
		buf := make([]byte, 64<<10)
		var pos int64
		stalled := false
		for {
			limit := len(buf)
			if !stalled && after-pos < int64(limit) {
				limit = int(max(after-pos, 1))
			}
			n, err := c.Read(buf[:limit])
			if n > 0 {
				if _, werr := c.Write(buf[:n]); werr != nil {
					return
				}
				pos += int64(n)
				if !stalled && pos >= after {
					stalled = true
					time.Sleep(stall)
				}
			}
			if err != nil {
				return
			}
		}
	}
}

// protocolServer serves p the way every strategy does, with a plain
// read-Handle-write loop over its sans-I/O handler, holding the output of
// each read for delay. It passes each output to seen, if not nil.
func protocolServer(p iostrat.Protocol, delay time.Duration, seen func(out []byte)) func(net.Conn) {
	return func(c net.Conn) {
		h := p.NewHandler()
		defer h.Close()
		in := make([]byte, 64<<10)
		var out []byte
		for {
			n, err := c.Read(in)
			if n > 0 {
				var action iostrat.Action
				out, action = h.Handle(in[:n], out[:0])
				if seen != nil {
					seen(out)
				}
				if delay > 0 {
					time.Sleep(delay)
				}
				if _, werr := c.Write(out); werr != nil || action == iostrat.CloseAfterWrite {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
}

// httpServer serves proto.HTTP through protocolServer. It counts the
// requests answered in answered, if not nil.
func httpServer(delay time.Duration, answered *atomic.Int64) func(net.Conn) {
	var seen func([]byte)
	if answered != nil {
		seen = func(out []byte) { answered.Add(int64(bytes.Count(out, []byte("HTTP/1.1 ")))) }
	}
	return protocolServer(proto.HTTP{}, delay, seen)
}

// fixedHTTPServer answers every request (every blank line that ends a head)
// with response, verbatim.
func fixedHTTPServer(response string) func(net.Conn) {
	return func(c net.Conn) {
		in := make([]byte, 64<<10)
		var pending []byte
		for {
			n, err := c.Read(in)
			pending = append(pending, in[:n]...)
			for {
				i := bytes.Index(pending, []byte("\r\n\r\n"))
				if i < 0 {
					break
				}
				pending = pending[i+4:]
				if _, werr := io.WriteString(c, response); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
}

// sinkFault is how a test sink server misbehaves.
type sinkFault int

const (
	sinkOK          sinkFault = iota
	sinkShortAck              // the first ack is cut after its length, then the server's side closed
	sinkWrongHash             // every ack's hash is off by one
	sinkWrongLength           // every ack's length is off by one
	sinkNoAck                 // frames are read, never acknowledged
)

// sinkServer speaks the sink protocol: frames of an 8-byte big-endian
// length and a payload, each acknowledged with its length and FNV-1a hash.
// It counts the frames it consumed in frames, if not nil.
func sinkServer(fault sinkFault, frames *atomic.Int64) func(net.Conn) {
	return func(c net.Conn) {
		var head [sinkHeaderSize]byte
		var ack [proto.SinkAckSize]byte
		buf := make([]byte, 64<<10)
		for {
			if _, err := io.ReadFull(c, head[:]); err != nil {
				return
			}
			length := binary.BigEndian.Uint64(head[:])
			h := fnv.New64a()
			if n, err := io.CopyBuffer(h, io.LimitReader(c, int64(length)), buf); err != nil || n != int64(length) {
				return
			}
			if frames != nil {
				frames.Add(1)
			}
			binary.BigEndian.PutUint64(ack[:8], length)
			binary.BigEndian.PutUint64(ack[8:], h.Sum64())
			switch fault {
			case sinkShortAck:
				// Half-close and drain, so the client reads the 8 bytes
				// and then end of stream, not a reset.
				c.Write(ack[:8])
				c.(*net.TCPConn).CloseWrite()
				io.Copy(io.Discard, c)
				return
			case sinkWrongHash:
				binary.BigEndian.PutUint64(ack[8:], h.Sum64()+1)
			case sinkWrongLength:
				binary.BigEndian.PutUint64(ack[:8], length+1)
			case sinkNoAck:
				continue
			}
			if _, err := c.Write(ack[:]); err != nil {
				return
			}
		}
	}
}

// lazySinkServer acknowledges a frame only once the next frame's header has
// arrived, or after waiting wait for it in vain, which it counts in
// waited. A client that keeps two frames in flight never makes it wait
// except for the last frame of a run; one that sends a frame only after the
// previous ack makes it wait for every frame.
func lazySinkServer(wait time.Duration, waited *atomic.Int64) func(net.Conn) {
	return func(c net.Conn) {
		var head, next [sinkHeaderSize]byte
		var ack [proto.SinkAckSize]byte
		buf := make([]byte, 64<<10)
		if _, err := io.ReadFull(c, head[:]); err != nil {
			return
		}
		for {
			length := binary.BigEndian.Uint64(head[:])
			h := fnv.New64a()
			if n, err := io.CopyBuffer(h, io.LimitReader(c, int64(length)), buf); err != nil || n != int64(length) {
				return
			}
			c.SetReadDeadline(time.Now().Add(wait))
			got, err := io.ReadFull(c, next[:])
			c.SetReadDeadline(time.Time{})
			if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				return
			}
			if err != nil {
				waited.Add(1)
			}
			binary.BigEndian.PutUint64(ack[:8], length)
			binary.BigEndian.PutUint64(ack[8:], h.Sum64())
			if _, err := c.Write(ack[:]); err != nil {
				return
			}
			if _, err := io.ReadFull(c, next[got:]); err != nil {
				return
			}
			head = next
		}
	}
}
