package callback

import (
	"errors"
	"math"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"iostrat/internal/epoll"
	"iostrat/internal/netpark"
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
	// Park is how the loop waits when it has nothing to run: on the Go
	// netpoller (the zero value) or blocked in epoll_wait on its thread.
	Park Park

	onExit func() // called on the loop goroutine as it stops (runtime use)
}

// Park is how an idle loop waits for its next event. Either way the loop
// goroutine stays locked to its OS thread, and a post wakes it through the
// eventfd in its epoll set; only what the Go scheduler sees differs.
type Park = netpark.Mode

const (
	// ParkNetpoll parks the loop goroutine on the Go runtime's netpoller,
	// waiting for the loop's epoll fd to become readable (nested epoll):
	// with GOMAXPROCS 1 the goroutine the loop has just woken runs without
	// waiting for sysmon. The wake-up costs the Go scheduler's hand-off to
	// the locked thread. The default.
	ParkNetpoll = netpark.Netpoll
	// ParkThread blocks the loop's thread in epoll_wait; until sysmon
	// retakes its P (20 µs to 10 ms), no other goroutine runs on that P.
	ParkThread = netpark.Thread
)

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
	parker   *netpark.Parker // nil with ParkThread
	look     func() bool     // l.lookOnce, made once: parking allocates nothing here
	tid      int             // the loop's OS thread, set before NewLoop returns
	exited   chan struct{}   // closed when the loop goroutine has ended

	// Shared with other goroutines.
	remote        remoteQueue
	sleeping      atomic.Bool   // the loop may be parked (see Park)
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
	got      int      // events the parker's last look collected
	gotErr   error    // and its error
	readBuf  []byte   // one read buffer for every connection of the loop
	writeBuf []byte   // scratch output, see Conn.WriteBuffer
	outPool  [][]byte // per-connection output buffers not in use
	stopping bool
	err      error

	count Counters // all but EventfdWrites, which is l.eventfdWrites

	final Counters // written before exited is closed
}

// ErrClosed is returned by Post once the loop is closing, and by
// NewServer when its acceptor loop has stopped. A connection still open
// when its loop stops is closed with it, and OnClose gets ErrClosed.
var ErrClosed = errors.New("callback: loop closed")

// Counters are a loop's statistics (see Loop.Stats). The loop counts in
// plain integers, since only its goroutine touches them, except the
// eventfd writes, which the posting goroutines count atomically.
type Counters struct {
	Callbacks     uint64 // posted, timer, watch and connection callbacks run
	Parks         uint64 // turns that could block (in epoll_wait or on the netpoller)
	SpuriousWakes uint64 // stale events dropped, reads that found nothing
	EpollWaits    uint64 // every epoll_wait, the parker's non-blocking looks included
	EpollCtls     uint64 // epoll_ctl calls
	Reads         uint64 // read calls on connections
	Writes        uint64 // write calls on connections
	Accepts       uint64 // accept4 calls
	EventfdWrites uint64 // eventfd writes by posts that found the loop parked
	EventfdReads  uint64 // eventfd reads by the loop
}

// Sub returns c minus earlier, field by field: the work done between two
// snapshots of one loop.
func (c Counters) Sub(earlier Counters) Counters {
	return Counters{
		Callbacks:     c.Callbacks - earlier.Callbacks,
		Parks:         c.Parks - earlier.Parks,
		SpuriousWakes: c.SpuriousWakes - earlier.SpuriousWakes,
		EpollWaits:    c.EpollWaits - earlier.EpollWaits,
		EpollCtls:     c.EpollCtls - earlier.EpollCtls,
		Reads:         c.Reads - earlier.Reads,
		Writes:        c.Writes - earlier.Writes,
		Accepts:       c.Accepts - earlier.Accepts,
		EventfdWrites: c.EventfdWrites - earlier.EventfdWrites,
		EventfdReads:  c.EventfdReads - earlier.EventfdReads,
	}
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
	if cfg.Park == ParkNetpoll {
		if l.parker, err = netpark.New(p.FD()); err != nil {
			n.Close()
			p.Close()
			return nil, err
		}
		l.look = l.lookOnce
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
	timeout := l.timeout()
	if timeout != 0 {
		// Announce the sleep, then look once more: a post either sees
		// sleeping and writes the eventfd, or is seen here (both sides
		// store, then load, with sequentially consistent atomics).
		l.sleeping.Store(true)
		if l.remote.pending.Load() {
			l.sleeping.Store(false)
			timeout = 0
		} else {
			l.count.Parks++
		}
	}
	var n int
	var err error
	switch {
	case timeout != 0:
		n, err = l.park(timeout)
		l.sleeping.Store(false)
	case l.watches > 0:
		n, err = l.poll(0)
	default:
		// With callbacks queued and no fd watched, a non-blocking poll
		// could only find the eventfd, and the posts it announces are
		// taken anyway.
	}
	if err != nil {
		l.err = err
		l.stopping = true
		return
	}
	l.now = timerheap.Now()
	for i := range n {
		l.dispatch(&l.events[i])
	}
	l.runTimers()
	l.runReady()
	l.runPosted()
}

// timeout is how long the loop may wait for events: 0 when it has
// callbacks to run, -1 when it has nothing at all, else until the next
// timer is due.
func (l *Loop) timeout() time.Duration {
	if !l.idle() {
		return 0
	}
	next := l.timers.Peek()
	if next == nil {
		return -1
	}
	return time.Duration(max(next.When-timerheap.Now(), 0))
}

// maxPark bounds one wait, so that a far deadline (a timer a year out)
// cannot overflow epoll_wait's 32-bit milliseconds; the loop just turns
// again when it passes.
const maxPark = math.MaxInt32 * time.Millisecond

// park waits for an fd to be ready, for a post's eventfd write, or for
// timeout to pass (-1: no limit), and returns the events collected.
//
// A timer's wait is rounded up to whole milliseconds in both modes, so
// the loop never wakes before its timer and timers due within the same
// millisecond fire in one turn, as libuv's do. On the netpoller a precise
// wait would not be more precise when timers are sparse: the Go runtime
// itself sleeps in whole milliseconds, at least one, when it is idle.
// When timers are dense it lowers the median lateness, but only by
// turning the loop through deadlines already past, measured at about
// half as much CPU again for 100,000 timers over 100 ms, for the same
// tail.
func (l *Loop) park(timeout time.Duration) (int, error) {
	msec := -1
	if timeout > 0 {
		msec = int((min(timeout, maxPark) + time.Millisecond - 1) / time.Millisecond)
	}
	if l.parker == nil {
		return l.poll(msec)
	}
	// The wait calls lookOnce after it has begun, so readiness that comes
	// after the sleeping flag was set and before the goroutine parked — a
	// post's eventfd write, a socket — is either collected by that look or
	// raises a netpoller notification the wait sees.
	l.got, l.gotErr = 0, nil
	// msec -1 becomes a negative duration: no deadline.
	if err := l.parker.Wait(time.Duration(msec)*time.Millisecond, l.look); err != nil {
		return 0, err
	}
	return l.got, l.gotErr
}

// lookOnce is the parker's look: a non-blocking epoll_wait, reporting
// whether the wait can end.
func (l *Loop) lookOnce() bool {
	l.got, l.gotErr = l.poll(0)
	return l.got > 0 || l.gotErr != nil
}

// poll is one epoll_wait of at most msec milliseconds (-1: no limit).
func (l *Loop) poll(msec int) (int, error) {
	l.count.EpollWaits++
	return l.poller.Wait(l.events, msec)
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
		l.count.Callbacks++
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
		l.count.Callbacks++
		fn()
	}
	q := &l.local
	for local := 0; local < l.cfg.Batch && q.tail != q.head; local++ {
		fn := q.pop()
		l.count.Callbacks++
		fn()
	}
}

// Post queues fn to run on the loop. It is safe from any goroutine,
// including the loop's own (where PostLocal is cheaper). Callbacks posted
// by one goroutine run in the order posted. Post returns ErrClosed once
// the loop is closing.
//
// A post writes the loop's eventfd only when it makes the queue non-empty
// while the loop is, or is about to be, blocked in epoll_wait: posts to a
// busy loop, and every post behind the first, cost no system call.
func (l *Loop) Post(fn func()) error {
	if !l.post(fn, false) {
		return ErrClosed
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
func (l *Loop) Stats() Counters {
	if l.onLoopThread() {
		return l.snapshot()
	}
	ch := make(chan Counters, 1)
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

func (l *Loop) snapshot() Counters {
	c := l.count
	c.EventfdWrites = l.eventfdWrites.Load()
	return c
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
			c.closeNow(ErrClosed)
		}
	}
	l.final = l.snapshot()
	if l.parker != nil {
		// Its duplicate of the epoll fd leaves the Go netpoller first.
		l.parker.Close()
	}
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
