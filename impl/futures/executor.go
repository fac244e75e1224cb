package futures

import (
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/cpu"

	"iostrat/internal/timerheap"

	"iostrat/internal/netpark"
)

// Errors returned by the executor.
var (
	// ErrClosed: the executor has been closed.
	ErrClosed = errors.New("futures: executor closed")
	// ErrRunning: the executor is already running a loop (Run or BlockOn,
	// possibly nested inside one of its own tasks), or Close was called
	// while it runs.
	ErrRunning = errors.New("futures: executor already running")
	// ErrStopped: Stop ended the loop before BlockOn's future completed,
	// or was called before Run or BlockOn.
	ErrStopped = errors.New("futures: executor stopped")
)

// Config tunes an executor. The zero value asks for the defaults.
type Config struct {
	// Batch is the number of tasks polled in one turn before the executor
	// looks at its inbox, its timers and its reactor again. 0 means 61,
	// tokio's event interval.
	Batch int
	// PoolCap bounds the task cells kept for reuse, per future type. 0
	// means 1<<16; [NoPool] (any negative value) turns pooling off, so
	// that every spawn allocates its cell and every finished task is left
	// to the garbage collector, as a runtime without a task pool does.
	PoolCap int
	// Park is how the loop waits when no task is ready. The zero value is
	// [ParkNetpoll].
	Park Park
}

// Defaults for a zero [Config].
const (
	DefaultBatch   = 61
	DefaultPoolCap = 1 << 16
	// NoPool as Config.PoolCap turns task-cell pooling off.
	NoPool = -1
)

// Park is how an idle loop waits for its next event: a timer, an fd
// event, or a wake, spawn or Stop from another goroutine (the eventfd).
//
// The loop's goroutine is usually locked to its OS thread. Blocked in
// epoll_wait, that thread keeps the Go scheduler's P until the runtime's
// monitor (sysmon, every 20 µs to 10 ms) takes it back, and with
// GOMAXPROCS 1 the goroutine the loop just woke — a BlockOn caller waiting
// on a channel, say — waits that long to run. Parked on the Go netpoller
// instead, the loop gives its P back at once, as a goroutine blocked on a
// net.Conn does.
type Park = netpark.Mode

const (
	// ParkNetpoll parks the loop's goroutine on the Go runtime's
	// netpoller, waiting for the executor's epoll fd to become readable
	// (nested epoll; see internal/netpark). The default.
	ParkNetpoll = netpark.Netpoll
	// ParkThread blocks the loop's thread in epoll_wait.
	ParkThread = netpark.Thread
)

// An Executor runs tasks: futures it owns and polls until they are ready.
// It is a current-thread executor: one goroutine at a time runs its loop
// (Run or BlockOn), and every task is polled on that goroutine, called the
// owner. The executor's reactor (epoll and a timer heap) belongs to it too:
// when no task is ready the loop parks until an fd event, a timer or a
// post from another goroutine (see [Park]).
//
// Who may call what:
//   - Spawn, SpawnDetached, Waker methods, Notify.Notify and Stop may be
//     called from any goroutine. From the owner they touch plain fields
//     only; from elsewhere they go through the inbox, a mutex-guarded queue
//     the loop drains at every turn, and wake a parked loop through an
//     eventfd.
//   - Everything else that a future does (JoinHandle, Source, Sleep,
//     waiting on a Notify) happens inside a poll, hence on the owner.
//
// Tasks stay on the executor that spawned them. A program that wants every
// core runs one executor per core (thread-per-core), as the iostrat adapter
// does.
type Executor struct {
	// owner is the goroutine token of the goroutine running the loop, 0
	// when none. It decides between the plain and the inbox path.
	owner    atomic.Uintptr
	running  atomic.Bool // a loop or Close holds the executor
	stopping atomic.Bool // Stop was called: loops return at their next turn
	closed   atomic.Bool // Close ran: spawns and posts are refused

	// Owner only.
	runHead, runTail *header // run queue, linked through header.next
	allHead          *header // live tasks, linked through allPrev/allNext
	cx               Context // lent to every poll
	pools            map[*taskVTable]*cellPool
	lastType         reflect.Type // cache of the last Spawn's pool
	lastPool         *cellPool
	timers           timerheap.Heap[Waker]
	reactor          *reactor
	batch            int
	poolCap          int
	count            counters
	spare            []inboxEntry // the inbox's other buffer

	// Shared with other goroutines, on cache lines of their own so that
	// goroutines posting to the inbox do not steal the owner's.
	_             cpu.CacheLinePad
	inboxMu       sync.Mutex
	inbox         []inboxEntry
	hasInbox      atomic.Bool   // the inbox is not empty
	parked        atomic.Bool   // the loop is parked (or about to park)
	eventfdWrites atomic.Uint64 // written by the goroutines that signal

	_         cpu.CacheLinePad
	statsMu   sync.Mutex
	published counters
}

// cellPool keeps finished task cells of one future type for reuse.
type cellPool struct {
	vt   *taskVTable
	free *header // linked through header.next
	n    int
}

// An inboxEntry is work posted to the executor by another goroutine: a
// task it spawned, a wake for one of our tasks, or an operation to run on
// the owner (a remote Notify, a Server's stop).
type inboxEntry struct {
	h     *header
	op    remoteOp
	spawn bool
}

// A remoteOp is an operation another goroutine asks the owner to run.
type remoteOp interface {
	runOnOwner(e *Executor)
}

// NewExecutor creates an executor with its reactor (an epoll instance, an
// eventfd and, with ParkNetpoll, a duplicate of the epoll fd registered
// with the Go netpoller). It does not start a goroutine: the caller runs
// its loop with Run or BlockOn.
func NewExecutor(cfg Config) (*Executor, error) {
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.PoolCap == 0 {
		cfg.PoolCap = DefaultPoolCap
	}
	r, err := newReactor(cfg.Park)
	if err != nil {
		return nil, err
	}
	e := &Executor{
		reactor: r,
		batch:   cfg.Batch,
		poolCap: max(cfg.PoolCap, 0),
		pools:   make(map[*taskVTable]*cellPool),
	}
	e.cx.exec = e
	return e, nil
}

// onOwner reports whether the calling goroutine runs e's loop. Loading
// the owner is a plain load on amd64 and arm64; the token a call and a
// load. Together they replace the atomic read-modify-writes a wake would
// otherwise need.
func (e *Executor) onOwner() bool { return e.isOwner(goroutineToken()) }

// isOwner reports whether token is e's owner's.
func (e *Executor) isOwner(token uintptr) bool {
	return haveGoroutineToken && e.owner.Load() == token
}

// Spawn starts the future *f as a new task on e and returns a handle to its
// output. The future is moved into the task (copied into the task's cell):
// the task polls its own copy, and *f must not be polled afterwards. Spawn
// may be called from any goroutine; from a task on e it allocates nothing
// once a cell of this future type is in e's pool. On a closed executor the
// future is dropped and the zero JoinHandle returned.
func Spawn[T any, PF interface {
	*F
	Future[T]
}, F any](e *Executor, f PF) JoinHandle[T] {
	c := newTask[T, PF](e, f, true)
	if c == nil {
		return JoinHandle[T]{}
	}
	return JoinHandle[T]{core: &c.taskCore}
}

// SpawnDetached is Spawn without a JoinHandle: the output is discarded.
func SpawnDetached[T any, PF interface {
	*F
	Future[T]
}, F any](e *Executor, f PF) {
	newTask[T, PF](e, f, false)
}

func newTask[T any, PF interface {
	*F
	Future[T]
}, F any](e *Executor, f PF, join bool) *cell[T, F] {
	state, refs := taskNotified, int32(1) // the executor's reference
	if join {
		state |= taskJoinInterest
		refs++ // the JoinHandle's
	}
	typ := reflect.TypeFor[F]()
	if e.onOwner() {
		if e.lastType != typ {
			e.lastPool = e.poolOf(vtableFor[T, PF](typ))
			e.lastType = typ
		}
		p := e.lastPool
		var c *cell[T, F]
		if h := p.free; h != nil {
			p.free = h.next
			p.n--
			h.next = nil
			c = cellOf[T, F](h)
		} else {
			c = newCell[T, F](e, p.vt)
			c.pool = p
		}
		c.future = *f
		c.state = state
		c.refs = refs
		e.count.spawned++
		e.link(&c.header)
		e.push(&c.header)
		return c
	}
	if e.closed.Load() {
		dropCopy[T, PF](f)
		return nil
	}
	c := newCell[T, F](e, vtableFor[T, PF](typ))
	c.future = *f
	c.state = state
	c.refs = refs // published to the owner by the inbox mutex
	if !e.post(inboxEntry{h: &c.header, spawn: true}) {
		DropFuture(PF(&c.future))
		return nil
	}
	return c
}

// dropCopy drops a future that will never run. It drops a copy, so that f
// itself does not escape: passing f to DropFuture would make every
// caller's future escape to the heap, whether or not this path runs.
func dropCopy[T any, PF interface {
	*F
	Future[T]
}, F any](f PF) {
	v := *f
	DropFuture(PF(&v))
}

func newCell[T, F any](e *Executor, vt *taskVTable) *cell[T, F] {
	c := new(cell[T, F])
	c.exec = e
	c.vt = vt
	// Safety: &c.header points at offset 0 of the heap cell; the waker's
	// data pointer keeps the cell reachable for as long as it exists.
	c.waker = Waker{raw: RawWaker{data: unsafe.Pointer(&c.header), vtable: &taskWakerVTable}}
	return c
}

func (e *Executor) poolOf(vt *taskVTable) *cellPool {
	p := e.pools[vt]
	if p == nil {
		p = &cellPool{vt: vt}
		e.pools[vt] = p
	}
	return p
}

// link adds h to the live task list.
func (e *Executor) link(h *header) {
	h.allPrev = nil
	h.allNext = e.allHead
	if e.allHead != nil {
		e.allHead.allPrev = h
	}
	e.allHead = h
}

// unlink removes h from the live task list.
func (e *Executor) unlink(h *header) {
	if h.allPrev != nil {
		h.allPrev.allNext = h.allNext
	} else {
		e.allHead = h.allNext
	}
	if h.allNext != nil {
		h.allNext.allPrev = h.allPrev
	}
	h.allPrev, h.allNext = nil, nil
}

// push appends h to the run queue.
func (e *Executor) push(h *header) {
	if e.runTail == nil {
		e.runHead = h
	} else {
		e.runTail.next = h
	}
	e.runTail = h
}

// wakeLocal is a wake on the owner: queue the task unless it is already
// queued (or will be), or complete.
func (e *Executor) wakeLocal(h *header) {
	st := h.state
	if st&(taskNotified|taskComplete) != 0 {
		e.count.spurious++
		return
	}
	h.state = st | taskNotified
	e.count.wakes++
	if st&taskRunning == 0 {
		e.push(h)
	}
}

// wakeRemote is a wake from another goroutine: post the task to the inbox,
// once. owned says the caller's waker reference goes with it (Wake) rather
// than staying with the caller (WakeByRef).
func (e *Executor) wakeRemote(h *header, owned bool) {
	if h.remoteWoken.Load() != 0 || !h.remoteWoken.CompareAndSwap(0, 1) {
		// A wake is already on its way; this one adds nothing.
		if owned {
			h.remoteRefs.Add(-1)
		}
		return
	}
	if !owned {
		h.remoteRefs.Add(1) // the inbox entry's reference
	}
	if !e.post(inboxEntry{h: h}) {
		h.remoteRefs.Add(-1) // closed: every task is gone already
	}
}

// post appends ent to the inbox and wakes the loop if it is parked. It
// reports false if the executor is closed.
//
// The loop sets parked before its last look at hasInbox and sleeps only if
// it is still false; post sets hasInbox before looking at parked. With
// sequentially consistent atomics one of the two sees the other, so a post
// is never left unseen by a sleeping loop, and a loop that is busy is not
// signalled at all.
func (e *Executor) post(ent inboxEntry) bool {
	e.inboxMu.Lock()
	if e.closed.Load() {
		e.inboxMu.Unlock()
		return false
	}
	e.inbox = append(e.inbox, ent)
	if !e.hasInbox.Load() {
		e.hasInbox.Store(true)
	}
	e.inboxMu.Unlock()
	if e.parked.Load() {
		if e.reactor.wakeup() {
			e.eventfdWrites.Add(1)
		}
	}
	return true
}

// drainInbox runs everything posted so far, on the owner.
func (e *Executor) drainInbox() {
	e.inboxMu.Lock()
	batch := e.inbox
	e.inbox = e.spare[:0]
	e.hasInbox.Store(false)
	e.inboxMu.Unlock()
	for i := range batch {
		ent := batch[i]
		batch[i] = inboxEntry{}
		switch {
		case ent.op != nil:
			ent.op.runOnOwner(e)
		case ent.spawn:
			e.count.spawned++
			e.link(ent.h)
			e.push(ent.h)
		default:
			h := ent.h
			h.remoteWoken.Store(0) // before the wake: a later remote wake posts again
			e.wakeLocal(h)
			h.refs-- // the entry's reference
			e.releaseIfUnused(h)
		}
	}
	e.spare = batch[:0]
}

// releaseIfUnused puts h's cell back in its pool when nothing refers to
// the task any more. Owner only.
func (e *Executor) releaseIfUnused(h *header) {
	if h.refs+h.remoteRefs.Load() != 0 {
		return
	}
	p := h.pool
	if p == nil {
		p = e.poolOf(h.vt)
		h.pool = p
	}
	if p.n >= e.poolCap {
		return // left to the garbage collector as it is: nothing refers to it
	}
	h.vt.reset(h)
	h.state = 0
	h.refs = 0
	if h.remoteRefs.Load() != 0 {
		h.remoteRefs.Store(0)
	}
	h.next = p.free
	p.free = h
	p.n++
}

// runTask polls one task taken off the run queue.
func (e *Executor) runTask(h *header) {
	st := h.state
	if st&taskComplete != 0 {
		// Aborted while it sat in the queue: the queue kept the
		// executor's reference until now.
		h.state = st &^ taskNotified
		h.refs--
		e.releaseIfUnused(h)
		return
	}
	h.state = st&^taskNotified | taskRunning
	e.cx.waker = &h.waker
	e.count.polls++
	ready := h.vt.poll(h, &e.cx)
	st = h.state
	switch {
	case ready:
		e.complete(h, st)
	case st&taskAbortRequested != 0:
		h.state = st &^ (taskRunning | taskAbortRequested | taskNotified)
		e.abortIdle(h)
	default:
		h.state = st &^ taskRunning
		if st&taskNotified != 0 {
			e.push(h)
		}
	}
}

// complete finishes a task whose future returned Ready.
func (e *Executor) complete(h *header, st uint32) {
	h.state = (st | taskComplete) &^ (taskRunning | taskNotified | taskAbortRequested)
	e.unlink(h)
	h.joinWake.Wake()
	h.refs-- // the executor's reference
	e.releaseIfUnused(h)
}

// abort cancels h (see JoinHandle.Abort). Owner only.
func (e *Executor) abort(h *header) bool {
	st := h.state
	switch {
	case st&taskComplete != 0:
		return false
	case st&taskRunning != 0:
		h.state = st | taskAbortRequested
		return true
	}
	e.abortIdle(h)
	return true
}

// abortIdle drops the future of a task that is not being polled.
func (e *Executor) abortIdle(h *header) {
	h.state |= taskComplete | taskCancelled // first: a wake from Drop is ignored
	e.unlink(h)
	h.vt.drop(h)
	h.joinWake.Wake()
	if h.state&taskNotified == 0 {
		h.refs-- // the executor's reference; a queued task gives it up when popped
		e.releaseIfUnused(h)
	}
}

// BlockOn runs e's loop on the calling goroutine until the future *f, run
// as a task, completes, and returns its output. Other tasks run meanwhile
// and stay on e afterwards. It fails with ErrRunning if e's loop is already
// running (BlockOn cannot nest), ErrClosed after Close, ErrStopped if Stop
// ends the loop first.
func BlockOn[T any, PF interface {
	*F
	Future[T]
}, F any](e *Executor, f PF) (T, error) {
	var zero T
	if err := e.enter(); err != nil {
		dropCopy[T, PF](f)
		return zero, err
	}
	defer e.exit()
	c := newTask[T, PF](e, f, true)
	j := JoinHandle[T]{core: &c.taskCore}
	e.loop(&c.header)
	if c.state&taskComplete == 0 {
		j.Abort()
		return zero, ErrStopped
	}
	e.cx.waker = &c.waker // JoinHandle.Poll wants a Context of e
	return j.Poll(&e.cx).Value(), nil
}

// Run runs e's loop on the calling goroutine until Stop is called.
// Typically a goroutine locked to its OS thread runs it; tasks are put on
// the executor with Spawn from anywhere.
func (e *Executor) Run() error {
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	e.loop(nil)
	return nil
}

// Stop makes Run and BlockOn return at their next turn, now and later:
// after Stop only Close remains. It may be called from any goroutine.
func (e *Executor) Stop() {
	if e.stopping.Swap(true) {
		return
	}
	if e.reactor.wakeup() {
		e.eventfdWrites.Add(1)
	}
}

func (e *Executor) enter() error {
	if e.closed.Load() {
		return ErrClosed
	}
	if e.stopping.Load() {
		return ErrStopped
	}
	if !e.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	if e.closed.Load() {
		e.running.Store(false)
		return ErrClosed
	}
	e.owner.Store(goroutineToken())
	return nil
}

func (e *Executor) exit() {
	e.publish()
	e.owner.Store(0)
	e.running.Store(false)
}

// loop is the executor: drain the inbox, poll a batch of ready tasks, then
// turn the reactor (without blocking if tasks are still ready, parking if
// none is; see turn). It returns when root completes or Stop is called.
func (e *Executor) loop(root *header) {
	for {
		if e.hasInbox.Load() {
			e.drainInbox()
		}
		for n := e.batch; n > 0; n-- {
			h := e.runHead
			if h == nil {
				break
			}
			e.runHead = h.next
			if e.runHead == nil {
				e.runTail = nil
			}
			h.next = nil
			e.runTask(h)
		}
		if root != nil && root.state&taskComplete != 0 || e.stopping.Load() {
			return
		}
		e.turn(e.runHead == nil)
	}
}

// turn fires due timers and polls the reactor, blocking only if block is
// set and nothing became ready meanwhile.
//
// Parking is the one place the loop and the goroutines that post to it
// must agree. The loop sets parked, then looks at the inbox one last time;
// post appends to the inbox, then looks at parked and, if set, writes the
// eventfd, which sits in the loop's epoll set. Either the last look sees
// the post, or the post sees parked and the eventfd makes the wait return:
// in both park modes, since with ParkNetpoll the wait is on the epoll fd
// itself and the reactor's look inside the wait (reactor.park) reads what
// arrived before it began.
func (e *Executor) turn(block bool) {
	if e.timers.Len() > 0 {
		e.fireTimers(timerheap.Now())
		if e.runHead != nil {
			block = false
		}
	}
	if !block {
		if e.reactor.active() {
			e.reactor.poll(e, 0)
		}
		return
	}
	e.parked.Store(true)
	if e.hasInbox.Load() || e.stopping.Load() {
		e.parked.Store(false)
		return
	}
	e.publish()
	e.count.parks++
	e.reactor.park(e, e.timeout())
	e.parked.Store(false)
	if e.timers.Len() > 0 {
		e.fireTimers(timerheap.Now())
	}
}

// timeout is how long the loop may park: until the earliest timer is due
// (0 if it already is), or -1 without timers. It reads the clock afresh,
// so the time spent publishing is not added to a timer's lateness. The
// reactor rounds it (see reactor.park).
func (e *Executor) timeout() time.Duration {
	t := e.timers.Peek()
	if t == nil {
		return -1
	}
	return time.Duration(max(t.When-timerheap.Now(), 0))
}

// fireTimers wakes the tasks of every timer due at now.
func (e *Executor) fireTimers(now int64) {
	for t := e.timers.PopDue(now); t != nil; t = e.timers.PopDue(now) {
		t.Value.Wake()
	}
}

// Close drops every task left on e (calling Drop on their futures, so they
// release what they registered), refuses further spawns, and closes the
// reactor. The loop must not be running: Stop it and let Run return first.
// Close is idempotent.
func (e *Executor) Close() error {
	if !e.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer e.running.Store(false)
	if e.closed.Load() {
		return nil
	}
	e.owner.Store(goroutineToken())
	defer e.owner.Store(0)
	e.stopping.Store(true)
	e.inboxMu.Lock()
	e.closed.Store(true)
	e.inboxMu.Unlock()
	e.drainInbox() // what was posted before closed was set; nothing is after
	for e.allHead != nil || e.runHead != nil {
		for e.allHead != nil {
			e.abort(e.allHead)
		}
		for h := e.runHead; h != nil; h = e.runHead {
			e.runHead = h.next
			if e.runHead == nil {
				e.runTail = nil
			}
			h.next = nil
			e.runTask(h)
		}
	}
	for t := e.timers.PopDue(1 << 62); t != nil; t = e.timers.PopDue(1 << 62) {
		t.Value.Drop()
	}
	e.publish()
	return e.reactor.close()
}

// addTimer arms t, whose Value is the waker to wake when it is due.
func (e *Executor) addTimer(t *timerheap.Timer[Waker]) { e.timers.Push(t) }

// removeTimer disarms t and reports whether it was armed.
func (e *Executor) removeTimer(t *timerheap.Timer[Waker]) bool { return e.timers.Remove(t) }
