package futures

import (
	"errors"
	goruntime "runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"iostrat"
)

// The adapter: an iostrat.Runtime made of Options.Loops executors, each run
// by a goroutine locked to its OS thread (thread-per-core), each parked on
// the Go netpoller or in epoll_wait as Options.Park says.
//
// Where each workload runs is decided here, in one place per workload
// method, by the loop count alone (Options.Loops, GOMAXPROCS by default,
// so one loop at cpus=1 and two at cpus=2):
//
//	workload          one loop     two or more loops
//	Handoff, Spawn,   loop 0       loop 0: the work starts inside one task
//	Chain, Timers,                 and stays on its executor, as tasks do
//	PingPong same/hog,
//	WakeExternal
//	PingPong cross    loop 0 and   loop 0 and loop 1
//	                  a spare loop
//	Inject            loop 0       task i on loop i%Loops, each loop's
//	                               share tallied on that loop
//	Yield             loop 0       task i on loop i%Loops, one root per loop
//	FanOut            loop 0       waiter i on loop i%Loops, the notifier
//	                               on loop 0, woken through a SharedBroadcast
//	Serve             connections handed to the loops in turn
//
// A workload spread over loops has one share per loop (spread, share): a
// root future of that loop, or for Inject a tally its tasks keep. The call
// returns once every share has finished, and each share publishes its own
// loop's counters before it signals, so a call's work is in Stats when the
// call returns.
//
// The call boundary, paid once per workload call: the caller spawns the
// workload's root future into the loop through the cross-thread Spawn (one
// cell allocation, the inbox mutex, an eventfd write if the loop is
// parked), then blocks on a channel the root future sends on when it is
// done, after publishing the loop's counters.

var _ iostrat.Runtime = (*runtimeImpl)(nil)

// loop is one executor and the goroutine running it.
type loop struct {
	e    *Executor
	done chan struct{} // closed when the loop's goroutine has ended

	// Owner only (used by the serve tasks of this loop).
	readBuf   []byte
	conns     map[*connTask]struct{}
	acceptors map[*acceptTask]struct{}

	// Owner only: scratch of the workload roots run on this loop, reused
	// by successive calls (calls are never concurrent).
	spawnHandles []JoinHandle[struct{}]
	yieldHandles []JoinHandle[uint64]
}

type runtimeImpl struct {
	opts   iostrat.Options
	loops  []*loop
	closed atomic.Bool
	reply  chan struct{} // completions of workload roots

	mu       sync.Mutex // guards spare and services
	spare    *loop      // second loop for CrossThread when Loops == 1
	services map[*service]struct{}

	// Scratch reused by successive calls (calls are never concurrent).
	injectShares []injectState
	totals       []uint64 // one output per loop of a spread workload
}

// Start starts o.Loops executors (default GOMAXPROCS), each on its own
// locked OS thread. Readiness is always edge-triggered (every fd is
// registered once, for both directions); o.Trigger is ignored, and the
// knobs say so.
func (Strategy) Start(o iostrat.Options) (iostrat.Runtime, error) {
	o = o.WithDefaults()
	r := &runtimeImpl{
		opts: o,
		// Room for every root of one call (one per loop, or the two of a
		// cross-thread ping-pong), so a root dropped by Close never blocks
		// its loop on the send.
		reply:    make(chan struct{}, max(o.Loops, 2)),
		services: make(map[*service]struct{}),
	}
	for range o.Loops {
		lp, err := r.startLoop()
		if err != nil {
			r.Close()
			return nil, err
		}
		r.loops = append(r.loops, lp)
	}
	return r, nil
}

// executorConfig translates the contract's options into the executor's.
func executorConfig(o iostrat.Options) Config {
	c := Config{Batch: o.Batch}
	if o.Park == iostrat.ParkThread {
		c.Park = ParkThread
	}
	return c
}

func (r *runtimeImpl) startLoop() (*loop, error) {
	e, err := NewExecutor(executorConfig(r.opts))
	if err != nil {
		return nil, err
	}
	lp := &loop{
		e:         e,
		done:      make(chan struct{}),
		readBuf:   make([]byte, r.opts.ReadBuffer),
		conns:     make(map[*connTask]struct{}),
		acceptors: make(map[*acceptTask]struct{}),
	}
	go func() {
		goruntime.LockOSThread()
		defer goruntime.UnlockOSThread()
		defer close(lp.done)
		// ErrStopped: Close came before the loop started; nothing to say.
		if err := e.Run(); err != nil && !errors.Is(err, ErrStopped) {
			r.opts.Logf("futures: loop: %v", err)
		}
		if err := e.Close(); err != nil {
			r.opts.Logf("futures: closing loop: %v", err)
		}
	}()
	return lp, nil
}

// crossLoop returns the loop for the far end of a cross-thread ping-pong.
func (r *runtimeImpl) crossLoop() (*loop, error) {
	if len(r.loops) > 1 {
		return r.loops[1], nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.spare == nil {
		lp, err := r.startLoop()
		if err != nil {
			return nil, err
		}
		r.spare = lp
	}
	return r.spare, nil
}

// callFuture is a workload's root: it runs the workload's future and, once
// it is ready, stores the output, publishes the loop's counters and
// signals the caller.
type callFuture[T any, PF interface {
	*F
	Future[T]
}, F any] struct {
	inner F
	out   *T
	reply chan<- struct{}
}

func (c *callFuture[T, PF, F]) Poll(cx *Context) Poll[struct{}] {
	p := PF(&c.inner).Poll(cx)
	if !p.ready {
		return Pending[struct{}]()
	}
	*c.out = p.value
	cx.exec.publish()
	c.reply <- struct{}{}
	return Ready(struct{}{})
}

// Drop releases the caller if the loop closes under the workload. The
// reply channel has room for every root of one call, so the send never
// blocks the loop.
func (c *callFuture[T, PF, F]) Drop() {
	DropFuture(PF(&c.inner))
	select {
	case c.reply <- struct{}{}:
	default:
	}
}

// start spawns f on lp as a workload root that writes its output to *out.
func start[T any, PF interface {
	*F
	Future[T]
}, F any](r *runtimeImpl, lp *loop, f PF, out *T) {
	SpawnDetached(lp.e, &callFuture[T, PF, F]{inner: *f, out: out, reply: r.reply})
}

// call runs f on lp and waits for its output.
func call[T any, PF interface {
	*F
	Future[T]
}, F any](r *runtimeImpl, lp *loop, f PF) (T, error) {
	var out T
	start(r, lp, f, &out)
	<-r.reply
	if r.closed.Load() {
		return out, iostrat.ErrClosed
	}
	return out, nil
}

// spread returns the loops a workload of n independent units is dealt
// over: every loop, or the first n if there are fewer units (a loop
// without a unit has no share), and loop 0 alone for none.
func (r *runtimeImpl) spread(n int) []*loop {
	return r.loops[:max(1, min(len(r.loops), n))]
}

// share is how many of n units dealt round-robin over loops (unit i to
// loop i%loops) loop k gets.
func share(n, k, loops int) int {
	q := n / loops
	if k < n%loops {
		q++
	}
	return q
}

// outputs returns n zeroed output slots, one per loop of a spread
// workload: each root writes its own.
func (r *runtimeImpl) outputs(n int) []uint64 {
	if cap(r.totals) < n {
		r.totals = make([]uint64, n)
	}
	r.totals = r.totals[:n]
	clear(r.totals)
	return r.totals
}

// await waits for the replies of n workload roots.
func (r *runtimeImpl) await(n int) {
	for range n {
		<-r.reply
	}
}

func (r *runtimeImpl) check() error {
	if r.closed.Load() {
		return iostrat.ErrClosed
	}
	return nil
}

// Handoff spawns a root future that is ready on its first poll into loop
// 0 and waits for it: a cross-thread spawn in, a channel send out.
func (r *runtimeImpl) Handoff() error {
	if err := r.check(); err != nil {
		return err
	}
	_, err := call(r, r.loops[0], &emptyRoot{})
	return err
}

// Spawn runs tokio's spawn_many: a root task spawns n tasks, keeps their
// JoinHandles, and awaits each in turn.
func (r *runtimeImpl) Spawn(n int) (uint64, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	lp := r.loops[0]
	return call(r, lp, &spawnMany{n: n, handles: &lp.spawnHandles})
}

// Chain runs tokio's chained_spawn: each task spawns the next, detached;
// the last notifies the root.
func (r *runtimeImpl) Chain(depth int) (int, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	return call(r, r.loops[0], &chainRoot{depth: depth})
}

// injectState is one loop's share of an Inject call, tallied on that
// loop: its tasks are the only code that touches it until the reply.
type injectState struct {
	n, ran int
	sum    uint64
	reply  chan<- struct{}
}

// injectTask is one task submitted from outside the runtime.
type injectTask struct {
	st *injectState
	v  uint64
}

// Poll adds the task's value to its loop's share; the share's last task
// publishes the loop's counters, then tells the caller.
func (t *injectTask) Poll(cx *Context) Poll[struct{}] {
	st := t.st
	st.sum += t.v
	st.ran++
	if st.ran == st.n {
		cx.exec.publish()
		st.reply <- struct{}{}
	}
	return Ready(struct{}{})
}

// Inject has producer threads call Spawn on the loops' executors from
// outside: the cross-thread path (the inbox, and an eventfd write when the
// loop is parked). Task i goes to loop i%Loops, so with two loops both
// drain the producers' tasks, as goroutines on two Ps would; the call
// returns when every loop has run its share.
func (r *runtimeImpl) Inject(producers, n int) (uint64, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, nil
	}
	producers = max(producers, 1)
	loops := r.spread(n)
	shares := r.injectShares[:0]
	for k := range loops {
		shares = append(shares, injectState{n: share(n, k, len(loops)), reply: r.reply})
	}
	r.injectShares = shares
	iostrat.OnThreads(producers, func(p int) {
		for i := p; i < n; i += producers {
			k := i % len(loops)
			SpawnDetached(loops[k].e, &injectTask{st: &shares[k], v: uint64(i + 1)})
		}
	})
	r.await(len(loops))
	var sum uint64
	for k := range shares {
		sum += shares[k].sum
	}
	return sum, r.check()
}

// Yield runs tokio's yield_many: tasks yield through YieldFuture, which
// wakes its own task by reference and returns Pending. Task i runs on
// loop i%Loops, under a yieldMany root of that loop that spawns and joins
// its share.
func (r *runtimeImpl) Yield(tasks, yields int) (uint64, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	loops := r.spread(tasks)
	totals := r.outputs(len(loops))
	for k, lp := range loops {
		f := &yieldMany{tasks: share(max(tasks, 0), k, len(loops)), yields: yields, handles: &lp.yieldHandles}
		start(r, lp, f, &totals[k])
	}
	r.await(len(loops))
	var total uint64
	for _, t := range totals {
		total += t
	}
	return total, r.check()
}

// PingPong alternates two tasks through two Notify. SameThread and Hog run
// on loop 0; CrossThread puts the pinger on loop 0 and the ponger on
// another loop, so every notify is posted across threads.
func (r *runtimeImpl) PingPong(rounds int, mode iostrat.PingPongMode) (int, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	if rounds <= 0 {
		return 0, nil
	}
	switch mode {
	case iostrat.SameThread, iostrat.Hog:
		return call(r, r.loops[0], &pingPongSame{rounds: rounds, withHog: mode == iostrat.Hog})
	case iostrat.CrossThread:
	default:
		return 0, iostrat.Unsupported("ping-pong mode %v", mode)
	}
	a := r.loops[0]
	b, err := r.crossLoop()
	if err != nil {
		return 0, err
	}
	ping, pong, ready := NewNotify(b.e), NewNotify(a.e), NewNotify(a.e)
	var completed, answered int
	start(r, b, &ponger{rounds: rounds, ping: ping, pong: pong, ready: ready}, &answered)
	start(r, a, &pinger{rounds: rounds, ping: ping, pong: pong, ready: ready}, &completed)
	<-r.reply
	<-r.reply
	return completed, r.check()
}

// wakerSlot hands a task's waker to a thread outside the runtime.
type wakerSlot struct {
	mu sync.Mutex
	w  Waker
}

func (s *wakerSlot) put(w Waker) {
	s.mu.Lock()
	old := s.w
	s.w = w
	s.mu.Unlock()
	old.Drop()
}

func (s *wakerSlot) take() Waker {
	s.mu.Lock()
	w := s.w.Take()
	s.mu.Unlock()
	return w
}

func (s *wakerSlot) empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.IsZero()
}

// externalWaiter parks, leaving a clone of its waker in a slot, and passes
// the baton; an outside thread takes the waker and calls Wake on it. A poll
// that finds its waker still in the slot was not woken by that thread and
// parks again.
type externalWaiter struct {
	rounds, acked int
	slot          *wakerSlot
	baton         *iostrat.Baton
	started       bool
}

func (f *externalWaiter) Poll(cx *Context) Poll[int] {
	if f.started {
		if !f.slot.empty() {
			return Pending[int]() // not the outside thread's wake
		}
		f.acked++
		if f.acked == f.rounds {
			f.baton.Pass()
			return Ready(f.acked)
		}
	}
	f.started = true
	f.slot.put(cx.Waker().Clone())
	f.baton.Pass()
	return Pending[int]()
}

func (f *externalWaiter) Drop() {
	w := f.slot.take()
	w.Drop()
}

// WakeExternal parks a task on loop 0 and wakes it from an outside OS
// thread with Waker.Wake: the remote wake path.
func (r *runtimeImpl) WakeExternal(rounds int) (int, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	if rounds <= 0 {
		return 0, nil
	}
	slot := &wakerSlot{}
	baton := iostrat.NewBaton()
	var acked int
	start(r, r.loops[0], &externalWaiter{rounds: rounds, slot: slot, baton: baton}, &acked)
	iostrat.OnThreads(1, func(int) {
		baton.Wait() // the task is parked and its waker is in the slot
		for range rounds {
			w := slot.take()
			w.Wake()
			baton.Wait()
		}
	})
	<-r.reply
	return acked, r.check()
}

// FanOut wakes waiters tasks with one broadcast per round. With one loop
// all of them wait on a Broadcast of that loop. With more, waiter i runs on
// loop i%Loops and all wait on one SharedBroadcast; the notifier, on loop
// 0, wakes the waiters of other loops through their Wakers' remote path,
// and each loop's root finishes when that loop's waiters have.
func (r *runtimeImpl) FanOut(waiters, rounds int) (uint64, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	loops := r.spread(waiters)
	if len(loops) == 1 || rounds <= 0 {
		return call(r, r.loops[0], &fanOut{st: fanState{waiters: waiters, rounds: rounds}})
	}
	st := &fanSpread{waiters: waiters, rounds: rounds, event: NewSharedBroadcast(), allWoken: NewNotify(loops[0].e)}
	wakes := r.outputs(len(loops))
	// The notifier's loop last, so the other loops' waiters are on their
	// way first; it fires nothing before every waiter waits anyway.
	for k := len(loops) - 1; k >= 1; k-- {
		start(r, loops[k], &fanShare{st: st, n: share(waiters, k, len(loops))}, &wakes[k])
	}
	start(r, loops[0], &fanNotifier{share: fanShare{st: st, n: share(waiters, 0, len(loops))}}, &wakes[0])
	r.await(len(loops))
	var total uint64
	for _, w := range wakes {
		total += w
	}
	return total, r.check()
}

// Timers spawns a task per timer, each awaiting a Sleep; cancelling is
// aborting the task, which drops its Sleep and so removes the timer.
func (r *runtimeImpl) Timers(spec iostrat.TimerSpec) (iostrat.TimerResult, error) {
	if err := r.check(); err != nil {
		return iostrat.TimerResult{}, err
	}
	if err := spec.Validate(); err != nil {
		return iostrat.TimerResult{}, err
	}
	return call(r, r.loops[0], &timerRoot{spec: spec})
}

// Info describes the runtime and its knobs.
func (r *runtimeImpl) Info() iostrat.Info {
	cross, spread := "loop-1", "inject,yield,fanout"
	if len(r.loops) == 1 {
		cross, spread = "spare-loop", "none"
	}
	o := r.opts
	batch := o.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	return iostrat.Info{
		Name:    Strategy{}.Name(),
		Model:   "poll-based futures",
		Backend: "epoll",
		Knobs: []iostrat.Knob{
			{Key: "loops", Value: strconv.Itoa(len(r.loops))},
			{Key: "park", Value: executorConfig(o).Park.String()},
			// Workloads dealt over every loop; the others run on loop 0
			// (see the table at the top of this file).
			{Key: "spread", Value: spread},
			{Key: "trigger", Value: "edge"},
			{Key: "read-buffer", Value: strconv.Itoa(o.ReadBuffer)},
			{Key: "high-water", Value: strconv.Itoa(o.HighWater)},
			{Key: "batch", Value: strconv.Itoa(batch)},
			{Key: "task-pool", Value: strconv.Itoa(DefaultPoolCap)},
			{Key: "cross-thread", Value: cross},
			{Key: "goroutine-token", Value: tokenKind()},
		},
	}
}

// tokenKind says how wakes tell the owner goroutine from others.
func tokenKind() string {
	if !haveGoroutineToken {
		return "none"
	}
	return "g-address"
}

// Stats sums the counters of every loop.
func (r *runtimeImpl) Stats() iostrat.Stats {
	var s iostrat.Stats
	r.mu.Lock()
	loops := append([]*loop(nil), r.loops...)
	if r.spare != nil {
		loops = append(loops, r.spare)
	}
	r.mu.Unlock()
	for _, lp := range loops {
		st := lp.e.Stats()
		s.Add(iostrat.TasksSpawned, st.Spawned)
		s.Add(iostrat.Polls, st.Polls)
		s.Add(iostrat.Wakes, st.Wakes)
		s.Add(iostrat.SpuriousWakes, st.SpuriousWakes)
		s.Add(iostrat.Parks, st.Parks)
		s.Add(iostrat.SysEpollWait, st.EpollWaits)
		s.Add(iostrat.SysEpollCtl, st.EpollCtls)
		s.Add(iostrat.SysRead, st.Reads)
		s.Add(iostrat.SysWrite, st.Writes)
		s.Add(iostrat.SysAccept, st.Accepts)
		s.Add(iostrat.SysEventfdWrite, st.EventfdWrites)
		s.Add(iostrat.SysEventfdRead, st.EventfdReads)
	}
	return s
}

// Close closes every service, then stops every loop; each loop drops its
// remaining tasks and closes its epoll and eventfd before its goroutine
// ends.
func (r *runtimeImpl) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	r.mu.Lock()
	svcs := make([]*service, 0, len(r.services))
	for s := range r.services {
		svcs = append(svcs, s)
	}
	r.mu.Unlock()
	var errs []error
	for _, s := range svcs {
		errs = append(errs, s.Close())
	}
	r.mu.Lock()
	loops := append([]*loop(nil), r.loops...)
	if r.spare != nil {
		loops = append(loops, r.spare)
	}
	r.mu.Unlock()
	for _, lp := range loops {
		lp.e.Stop()
	}
	for _, lp := range loops {
		<-lp.done
	}
	return errors.Join(errs...)
}
