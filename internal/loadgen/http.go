package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"iostrat/internal/proto"
)

// HTTP is a closed-loop HTTP/1.1 client: conns persistent connections, each
// sending bursts of pipeline GET /plaintext requests ([proto.PlaintextRequest])
// in one write and reading every response of a burst before sending the
// next. With pipeline 1 it is the usual one-request-at-a-time client.
// Anchor: the TechEmpower plaintext test.
//
// Every response is parsed and checked by a [proto.ResponseReader]: a 200
// must be exactly the plaintext answer. Other well-formed responses are
// counted as non-2xx, not failed: the caller decides whether they are an
// error. A response with Connection: close fails the run, since the
// connection cannot take another burst.
//
// Run, RunFor and Close may be called from any goroutine, one run at a
// time; Close aborts a run in progress.
type HTTP struct {
	// StallTimeout is how long a connection may complete no burst before a
	// run fails; 0 means DefaultStallTimeout. Set it before a run.
	StallTimeout time.Duration

	pool     *pool
	conns    []*httpConn
	pipeline int
}

// Result counts the responses of an HTTP run.
type Result struct {
	Responses uint64        // complete, verified responses
	OK        uint64        // those with a 2xx status
	NotOK     uint64        // those with any other status
	BytesRead int64         // response bytes read
	Elapsed   time.Duration // the run's length
}

// DialHTTP opens conns connections to the HTTP server at addr, each to send
// bursts of pipeline requests. Each connection gets a driver goroutine that
// lives until Close.
func DialHTTP(addr string, conns, pipeline int) (*HTTP, error) {
	if pipeline <= 0 {
		return nil, fmt.Errorf("loadgen: http: pipeline %d, want at least 1", pipeline)
	}
	cs, err := dialAll("http", addr, conns)
	if err != nil {
		return nil, err
	}
	h := &HTTP{pipeline: pipeline, conns: make([]*httpConn, len(cs))}
	requests := proto.AppendRequests(nil, pipeline) // read-only, shared by every connection
	// A burst's responses are about 130 bytes each; one read should
	// usually take a whole burst.
	bufSize := min(64<<10, max(4<<10, pipeline*256))
	h.pool = newPool("http", "burst", addr, cs, func(i int, conn net.Conn, done *atomic.Uint64, stop *atomic.Bool) connWorker {
		w := &httpConn{
			id:       i,
			conn:     conn,
			requests: requests,
			pipeline: pipeline,
			buf:      make([]byte, bufSize),
			done:     done,
			stop:     stop,
		}
		if len(requests) > inlineWriteMax {
			w.writer = newAsyncWriter(conn)
		}
		h.conns[i] = w
		return w
	})
	return h, nil
}

// Run makes every connection send bursts bursts of pipeline requests and
// read and verify every response, and returns the counts with the first
// error. After an error the connections are aborted and every later run
// fails.
func (h *HTTP) Run(bursts int) (Result, error) {
	if bursts < 0 {
		return Result{}, fmt.Errorf("loadgen: http: %d bursts, want at least 0", bursts)
	}
	before := h.totals()
	elapsed, _, err := h.pool.run(runSpec{n: bursts, stall: h.StallTimeout})
	return h.result(before, elapsed), err
}

// RunFor makes every connection send bursts until d has passed or ctx is
// done, calling progress (if not nil) about once a second with the
// responses so far, and returns the counts. If ctx ended the run, the
// counts are valid and the error is ctx's.
func (h *HTTP) RunFor(ctx context.Context, d time.Duration, progress func(Progress)) (Result, error) {
	before := h.totals()
	elapsed, _, err := h.pool.run(runSpec{n: -1, d: d, ctx: ctx, progress: progress, stall: h.StallTimeout})
	return h.result(before, elapsed), err
}

// Conns returns the number of connections.
func (h *HTTP) Conns() int { return len(h.conns) }

// Pipeline returns the number of requests in each burst.
func (h *HTTP) Pipeline() int { return h.pipeline }

// Close closes every connection and ends every goroutine of the client
// before returning. It is idempotent.
func (h *HTTP) Close() error { return h.pool.close() }

// httpTotals are an HTTP client's counts over all runs.
type httpTotals struct {
	stats     proto.ResponseStats
	bytesRead int64
}

// totals sums the connections' counts. It is called only between runs, when
// no driver is working: the run's result channel orders the drivers'
// writes before it.
func (h *HTTP) totals() httpTotals {
	var t httpTotals
	for _, c := range h.conns {
		t.stats.Add(c.reader.Stats())
		t.bytesRead += c.bytesRead
	}
	return t
}

// result is the counts of the run that started with totals before.
func (h *HTTP) result(before httpTotals, elapsed time.Duration) Result {
	after := h.totals()
	return Result{
		Responses: after.stats.Responses - before.stats.Responses,
		OK:        after.stats.OK() - before.stats.OK(),
		NotOK:     after.stats.NotOK() - before.stats.NotOK(),
		BytesRead: after.bytesRead - before.bytesRead,
		Elapsed:   elapsed,
	}
}

// httpConn is one connection of an HTTP client.
type httpConn struct {
	id        int
	conn      net.Conn
	requests  []byte // pipeline copies of the request, sent in one write
	pipeline  int
	buf       []byte
	reader    proto.ResponseReader // persists across bursts and runs: one per connection
	bytesRead int64
	writer    *asyncWriter // nil: bursts are written inline
	done      *atomic.Uint64
	stop      *atomic.Bool
}

func (c *httpConn) work(n int) error {
	for i := 0; n < 0 || i < n; i++ {
		if c.stop.Load() {
			return nil
		}
		if c.writer != nil {
			c.writer.submit(c.requests)
		} else if _, err := c.conn.Write(c.requests); err != nil {
			return c.fail(i, "write: %w", err)
		}
		got := 0
		for got < c.pipeline {
			k, err := c.conn.Read(c.buf)
			if k > 0 {
				c.bytesRead += int64(k)
				completed, ferr := c.reader.Feed(c.buf[:k])
				got += completed
				if ferr != nil {
					return c.fail(i, "response %d of %d: %w", got+1, c.pipeline, ferr)
				}
			}
			if err != nil && got < c.pipeline {
				return c.readFailed(i, got, err)
			}
		}
		if got > c.pipeline {
			return c.fail(i, "%d responses to %d requests", got, c.pipeline)
		}
		if c.reader.CloseSeen() {
			return c.fail(i, "the server answered %d with Connection: close; the connection cannot be reused", c.reader.LastStatus())
		}
		c.done.Add(uint64(c.pipeline))
	}
	return nil
}

// readFailed describes a read error in burst i after got responses.
func (c *httpConn) readFailed(i, got int, err error) error {
	if c.writer != nil {
		if werr := c.writer.writeErr(); werr != nil {
			return c.fail(i, "write: %w", werr)
		}
	}
	if errors.Is(err, io.EOF) {
		if c.reader.CloseSeen() {
			return c.fail(i, "the server closed the connection after %d of %d responses, the last one %d with Connection: close",
				got, c.pipeline, c.reader.LastStatus())
		}
		return c.fail(i, "the server closed the connection after %d of %d responses: %w", got, c.pipeline, err)
	}
	return c.fail(i, "read after %d of %d responses: %w", got, c.pipeline, err)
}

// fail wraps an error of burst i of the current run with its context.
func (c *httpConn) fail(i int, format string, args ...any) error {
	return fmt.Errorf("loadgen: http: connection %d, burst %d: %w", c.id, i, fmt.Errorf(format, args...))
}

func (c *httpConn) close() {
	if c.writer != nil {
		c.writer.close()
	}
}
