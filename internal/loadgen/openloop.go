package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"iostrat/internal/proto"
)

// Open-loop defaults, used when the matching OpenLoopConfig field is zero.
const (
	// DefaultSlack is how late a sender may be before the run is flagged
	// Behind. Waking a parked goroutine takes tens of microseconds, so on
	// time means well under this.
	DefaultSlack = 10 * time.Millisecond
	// DefaultDrain is how long after the last intended send the readers
	// wait for the last responses; later ones are counted as errors.
	DefaultDrain = 2 * time.Second
)

// startLead is the time between starting the goroutines of an open-loop run
// and its first intended send, so that every sender is waiting when the
// schedule begins.
const startLead = 10 * time.Millisecond

// maxBatch bounds the requests a late sender puts in one write, and
// maxBatchBytes the bytes, so a sender far behind still sends in
// reasonable writes.
const (
	maxBatch      = 64
	maxBatchBytes = 256 << 10
)

// OpenLoopConfig describes an open-loop run.
type OpenLoopConfig struct {
	// Addr is the server's address.
	Addr string
	// Proto is "http" (GET /plaintext, pipelined as the schedule requires)
	// or "echo" (messages of Size bytes, streamed).
	Proto string
	// Size is the echo message size in bytes; unused for http.
	Size int
	// Conns is the number of connections; Rate is spread evenly over them.
	Conns int
	// Rate is the total requests per second.
	Rate float64
	// Duration is the measured part of the run, after Warmup.
	Duration time.Duration
	// Warmup runs the schedule before the measured part; its requests are
	// sent and verified but not counted and their latencies not kept.
	Warmup time.Duration
	// Samples receives the latency of each measured request, in
	// completion order. It is the caller's, preallocated so nothing is
	// allocated while measuring: make it Rate*Duration long (plus margin)
	// to keep every sample. Latencies beyond its length are counted as
	// Dropped. It may be nil.
	Samples []time.Duration
	// Slack is how late a send may be before the run is flagged Behind;
	// 0 means DefaultSlack.
	Slack time.Duration
	// Drain is how long the readers wait for responses after the last
	// intended send; 0 means DefaultDrain.
	Drain time.Duration
}

// OpenLoopResult is the outcome of an open-loop run. Counts are of measured
// requests: those whose intended send time is in the Duration after Warmup.
type OpenLoopResult struct {
	// Scheduled is the number of requests the schedule called for:
	// Rate*Duration, give or take one per connection.
	Scheduled uint64
	// Sent is the number written. Fewer than Scheduled only when a
	// connection failed.
	Sent uint64
	// Completed is the number answered with a verified response.
	Completed uint64
	// NotOK counts HTTP responses that were not 2xx, warmup included;
	// they are verified and also counted in Completed.
	NotOK uint64
	// Errors is the number sent that got no verified response: the
	// connection failed, the response was wrong, or none came within Drain.
	Errors uint64
	// Dropped is the number of latencies not kept because Samples was full.
	Dropped uint64
	// Rate is the achieved rate: Completed per second of Duration.
	Rate float64
	// Latencies are the kept latencies, arrival minus intended send time,
	// in completion order: a prefix of the caller's Samples.
	Latencies []time.Duration

	// Behind reports that a sender fell behind the schedule by more than
	// Slack: the client was overloaded or descheduled, or the server
	// stopped reading so a write blocked. Latencies still count from the
	// intended times, so they are never understated, but the late requests
	// went out in bursts rather than evenly and the client's own delay is
	// in their latencies: a Behind run is not a measurement of the server
	// alone and must not be published as one.
	Behind bool
	// LateSends is the number of requests sent more than Slack after their
	// intended time.
	LateSends uint64
	// MaxLate is the furthest any request's send fell behind its intended
	// time.
	MaxLate time.Duration
}

// OpenLoop runs cfg's schedule and returns what was measured. It dials
// every connection first and returns an error, with nothing measured, if
// one fails. Once the schedule has started it runs to the end, and the
// error it returns, if any, is the first failure of a request (a wrong
// response, a closed connection, responses still missing after Drain); the
// result still counts everything measured, failures in Errors.
func OpenLoop(cfg OpenLoopConfig) (OpenLoopResult, error) {
	if err := cfg.validate(); err != nil {
		return OpenLoopResult{}, err
	}
	if cfg.Slack <= 0 {
		cfg.Slack = DefaultSlack
	}
	if cfg.Drain <= 0 {
		cfg.Drain = DefaultDrain
	}
	conns, err := dialAll("open loop "+cfg.Proto, cfg.Addr, cfg.Conns)
	if err != nil {
		return OpenLoopResult{}, err
	}
	r := &openLoopRun{cfg: cfg}
	if cfg.Proto == "http" {
		r.requests = proto.AppendRequests(nil, maxBatch)
	}
	r.conns = make([]*openLoopConn, len(conns))
	for i, conn := range conns {
		c, err := r.newConn(i, conn)
		if err != nil {
			for _, c := range r.conns[:i] {
				c.pacer.close()
			}
			for _, conn := range conns {
				conn.Close()
			}
			return OpenLoopResult{}, err
		}
		r.conns[i] = c
	}

	r.start = time.Now().Add(startLead)
	end := r.start.Add(cfg.Warmup + cfg.Duration + cfg.Drain)
	var wg sync.WaitGroup
	for _, c := range r.conns {
		c.conn.SetDeadline(end) // bounds every read and write of the run
		wg.Add(2)
		go func() { defer wg.Done(); c.send() }()
		go func() { defer wg.Done(); c.receive() }()
	}
	wg.Wait()
	for _, c := range r.conns {
		c.conn.Close()
		c.pacer.close()
	}
	return r.result(), r.firstErr
}

func (cfg *OpenLoopConfig) validate() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("loadgen: open loop: "+format, args...)
	}
	switch {
	case cfg.Proto != "http" && cfg.Proto != "echo":
		return fail("protocol %q, want http or echo", cfg.Proto)
	case cfg.Proto == "echo" && cfg.Size <= 0:
		return fail("echo message size %d, want at least 1", cfg.Size)
	case cfg.Conns <= 0:
		return fail("%d connections, want at least 1", cfg.Conns)
	case !(cfg.Rate > 0) || math.IsInf(cfg.Rate, 0):
		return fail("rate %v requests/s, want a positive number", cfg.Rate)
	case cfg.Duration <= 0:
		return fail("duration %v, want more than 0", cfg.Duration)
	case cfg.Warmup < 0:
		return fail("warmup %v, want at least 0", cfg.Warmup)
	}
	return nil
}

// openLoopRun is the state of one OpenLoop call shared by its connections.
type openLoopRun struct {
	cfg        OpenLoopConfig
	start      time.Time // time 0 of every schedule
	requests   []byte    // http: maxBatch requests, read-only; a batch is a prefix
	conns      []*openLoopConn
	nextSample atomic.Int64 // index in cfg.Samples of the next latency

	mu       sync.Mutex
	firstErr error
}

// fail records err as the run's error if it is the first.
func (r *openLoopRun) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.firstErr == nil {
		r.firstErr = err
	}
}

// schedule is one connection's intended send times: request k is due
// offset+k*interval nanoseconds after the run's start.
type schedule struct {
	offset, interval float64 // nanoseconds
	first            int     // the first measured request: due at or after the warmup
	count            int     // the requests due before the end of the measured part
}

// newSchedule is connection i's schedule of n. The connections take turns,
// so together they send one request every 1/rate seconds.
func newSchedule(i, n int, rate float64, warmup, duration time.Duration) schedule {
	gap := 1e9 / rate
	s := schedule{offset: float64(i) * gap, interval: float64(n) * gap}
	s.first = s.firstAfter(warmup - 1)
	s.count = s.firstAfter(warmup + duration - 1)
	return s
}

// at is request k's intended send time.
func (s schedule) at(k int) time.Duration {
	return time.Duration(s.offset + float64(k)*s.interval)
}

// firstAfter returns the first request due after t, which is also the
// number of requests due by t.
func (s schedule) firstAfter(t time.Duration) int {
	if float64(t) < s.offset {
		return 0
	}
	k := int((float64(t) - s.offset) / s.interval)
	// The division may round either way; at is the definition.
	for k > 0 && s.at(k-1) > t {
		k--
	}
	for s.at(k) <= t {
		k++
	}
	return k
}

// openLoopConn is one connection of an open-loop run: a sender and a
// reader goroutine around one socket and one schedule.
type openLoopConn struct {
	run   *openLoopRun
	id    int
	conn  net.Conn
	sched schedule
	pacer *pacer

	// The sender's. sent is read by the reader to report missing responses.
	sent      atomic.Int64  // requests written
	payload   payload       // echo
	batch     net.Buffers   // echo: the messages of one write
	batchBufs [][]byte      // echo: batch's backing array, refilled per write
	maxBatch  int           // requests per write at most
	measured  uint64        // measured requests written
	lateSends uint64        // measured requests written more than Slack late
	maxLate   time.Duration // the latest a measured request was written

	// The reader's.
	buf       []byte
	reader    proto.ResponseReader // http
	pos       int                  // echo: bytes of the current message received
	received  int                  // responses received
	completed uint64               // measured responses received
	dropped   uint64               // their latencies not kept

	mu  sync.Mutex
	err error // the connection's first failure
}

func (r *openLoopRun) newConn(i int, conn net.Conn) (*openLoopConn, error) {
	p, err := newPacer()
	if err != nil {
		return nil, err
	}
	cfg := &r.cfg
	c := &openLoopConn{
		run:      r,
		id:       i,
		conn:     conn,
		sched:    newSchedule(i, cfg.Conns, cfg.Rate, cfg.Warmup, cfg.Duration),
		pacer:    p,
		maxBatch: maxBatch,
		buf:      make([]byte, 64<<10),
	}
	if cfg.Proto == "echo" {
		c.payload = newPayload(cfg.Size, echoShifts, uint64(i))
		c.maxBatch = min(maxBatch, max(1, maxBatchBytes/cfg.Size))
		c.batchBufs = make([][]byte, c.maxBatch)
	}
	return c, nil
}

// fail records the connection's first failure and ends both of its
// goroutines: the other one is unblocked by the expired deadline or the
// aborted pacer.
func (c *openLoopConn) fail(err error) {
	c.mu.Lock()
	first := c.err == nil
	if first {
		c.err = err
	}
	c.mu.Unlock()
	if first {
		c.run.fail(err)
		c.conn.SetDeadline(aLongTimeAgo)
		c.pacer.abort()
	}
}

// failed reports whether the connection has failed.
func (c *openLoopConn) failed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err != nil
}

func (c *openLoopConn) errorf(format string, args ...any) error {
	return fmt.Errorf("loadgen: open loop %s: connection %d to %s: %w",
		c.run.cfg.Proto, c.id, c.run.cfg.Addr, fmt.Errorf(format, args...))
}

// send writes every request of the schedule at its intended time, never
// earlier. Whatever is due when it wakes (it may be late) goes in one
// write.
func (c *openLoopConn) send() {
	slack := c.run.cfg.Slack
	for k := 0; k < c.sched.count; {
		at := c.sched.at(k)
		now := time.Since(c.run.start)
		for now < at {
			if err := c.pacer.sleep(at - now); err != nil {
				if !c.failed() {
					c.fail(c.errorf("waiting to send request %d: %w", k, err))
				}
				return
			}
			now = time.Since(c.run.start)
		}
		due := min(c.sched.firstAfter(now), c.sched.count, k+c.maxBatch) - k

		// Account for the measured requests of the batch: the oldest is
		// the latest, and those due before now-slack are late.
		if lo, hi := max(k, c.sched.first), k+due; lo < hi {
			c.measured += uint64(hi - lo)
			c.maxLate = max(c.maxLate, now-c.sched.at(lo))
			if late := min(c.sched.firstAfter(now-slack-1), hi) - lo; late > 0 {
				c.lateSends += uint64(late)
			}
		}

		if err := c.write(k, due); err != nil {
			if !c.failed() {
				c.fail(c.errorf("writing requests %d to %d: %w", k, k+due-1, err))
			}
			return
		}
		k += due
		c.sent.Store(int64(k))
	}
}

// write sends requests k to k+n-1 in one write.
func (c *openLoopConn) write(k, n int) error {
	if c.run.cfg.Proto == "http" {
		_, err := c.conn.Write(c.run.requests[:n*len(proto.PlaintextRequest)])
		return err
	}
	for j := range n {
		c.batchBufs[j] = c.payload.message(uint64(k + j))
	}
	c.batch = c.batchBufs[:n] // WriteTo consumes batch, not batchBufs' contents
	_, err := c.batch.WriteTo(c.conn)
	return err
}

// receive reads and verifies every response, in order, and records the
// latency of each measured one from the time its read returned.
func (c *openLoopConn) receive() {
	for c.received < c.sched.count {
		n, err := c.conn.Read(c.buf)
		now := time.Since(c.run.start)
		if n > 0 {
			if verr := c.consume(c.buf[:n], now); verr != nil {
				c.fail(verr)
				return
			}
		}
		if err != nil && c.received < c.sched.count {
			if !c.failed() {
				c.fail(c.readError(err))
			}
			return
		}
	}
}

// readError describes why the responses stopped.
func (c *openLoopConn) readError(err error) error {
	sent := int(c.sent.Load())
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return c.errorf("%d of %d responses still missing %v after the schedule ended",
			sent-c.received, sent, c.run.cfg.Drain)
	case errors.Is(err, io.EOF):
		return c.errorf("the server closed the connection after %d of %d responses", c.received, sent)
	}
	return c.errorf("read after %d of %d responses: %w", c.received, sent, err)
}

// consume verifies the bytes just read and records the responses they
// complete as arrived at now.
func (c *openLoopConn) consume(b []byte, now time.Duration) error {
	if c.run.cfg.Proto == "http" {
		completed, err := c.reader.Feed(b)
		for range completed {
			c.record(now)
		}
		if err != nil {
			return c.errorf("response %d: %w", c.received+1, err)
		}
		if c.received > c.sched.count {
			return c.errorf("%d responses to %d requests", c.received, c.sched.count)
		}
		return nil
	}
	size := c.run.cfg.Size
	for len(b) > 0 {
		if c.received == c.sched.count {
			return c.errorf("%d bytes after the last echo", len(b))
		}
		want := c.payload.message(uint64(c.received))[c.pos:]
		m := min(len(b), len(want))
		if !bytes.Equal(b[:m], want[:m]) {
			i := 0
			for b[i] == want[i] {
				i++
			}
			return c.errorf("wrong echo of message %d: byte %d of %d is %#02x, want %#02x",
				c.received, c.pos+i, size, b[i], want[i])
		}
		b = b[m:]
		c.pos += m
		if c.pos == size {
			c.pos = 0
			c.record(now)
		}
	}
	return nil
}

// record counts the next response as arrived at now and keeps its latency
// if it is measured.
func (c *openLoopConn) record(now time.Duration) {
	k := c.received
	c.received++
	if k < c.sched.first || k >= c.sched.count {
		return
	}
	c.completed++
	latency := now - c.sched.at(k)
	if i := c.run.nextSample.Add(1) - 1; i < int64(len(c.run.cfg.Samples)) {
		c.run.cfg.Samples[i] = latency
	} else {
		c.dropped++
	}
}

// result totals the connections. It is called after every goroutine of the
// run has ended.
func (r *openLoopRun) result() OpenLoopResult {
	var res OpenLoopResult
	for _, c := range r.conns {
		res.Scheduled += uint64(c.sched.count - c.sched.first)
		res.Sent += c.measured
		res.Completed += c.completed
		if c.completed < c.measured {
			res.Errors += c.measured - c.completed
		}
		res.Dropped += c.dropped
		res.NotOK += c.reader.Stats().NotOK()
		res.LateSends += c.lateSends
		res.MaxLate = max(res.MaxLate, c.maxLate)
		c.reader.Finish()
	}
	res.Latencies = r.cfg.Samples[:min(r.nextSample.Load(), int64(len(r.cfg.Samples)))]
	res.Rate = float64(res.Completed) / r.cfg.Duration.Seconds()
	res.Behind = res.LateSends > 0
	return res
}
