package futures

import (
	"sync"

	"iostrat"
)

// The workload methods of strategyRuntime: each says where its futures
// (strategy_workloads.go) run, as the table in strategy_linux.go sums up,
// and waits for them.

// Handoff spawns a root future that is ready on its first poll into loop
// 0 and waits for it: a cross-thread spawn in, a channel send out.
func (rt *strategyRuntime) Handoff() error {
	if err := rt.life.Check(); err != nil {
		return err
	}
	_, err := call(rt, rt.loops[0], &emptyRoot{})
	return err
}

// Spawn runs tokio's spawn_many: a root task spawns n tasks, keeps their
// JoinHandles, and awaits each in turn.
func (rt *strategyRuntime) Spawn(n int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	lp := rt.loops[0]
	return call(rt, lp, &spawnMany{n: n, handles: &lp.spawnHandles})
}

// Chain runs tokio's chained_spawn: each task spawns the next, detached;
// the last notifies the root.
func (rt *strategyRuntime) Chain(depth int) (int, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	return call(rt, rt.loops[0], &chainRoot{depth: depth})
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
func (rt *strategyRuntime) Inject(producers, n int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, nil
	}
	producers = max(producers, 1)
	loops := rt.spread(n)
	shares := rt.injectShares[:0]
	for k := range loops {
		shares = append(shares, injectState{n: share(n, k, len(loops)), reply: rt.reply})
	}
	rt.injectShares = shares
	iostrat.OnThreads(producers, func(p int) {
		for i := p; i < n; i += producers {
			k := i % len(loops)
			SpawnDetached(loops[k].e, &injectTask{st: &shares[k], v: uint64(i + 1)})
		}
	})
	rt.await(len(loops))
	var sum uint64
	for k := range shares {
		sum += shares[k].sum
	}
	return sum, rt.life.Check()
}

// Yield runs tokio's yield_many: tasks yield through YieldFuture, which
// wakes its own task by reference and returns Pending. Task i runs on
// loop i%Loops, under a yieldMany root of that loop that spawns and joins
// its share.
func (rt *strategyRuntime) Yield(tasks, yields int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	loops := rt.spread(tasks)
	totals := rt.outputs(len(loops))
	for k, lp := range loops {
		f := &yieldMany{tasks: share(max(tasks, 0), k, len(loops)), yields: yields, handles: &lp.yieldHandles}
		start(rt, lp, f, &totals[k])
	}
	rt.await(len(loops))
	var total uint64
	for _, t := range totals {
		total += t
	}
	return total, rt.life.Check()
}

// PingPong alternates two tasks through two Notify. SameThread and Hog run
// on loop 0; CrossThread puts the pinger on loop 0 and the ponger on
// another loop, so every notify is posted across threads.
func (rt *strategyRuntime) PingPong(rounds int, mode iostrat.PingPongMode) (int, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if rounds <= 0 {
		return 0, nil
	}
	switch mode {
	case iostrat.SameThread, iostrat.Hog:
		return call(rt, rt.loops[0], &pingPongSame{rounds: rounds, withHog: mode == iostrat.Hog})
	case iostrat.CrossThread:
	default:
		return 0, iostrat.Unsupported("ping-pong mode %v", mode)
	}
	a := rt.loops[0]
	b, err := rt.crossLoop()
	if err != nil {
		return 0, err
	}
	ping, pong, ready := NewNotify(b.e), NewNotify(a.e), NewNotify(a.e)
	var completed, answered int
	start(rt, b, &ponger{rounds: rounds, ping: ping, pong: pong, ready: ready}, &answered)
	start(rt, a, &pinger{rounds: rounds, ping: ping, pong: pong, ready: ready}, &completed)
	<-rt.reply
	<-rt.reply
	return completed, rt.life.Check()
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
func (rt *strategyRuntime) WakeExternal(rounds int) (int, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if rounds <= 0 {
		return 0, nil
	}
	slot := &wakerSlot{}
	baton := iostrat.NewBaton()
	var acked int
	start(rt, rt.loops[0], &externalWaiter{rounds: rounds, slot: slot, baton: baton}, &acked)
	iostrat.OnThreads(1, func(int) {
		baton.Wait() // the task is parked and its waker is in the slot
		for range rounds {
			w := slot.take()
			w.Wake()
			baton.Wait()
		}
	})
	<-rt.reply
	return acked, rt.life.Check()
}

// FanOut wakes waiters tasks with one broadcast per round. With one loop
// all of them wait on a Broadcast of that loop. With more, waiter i runs on
// loop i%Loops and all wait on one SharedBroadcast; the notifier, on loop
// 0, wakes the waiters of other loops through their Wakers' remote path,
// and each loop's root finishes when that loop's waiters have.
func (rt *strategyRuntime) FanOut(waiters, rounds int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	loops := rt.spread(waiters)
	if len(loops) == 1 || rounds <= 0 {
		return call(rt, rt.loops[0], &fanOut{st: fanState{waiters: waiters, rounds: rounds}})
	}
	st := &fanSpread{waiters: waiters, rounds: rounds, event: NewSharedBroadcast(), allWoken: NewNotify(loops[0].e)}
	wakes := rt.outputs(len(loops))
	// The notifier's loop last, so the other loops' waiters are on their
	// way first; it fires nothing before every waiter waits anyway.
	for k := len(loops) - 1; k >= 1; k-- {
		start(rt, loops[k], &fanShare{st: st, n: share(waiters, k, len(loops))}, &wakes[k])
	}
	start(rt, loops[0], &fanNotifier{share: fanShare{st: st, n: share(waiters, 0, len(loops))}}, &wakes[0])
	rt.await(len(loops))
	var total uint64
	for _, w := range wakes {
		total += w
	}
	return total, rt.life.Check()
}

// Timers spawns a task per timer, each awaiting a Sleep; cancelling is
// aborting the task, which drops its Sleep and so removes the timer.
func (rt *strategyRuntime) Timers(spec iostrat.TimerSpec) (iostrat.TimerResult, error) {
	if err := rt.life.Check(); err != nil {
		return iostrat.TimerResult{}, err
	}
	if err := spec.Validate(); err != nil {
		return iostrat.TimerResult{}, err
	}
	return call(rt, rt.loops[0], &timerRoot{spec: spec})
}
