package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"
)

// Echo is a closed-loop echo client: conns persistent connections, each
// doing round trips of one message of a fixed size, sending the next only
// when the previous came back whole and correct. Anchors: libuv ping_pongs,
// Go's TCP4Persistent.
//
// Each connection sends a random payload of its own, different every round
// (see payload), and checks the echo byte for byte. Messages up to 16 KiB
// are written whole and then read; larger ones are written by a helper
// goroutine while the driver reads, so no size can deadlock.
//
// Run, RunFor and Close may be called from any goroutine, one run at a
// time; Close aborts a run in progress.
type Echo struct {
	// StallTimeout is how long a connection may complete no round trip
	// before a run fails; 0 means DefaultStallTimeout. Set it before a run.
	StallTimeout time.Duration

	pool *pool
	size int
}

// EchoResult is the outcome of a timed echo run.
type EchoResult struct {
	RoundTrips uint64        // verified round trips, all connections
	Bytes      int64         // payload bytes echoed (each counted once)
	Elapsed    time.Duration // the run's length
}

// DialEcho opens conns connections to the echo server at addr, for round
// trips of size bytes. Each connection gets a driver goroutine that lives
// until Close.
func DialEcho(addr string, conns, size int) (*Echo, error) {
	if size <= 0 {
		return nil, fmt.Errorf("loadgen: echo: message size %d, want at least 1", size)
	}
	cs, err := dialAll("echo", addr, conns)
	if err != nil {
		return nil, err
	}
	e := &Echo{size: size}
	e.pool = newPool("echo", "round trip", addr, cs, func(i int, conn net.Conn, done *atomic.Uint64, stop *atomic.Bool) connWorker {
		w := &echoConn{
			id:      i,
			conn:    conn,
			payload: newPayload(size, echoShifts, uint64(i)),
			got:     make([]byte, size),
			done:    done,
			stop:    stop,
		}
		if size > inlineWriteMax {
			w.writer = newAsyncWriter(conn)
		}
		return w
	})
	return e, nil
}

// Run makes every connection do rounds verified round trips and returns
// when all are done, with the first error. After an error the connections
// are aborted and every later run fails.
func (e *Echo) Run(rounds int) error {
	if rounds < 0 {
		return fmt.Errorf("loadgen: echo: %d rounds, want at least 0", rounds)
	}
	_, _, err := e.pool.run(runSpec{n: rounds, stall: e.StallTimeout})
	return err
}

// RunFor makes every connection do round trips until d has passed or ctx
// is done, calling progress (if not nil) about once a second, and returns
// the totals. If ctx ended the run, the totals are valid and the error is
// ctx's.
func (e *Echo) RunFor(ctx context.Context, d time.Duration, progress func(Progress)) (EchoResult, error) {
	elapsed, n, err := e.pool.run(runSpec{n: -1, d: d, ctx: ctx, progress: progress, stall: e.StallTimeout})
	return EchoResult{RoundTrips: n, Bytes: int64(n) * int64(e.size), Elapsed: elapsed}, err
}

// Conns returns the number of connections.
func (e *Echo) Conns() int { return len(e.pool.slots) }

// Close closes every connection and ends every goroutine of the client
// before returning. It is idempotent.
func (e *Echo) Close() error { return e.pool.close() }

// echoConn is one connection of an Echo.
type echoConn struct {
	id      int
	conn    net.Conn
	payload payload
	got     []byte
	round   uint64       // round trips completed on this connection, all runs; picks the message
	writer  *asyncWriter // nil: messages are written inline
	done    *atomic.Uint64
	stop    *atomic.Bool
}

func (c *echoConn) work(n int) error {
	for i := 0; n < 0 || i < n; i++ {
		if c.stop.Load() {
			return nil
		}
		msg := c.payload.message(c.round)
		if c.writer != nil {
			c.writer.submit(msg)
		} else if _, err := c.conn.Write(msg); err != nil {
			return c.fail(i, "write: %w", err)
		}
		if _, err := io.ReadFull(c.conn, c.got); err != nil {
			if c.writer != nil {
				if werr := c.writer.writeErr(); werr != nil {
					return c.fail(i, "write: %w", werr)
				}
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return c.fail(i, "server closed the connection before echoing all %d bytes: %w", c.size(), err)
			}
			return c.fail(i, "read: %w", err)
		}
		if !bytes.Equal(c.got, msg) {
			return c.fail(i, "wrong echo: %s", mismatch(c.got, msg))
		}
		c.round++
		c.done.Add(1)
	}
	return nil
}

func (c *echoConn) size() int { return len(c.got) }

// fail wraps an error of round i of the current run with its context.
func (c *echoConn) fail(i int, format string, args ...any) error {
	return fmt.Errorf("loadgen: echo: connection %d, round %d (%d-byte message): %w",
		c.id, i, c.size(), fmt.Errorf(format, args...))
}

func (c *echoConn) close() {
	if c.writer != nil {
		c.writer.close()
	}
}
