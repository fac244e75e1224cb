package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"iostrat/internal/proto"
)

// churnEchoSize is the size of the one echo message a churn connection
// sends.
const churnEchoSize = 64

// plaintextRequest is the request a churn connection sends.
var plaintextRequest = []byte(proto.PlaintextRequest)

// churnTimeout bounds each churn connection, dial to close, so a server
// that never answers fails the run instead of hanging it.
const churnTimeout = 10 * time.Second

// Churn connects to addr n times, one connection after another; each time
// it sends one request, verifies the reply and closes the connection.
// protocol is "http" (GET /plaintext; the reply must be the 200 plaintext
// answer) or "echo" (a 64-byte message echoed byte for byte). It returns
// the first error. Anchors: libuv tcp4_pound, Go's TCP4OneShot.
//
// The client closes first, so the client side keeps each closed connection
// in TIME_WAIT; on loopback Linux reuses those ports (net.ipv4.tcp_tw_reuse
// is 2 by default), elsewhere a long run may run out of ephemeral ports.
func Churn(addr, protocol string, n int) error { return ChurnConcurrent(addr, protocol, n, 1) }

// ChurnConcurrent is [Churn] with workers goroutines each doing a share of
// the n connections at the same time. The first error stops every worker
// and is returned once all have stopped.
func ChurnConcurrent(addr, protocol string, n, workers int) error {
	switch {
	case protocol != "http" && protocol != "echo":
		return fmt.Errorf("loadgen: churn: protocol %q, want http or echo", protocol)
	case n < 0:
		return fmt.Errorf("loadgen: churn: %d connections, want at least 0", n)
	case workers <= 0:
		return fmt.Errorf("loadgen: churn: %d workers, want at least 1", workers)
	}
	var (
		next    atomic.Int64 // the next connection to make
		failed  atomic.Bool
		errOnce sync.Once
		first   error
		wg      sync.WaitGroup
	)
	for w := range min(workers, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newChurner(addr, protocol, uint64(w))
			defer c.reader.Finish()
			for !failed.Load() {
				k := int(next.Add(1) - 1)
				if k >= n {
					return
				}
				if err := c.once(k); err != nil {
					errOnce.Do(func() { first = err })
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// A churner makes churn connections, one at a time.
type churner struct {
	addr    string
	proto   string
	dialer  net.Dialer
	payload payload // echo
	got     []byte  // echo: the reply
	buf     []byte  // http: read buffer
	reader  proto.ResponseReader
}

func newChurner(addr, protocol string, seed uint64) *churner {
	c := &churner{addr: addr, proto: protocol, dialer: net.Dialer{Timeout: dialTimeout}}
	if protocol == "echo" {
		c.payload = newPayload(churnEchoSize, echoShifts, seed)
		c.got = make([]byte, churnEchoSize)
	} else {
		c.buf = make([]byte, 4<<10)
	}
	return c
}

// once makes connection k: dial, one request, verify, close.
func (c *churner) once(k int) (err error) {
	conn, err := c.dialer.Dial("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("loadgen: churn %s: connection %d: dialing %s: %w", c.proto, k, c.addr, err)
	}
	defer func() {
		if cerr := conn.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("loadgen: churn %s: connection %d to %s: close: %w", c.proto, k, c.addr, cerr)
		}
	}()
	conn.SetDeadline(time.Now().Add(churnTimeout))
	if c.proto == "echo" {
		err = c.echo(conn, k)
	} else {
		err = c.http(conn)
	}
	if err != nil {
		return fmt.Errorf("loadgen: churn %s: connection %d to %s: %w", c.proto, k, c.addr, err)
	}
	return nil
}

func (c *churner) echo(conn net.Conn, k int) error {
	msg := c.payload.message(uint64(k))
	if _, err := conn.Write(msg); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if _, err := io.ReadFull(conn, c.got); err != nil {
		return fmt.Errorf("reading the echo: %w", err)
	}
	if !bytes.Equal(c.got, msg) {
		return fmt.Errorf("wrong echo: %s", mismatch(c.got, msg))
	}
	return nil
}

func (c *churner) http(conn net.Conn) error {
	c.reader.Reset()
	if _, err := conn.Write(plaintextRequest); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	got := 0
	for got == 0 {
		n, err := conn.Read(c.buf)
		if n > 0 {
			completed, ferr := c.reader.Feed(c.buf[:n])
			got += completed
			if ferr != nil {
				return ferr
			}
		}
		if err != nil && got == 0 {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("the server closed the connection without a complete response: %w", err)
			}
			return fmt.Errorf("reading the response: %w", err)
		}
	}
	if got > 1 {
		return fmt.Errorf("%d responses to one request", got)
	}
	if st := c.reader.LastStatus(); st != 200 {
		return fmt.Errorf("status %d, want 200", st)
	}
	return nil
}
