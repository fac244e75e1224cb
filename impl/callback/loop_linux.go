package callback

import (
	"errors"
	"math"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"iostrat"
	"iostrat/internal/epoll"
	"iostrat/internal/timerheap"
)

// Defaults used when a [Config] field is zero.
const (
	// DefaultBatch bounds the posted callbacks one turn runs from each
	// queue (cross-thread and loop-local) before the loop polls for I/O
	// again. Large enough that the non-blocking epoll_wait between batches
	// costs well under a nanosecond per callback, small enough that a storm
	// of posts delays ready sockets by microseconds, not milliseconds.
	DefaultBatch = 1024
	// DefaultEvents is the capacity of the epoll_wait event array.
	DefaultEvents = 256
)

// Config tunes a Loop. The zero value asks for the defaults.
type Config struct {
	// Batch is the most callbacks one turn runs from each posting queue.
	Batch int
	// Events is the most readiness events one epoll_wait returns.
	Events int

	onExit func() // called on the loop goroutine as it stops (runtime use)
}

func (c Config) withDefaults() Config {
	if c.Batch <= 0 {
		c.Batch = DefaultBatch
	}
	if c.Events <= 0 {
		c.Events = DefaultEvents
	}
	return c
}

// notifierData is the epoll data of the loop's eventfd. No watch can carry
// it: watch data holds an fd below 2^31 in its low half.
const notifierData = ^uint64(0)

// A Loop is one event loop: a goroutine locked to its own OS thread that
// waits in epoll_wait and runs callbacks. See the package comment for its
// states and for which goroutine may call which method. A callback that
// panics is not recovered: like an uncaught exception in Node.js, it ends
// the program.
type Loop struct {
	// Set before the loop goroutine starts; read-only afterwards.
	cfg      Config
	poller   *epoll.Poller
	notifier *epoll.Notifier
	tid      int           // the loop's OS thread, set before NewLoop returns
	exited   chan struct{} // closed when the loop goroutine has ended

	// Shared with other goroutines.
	remote        remoteQueue
	sleeping      atomic.Bool   // the loop may be blocked in epoll_wait
	eventfdWrites atomic.Uint64 // counted by posting goroutines

	// Loop goroutine only.
	local    localQueue
	batch    []func() // remote callbacks taken; those before batchPos have run
	batchPos int
	timers   timerheap.Heap[func()]
	now      int64 // timerheap clock, read when the turn began
	fds      []slot
	watches  int     // live slots in fds
	ready    []*Conn // edge-triggered connections with input left: read next turn
	spare    []*Conn
	events   []epoll.Event
	readBuf  []byte   // one read buffer for every connection of the loop
	writeBuf []byte   // scratch output, see Conn.WriteBuffer
	outPool  [][]byte // per-connection output buffers not in use
	stopping bool
	err      error

	count counters

	final iostrat.Stats // written before exited is closed
}

// counters are the loop's statistics: plain integers, since only the loop
// goroutine touches them; Stats reads them on the loop.
type counters struct {
	callbacks    uint64 // posted, timer, watch and connection callbacks run
	parks        uint64 // turns that could block in epoll_wait
	epollWaits   uint64
	epollCtls    uint64
	reads        uint64
	writes       uint64
	accepts      uint64
	eventfdReads uint64
	spurious     uint64 // stale events dropped, reads that found nothing
}

// NewLoop starts a loop on a new goroutine locked to its own OS thread.
func NewLoop(cfg Config) (*Loop, error) {
	cfg = cfg.withDefaults()
	p, n, err := epoll.NewWithNotifier(notifierData)
	if err != nil {
		return nil, err
	}
	l := &Loop{
		cfg:      cfg,
		poller:   p,
		notifier: n,
		exited:   make(chan struct{}),
		events:   make([]epoll.Event, cfg.Events),
		local:    newLocalQueue(),
	}
	l.now = timerheap.Now()
	started := make(chan struct{})
	go l.run(started)
	<-started
	return l, nil
}

func (l *Loop) run(started chan<- struct{}) {
	// Never unlocked: when the goroutine ends, its thread ends with it
	// instead of going back to the Go scheduler's pool.
	runtime.LockOSThread()
	l.tid = unix.Gettid()
	close(started)
	for !l.stopping {
		l.turn()
	}
	l.shutdown()
}

// turn is one iteration of the loop: poll, dispatch ready fds, run due
// timers, read edge-triggered connections left over from the last turn,
// then run a bounded batch of posted callbacks.
func (l *Loop) turn() {
	timeout := 0
	if l.idle() {
		timeout = -1
		if l.timers.Len() > 0 {
			timeout = l.timers.TimeoutMillis(timerheap.Now())
		}
		if timeout != 0 {
			// Announce the sleep, then look once more: a post either sees
			// sleeping and writes the eventfd, or is seen here (both sides
			// store, then load, with sequentially consistent atomics).
			l.sleeping.Store(true)
			if l.remote.pending.Load() {
				l.sleeping.Store(false)
				timeout = 0
			} else {
				l.count.parks++
			}
		}
	}
	// With callbacks queued and no fd watched, a non-blocking poll could
	// only find the eventfd, and the posts it announces are taken anyway.
	if timeout != 0 || l.watches > 0 {
		n, err := l.poller.Wait(l.events, timeout)
		if timeout != 0 {
			l.sleeping.Store(false)
		}
		l.count.epollWaits++
		if err != nil {
			l.err = err
			l.stopping = true
			return
		}
		l.now = timerheap.Now()
		for i := range n {
			l.dispatch(&l.events[i])
		}
	} else {
		l.now = timerheap.Now()
	}
	l.runTimers()
	l.runReady()
	l.runPosted()
}

// idle reports whether the loop has nothing to run without new events.
func (l *Loop) idle() bool {
	return l.local.len() == 0 && l.batchPos == len(l.batch) && len(l.ready) == 0 && !l.stopping
}

func (l *Loop) runTimers() {
	for {
		t := l.timers.PopDue(l.now)
		if t == nil {
			return
		}
		fn := t.Value
		t.Value = nil
		l.count.callbacks++
		fn()
	}
}

// runPosted runs up to Batch cross-thread callbacks, then up to Batch
// loop-local ones (including those the first ones posted).
func (l *Loop) runPosted() {
	ran := 0
	for ran < l.cfg.Batch {
		if l.batchPos == len(l.batch) {
			if !l.remote.pending.Load() {
				break
			}
			l.batch = l.remote.take(l.batch[:0])
			l.batchPos = 0
			if len(l.batch) == 0 {
				break
			}
		}
		fn := l.batch[l.batchPos]
		l.batch[l.batchPos] = nil
		l.batchPos++
		ran++
		// Counted before it runs, not after the batch: a callback may be
		// the one that ends a workload, and a Stats snapshot posted then can
		// run later in this same batch; it must see every callback before it.
		l.count.callbacks++
		fn()
	}
	q := &l.local
	for local := 0; local < l.cfg.Batch && q.tail != q.head; local++ {
		fn := q.pop()
		l.count.callbacks++
		fn()
	}
}

// Post queues fn to run on the loop. It is safe from any goroutine,
// including the loop's own (where PostLocal is cheaper). Callbacks posted
// by one goroutine run in the order posted. Post returns iostrat.ErrClosed
// once the loop is closing.
//
// A post writes the loop's eventfd only when it makes the queue non-empty
// while the loop is, or is about to be, blocked in epoll_wait: posts to a
// busy loop, and every post behind the first, cost no system call.
func (l *Loop) Post(fn func()) error {
	if !l.post(fn, false) {
		return iostrat.ErrClosed
	}
	return nil
}

// PostLocal queues fn to run on the loop, from the loop's own goroutine
// only (inside a callback). It touches no atomic and takes no lock; calling
// it from any other goroutine is a data race (with -race it panics).
// Callbacks posted locally run in the order posted, after the callback
// that posts them returns; each turn runs at most Config.Batch of them
// before polling for I/O, so a callback that keeps posting itself cannot
// starve the sockets.
func (l *Loop) PostLocal(fn func()) {
	checkLoopThread(l)
	l.local.push(fn)
}

// post appends fn to the remote queue; last also closes the queue behind
// it. The eventfd write happens under the queue's lock so that once the
// loop has closed the queue no producer can still be about to write to an
// eventfd the loop is closing.
func (l *Loop) post(fn func(), last bool) bool {
	q := &l.remote
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, fn)
	q.closed = last
	if len(q.items) == 1 {
		q.pending.Store(true)
		if l.sleeping.Load() {
			if wrote, _ := l.notifier.Signal(); wrote {
				l.eventfdWrites.Add(1)
			}
		}
	}
	q.mu.Unlock()
	return true
}

// onLoopThread reports whether the caller runs on the loop's goroutine: the
// loop goroutine is locked to its thread and no other goroutine runs there.
// It makes a system call, so it guards rare calls only.
func (l *Loop) onLoopThread() bool { return unix.Gettid() == l.tid }

var errOnLoop = errors.New("callback: blocking Loop method called from the loop's own goroutine")

// UpdateNow refreshes the loop's clock. Timers count from the time the
// current turn began (as libuv's uv_now does), which saves a clock read per
// timer; a long callback that arms timers calls UpdateNow first. Loop
// goroutine only.
func (l *Loop) UpdateNow() {
	checkLoopThread(l)
	l.now = timerheap.Now()
}

// Stats returns the loop's counters. It asks the loop for them with a
// posted callback and waits, so the counts include every callback that ran
// before the call; after Close it returns the final counts. Not from the
// loop's own goroutine.
func (l *Loop) Stats() iostrat.Stats {
	if l.onLoopThread() {
		return l.snapshot()
	}
	ch := make(chan iostrat.Stats, 1)
	if l.Post(func() { ch <- l.snapshot() }) == nil {
		select {
		case s := <-ch:
			return s
		case <-l.exited:
		}
	}
	<-l.exited
	return l.final
}

func (l *Loop) snapshot() iostrat.Stats {
	var s iostrat.Stats
	c := &l.count
	s.Set(iostrat.CallbacksRun, c.callbacks)
	s.Set(iostrat.SpuriousWakes, c.spurious)
	s.Set(iostrat.Parks, c.parks)
	s.Set(iostrat.SysEpollWait, c.epollWaits)
	s.Set(iostrat.SysEpollCtl, c.epollCtls)
	s.Set(iostrat.SysRead, c.reads)
	s.Set(iostrat.SysWrite, c.writes)
	s.Set(iostrat.SysAccept, c.accepts)
	s.Set(iostrat.SysEventfdWrite, l.eventfdWrites.Load())
	s.Set(iostrat.SysEventfdRead, c.eventfdReads)
	return s
}

// Close stops the loop and waits for its goroutine and thread to end.
// Callbacks posted before Close run first; those still queued behind the
// loop-local batch, and pending timers, are dropped. Connections of a
// Server still open are closed (close Servers first to drain them
// gracefully). Fds watched with Watch are left open: they are the
// caller's. Close is idempotent; not from the loop's own goroutine.
func (l *Loop) Close() error {
	if l.onLoopThread() {
		return errOnLoop
	}
	l.post(func() { l.stopping = true }, true)
	<-l.exited
	return l.err
}

// Done returns a channel closed when the loop has stopped.
func (l *Loop) Done() <-chan struct{} { return l.exited }

// Err returns the error that stopped the loop, if any, once Done is closed.
func (l *Loop) Err() error {
	select {
	case <-l.exited:
		return l.err
	default:
		return nil
	}
}

func (l *Loop) shutdown() {
	l.remote.close()
	for fd := range l.fds {
		if c := l.fds[fd].conn; c != nil {
			c.closeNow(iostrat.ErrClosed)
		}
	}
	l.final = l.snapshot()
	l.notifier.Close()
	l.poller.Close()
	l.batch, l.local, l.timers, l.fds, l.ready = nil, newLocalQueue(), timerheap.Heap[func()]{}, nil, nil
	if l.cfg.onExit != nil {
		l.cfg.onExit()
	}
	close(l.exited)
}

// A Timer is a callback armed with AfterFunc.
type Timer struct {
	loop  *Loop
	entry timerheap.Timer[func()]
}

// AfterFunc arms fn to run on the loop d after the loop's clock (see
// UpdateNow), and returns its handle. Timers fire in deadline order; a
// timer armed from a timer callback runs on a later turn, never the same
// one, even with d <= 0. Loop goroutine only.
func (l *Loop) AfterFunc(d time.Duration, fn func()) *Timer {
	checkLoopThread(l)
	t := &Timer{loop: l}
	t.entry.When = l.now + max(int64(d), 1)
	if t.entry.When < l.now {
		t.entry.When = math.MaxInt64 // d overflowed the clock: never, in practice
	}
	t.entry.Value = fn
	l.timers.Push(&t.entry)
	return t
}

// Stop cancels the timer. It reports whether the timer was pending, that
// is, whether Stop kept fn from running. Loop goroutine only.
func (t *Timer) Stop() bool {
	checkLoopThread(t.loop)
	if !t.loop.timers.Remove(&t.entry) {
		return false
	}
	t.entry.Value = nil
	return true
}
