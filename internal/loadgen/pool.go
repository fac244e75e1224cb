package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultStallTimeout is how long a connection of a closed-loop client may
// make no progress before its run fails. A loopback round trip takes
// microseconds; ten seconds without one means the server is stuck.
const DefaultStallTimeout = 10 * time.Second

// dialTimeout bounds every dial, so an address that drops SYNs fails
// instead of hanging.
const dialTimeout = 10 * time.Second

// progressInterval is how often RunFor reports progress.
const progressInterval = time.Second

// aLongTimeAgo is a deadline in the past: setting it unblocks every read
// and write on a connection at once.
var aLongTimeAgo = time.Unix(1, 0)

// Progress is a report from a running RunFor, about once a second.
type Progress struct {
	// Elapsed is the time since the run started.
	Elapsed time.Duration
	// Requests is the number of verified requests (round trips, HTTP
	// responses) completed in the run so far.
	Requests uint64
	// Rate is the requests per second completed since the previous report.
	Rate float64
}

// A connWorker is one connection's side of a closed-loop client, driven by
// its own goroutine in a pool.
type connWorker interface {
	// work does n units of work (round trips, bursts, frames) or, when n is
	// negative, units until the pool's stop flag is set. It adds each
	// finished unit's requests to its slot's done counter and returns the
	// first error, with the connection and the unit in it.
	work(n int) error
	// close ends the worker's helper goroutines, if any. The connection is
	// already closed and work has returned for the last time.
	close()
}

// A slot is one connection of a pool and its driver.
type slot struct {
	// done counts the requests this connection has completed, over all
	// runs: the watchdog and progress reports read it while the driver
	// adds to it.
	done atomic.Uint64
	// The padding keeps each hot counter on its own cache line.
	_      [56]byte
	jobs   chan int // one run's n, for the driver goroutine
	conn   net.Conn
	worker connWorker
}

// runResult is one connection's outcome of a run.
type runResult struct {
	conn int
	err  error
}

// A pool holds the connections of a closed-loop client (Echo, HTTP, Pump),
// each with one driver goroutine that lives until Close, and runs them
// together: a run hands every driver its job, then waits for all of them
// while it watches for stalls, reports progress and ends timed runs.
//
// Runs are serialized by mu; Close may be called from any goroutine, and
// aborts a run in progress.
type pool struct {
	kind string // client name, at the head of every error: "echo", "http", "pump"
	unit string // a unit of work, for stall errors: "round trip", "burst", "frame"
	addr string

	slots   []*slot
	results chan runResult
	stop    atomic.Bool // set to end a run early: timed runs, aborts
	timer   *time.Timer // the run loop's single timer, reused across runs
	wg      sync.WaitGroup

	mu     sync.Mutex // held by a run, and by Close while it ends the drivers
	closed bool
	broken error // the failure that aborted an earlier run; the connections are unusable

	// Per-run scratch of the watchdog, kept to make runs allocation-free.
	finished   []bool
	lastDone   []uint64
	lastChange []time.Time

	closeOnce sync.Once
}

// errClosed is returned by a run after Close.
var errClosed = errors.New("loadgen: use of closed client")

// dialAll dials n connections to addr, closing those already made if one
// fails.
func dialAll(kind, addr string, n int) ([]net.Conn, error) {
	if n <= 0 {
		return nil, fmt.Errorf("loadgen: %s: %d connections, want at least 1", kind, n)
	}
	d := net.Dialer{Timeout: dialTimeout}
	conns := make([]net.Conn, 0, n)
	for i := range n {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			return nil, fmt.Errorf("loadgen: %s: dialing %s, connection %d of %d: %w", kind, addr, i, n, err)
		}
		conns = append(conns, c)
	}
	return conns, nil
}

// newPool starts one driver goroutine per connection. newWorker builds the
// worker of conns[i], given its slot's done counter and the pool's stop
// flag.
func newPool(kind, unit, addr string, conns []net.Conn, newWorker func(i int, conn net.Conn, done *atomic.Uint64, stop *atomic.Bool) connWorker) *pool {
	p := &pool{
		kind:       kind,
		unit:       unit,
		addr:       addr,
		slots:      make([]*slot, len(conns)),
		results:    make(chan runResult, len(conns)),
		timer:      time.NewTimer(time.Hour),
		finished:   make([]bool, len(conns)),
		lastDone:   make([]uint64, len(conns)),
		lastChange: make([]time.Time, len(conns)),
	}
	p.timer.Stop()
	for i, c := range conns {
		s := &slot{jobs: make(chan int, 1), conn: c}
		s.worker = newWorker(i, c, &s.done, &p.stop)
		p.slots[i] = s
	}
	p.wg.Add(len(p.slots))
	for i, s := range p.slots {
		go func() {
			defer p.wg.Done()
			for n := range s.jobs {
				p.results <- runResult{conn: i, err: s.worker.work(n)}
			}
		}()
	}
	return p
}

// runSpec says how long a run lasts.
type runSpec struct {
	n        int             // units per connection; negative: until d has passed or ctx is done
	d        time.Duration   // the length of a timed run
	ctx      context.Context // ends a timed run early; nil for none
	progress func(Progress)  // called about once a second during a timed run; may be nil
	stall    time.Duration   // 0 means DefaultStallTimeout
}

// run runs every connection's job and waits for all of them. It returns the
// run's length, the requests completed, and the first error. On the first
// error or stall it aborts every connection, so the run ends promptly, and
// the pool is unusable afterwards: each later run returns that error.
func (p *pool) run(spec runSpec) (elapsed time.Duration, requests uint64, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, 0, fmt.Errorf("loadgen: %s: %w", p.kind, errClosed)
	}
	if p.broken != nil {
		return 0, 0, fmt.Errorf("loadgen: %s: unusable after an earlier failure: %w", p.kind, p.broken)
	}
	stall := spec.stall
	if stall <= 0 {
		stall = DefaultStallTimeout
	}
	tick := min(progressInterval, stall/4)
	var ctxDone <-chan struct{}
	if spec.ctx != nil {
		ctxDone = spec.ctx.Done()
	}
	var ctxErr error

	p.stop.Store(false)
	start := time.Now()
	base := p.doneTotal()
	for i, s := range p.slots {
		p.finished[i] = false
		p.lastDone[i] = s.done.Load()
		p.lastChange[i] = start
		s.jobs <- spec.n
	}
	lastReport, lastRequests := start, base
	end := start.Add(spec.d)
	p.timer.Reset(p.nextWake(spec, tick, start, end))
	for pending := len(p.slots); pending > 0; {
		select {
		case r := <-p.results:
			pending--
			p.finished[r.conn] = true
			if r.err != nil && err == nil {
				err = r.err
				p.abort(err)
			}
		case <-ctxDone:
			ctxDone = nil
			ctxErr = spec.ctx.Err()
			p.stop.Store(true)
		case now := <-p.timer.C:
			if spec.n < 0 && !now.Before(end) {
				p.stop.Store(true)
			}
			if serr := p.checkStalls(now, stall); serr != nil && err == nil {
				err = serr
				p.abort(err)
			}
			if spec.progress != nil && now.Sub(lastReport) >= progressInterval && !p.stop.Load() {
				done := p.doneTotal()
				spec.progress(Progress{
					Elapsed:  now.Sub(start),
					Requests: done - base,
					Rate:     float64(done-lastRequests) / now.Sub(lastReport).Seconds(),
				})
				lastReport, lastRequests = now, done
			}
			p.timer.Reset(p.nextWake(spec, tick, now, end))
		}
	}
	p.timer.Stop()
	elapsed = time.Since(start)
	requests = p.doneTotal() - base
	if err == nil {
		err = ctxErr
	}
	return elapsed, requests, err
}

// nextWake is how long the run loop may sleep: a watchdog tick, or less to
// end a timed run on time.
func (p *pool) nextWake(spec runSpec, tick time.Duration, now, end time.Time) time.Duration {
	if spec.n < 0 && !p.stop.Load() {
		if left := end.Sub(now); left < tick {
			return max(left, 0)
		}
	}
	return tick
}

// checkStalls returns an error for the first unfinished connection whose
// done counter has not moved for stall.
func (p *pool) checkStalls(now time.Time, stall time.Duration) error {
	for i, s := range p.slots {
		if p.finished[i] {
			continue
		}
		if d := s.done.Load(); d != p.lastDone[i] {
			p.lastDone[i], p.lastChange[i] = d, now
			continue
		}
		if now.Sub(p.lastChange[i]) >= stall {
			return fmt.Errorf("loadgen: %s: connection %d to %s: no %s completed for %v: the server is stuck or too slow",
				p.kind, i, p.addr, p.unit, stall.Round(time.Millisecond))
		}
	}
	return nil
}

// doneTotal sums the done counters of every connection.
func (p *pool) doneTotal() uint64 {
	var total uint64
	for _, s := range p.slots {
		total += s.done.Load()
	}
	return total
}

// abort ends the run in progress at once: it stops timed loops and expires
// every connection's deadlines, which unblocks every read and write. The
// connections are useless afterwards, so the pool is marked broken.
func (p *pool) abort(cause error) {
	p.broken = cause
	p.stop.Store(true)
	for _, s := range p.slots {
		s.conn.SetDeadline(aLongTimeAgo)
	}
}

// close closes every connection, which aborts a run in progress, then ends
// every goroutine of the pool and its workers before returning.
func (p *pool) close() error {
	var err error
	p.closeOnce.Do(func() {
		for _, s := range p.slots {
			if cerr := s.conn.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("loadgen: %s: closing connection to %s: %w", p.kind, p.addr, cerr)
			}
		}
		p.mu.Lock()
		p.closed = true
		for _, s := range p.slots {
			close(s.jobs)
		}
		p.mu.Unlock()
		p.wg.Wait()
		for _, s := range p.slots {
			s.worker.close()
		}
	})
	return err
}
