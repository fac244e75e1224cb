package futures

import (
	"sync/atomic"

	"iostrat"
)

// The futures of the iostrat workloads, written as a learner would write
// them against this package: hand-made state machines. The workload
// methods (strategy_workloads_linux.go) run them on the adapter's loops;
// the package benchmarks (bench_linux_test.go) run the same futures with
// BlockOn so they can be set beside tokio's benches.

// addTask is the task of the spawn and inject workloads: it adds v to a
// sum kept on the executor's goroutine and is done.
type addTask struct {
	sum *uint64
	v   uint64
}

func (t *addTask) Poll(*Context) Poll[struct{}] {
	*t.sum += t.v
	return Ready(struct{}{})
}

// spawnMany spawns n addTasks and joins them in order (tokio's
// spawn_many: push the handles, then await each).
type spawnMany struct {
	n       int
	sum     uint64
	handles *[]JoinHandle[struct{}] // scratch, reused across runs
	next    int
	started bool
}

func (f *spawnMany) Poll(cx *Context) Poll[uint64] {
	if !f.started {
		f.started = true
		e := cx.Executor()
		hs := (*f.handles)[:0]
		for i := range f.n {
			hs = append(hs, Spawn(e, &addTask{sum: &f.sum, v: uint64(i + 1)}))
		}
		*f.handles = hs
	}
	hs := *f.handles
	for f.next < len(hs) {
		if !hs[f.next].Poll(cx).ready {
			return Pending[uint64]()
		}
		f.next++
	}
	clear(hs)
	return Ready(f.sum)
}

// chainState is shared by the tasks of one chain.
type chainState struct {
	ran  int
	done *Notify
}

// chainTask spawns the next task of the chain, detached, and finishes; the
// last one notifies (tokio's chained_spawn).
type chainTask struct {
	st   *chainState
	left int
}

func (t *chainTask) Poll(cx *Context) Poll[struct{}] {
	t.st.ran++
	if t.left <= 1 {
		t.st.done.Notify()
	} else {
		SpawnDetached(cx.Executor(), &chainTask{st: t.st, left: t.left - 1})
	}
	return Ready(struct{}{})
}

// chainRoot starts a chain of depth tasks and waits for its end.
type chainRoot struct {
	depth   int
	st      chainState
	wait    NotifiedFuture
	started bool
}

func (f *chainRoot) Poll(cx *Context) Poll[int] {
	if !f.started {
		f.started = true
		if f.depth <= 0 {
			return Ready(0)
		}
		e := cx.Executor()
		f.st.done = NewNotify(e)
		f.wait = f.st.done.Notified()
		SpawnDetached(e, &chainTask{st: &f.st, left: f.depth})
	}
	if !f.wait.Poll(cx).ready {
		return Pending[int]()
	}
	return Ready(f.st.ran)
}

// yielder yields n times, counting the yields that returned.
type yielder struct {
	n     int
	done  int
	yield YieldFuture
}

func (f *yielder) Poll(cx *Context) Poll[uint64] {
	for f.done < f.n {
		if !f.yield.Poll(cx).ready {
			return Pending[uint64]()
		}
		f.yield = YieldFuture{}
		f.done++
	}
	return Ready(uint64(f.done))
}

// yieldMany spawns tasks yielders and joins them (tokio's yield_many).
type yieldMany struct {
	tasks, yields int
	total         uint64
	handles       *[]JoinHandle[uint64] // scratch, reused across runs
	next          int
	started       bool
}

func (f *yieldMany) Poll(cx *Context) Poll[uint64] {
	if !f.started {
		f.started = true
		e := cx.Executor()
		hs := (*f.handles)[:0]
		for range f.tasks {
			hs = append(hs, Spawn(e, &yielder{n: f.yields}))
		}
		*f.handles = hs
	}
	hs := *f.handles
	for f.next < len(hs) {
		p := hs[f.next].Poll(cx)
		if !p.ready {
			return Pending[uint64]()
		}
		f.total += p.value
		f.next++
	}
	clear(hs)
	return Ready(f.total)
}

// pinger starts every round (notify ping), then waits for the answer. If
// ready is set it first waits for the ponger to say it is waiting, so
// that every round, the first included, is a wake on both sides.
type pinger struct {
	rounds    int
	completed int
	ping      *Notify // the ponger waits on it
	pong      *Notify // we wait on it
	ready     *Notify // optional: the ponger is waiting
	wait      NotifiedFuture
	waiting   bool
	readied   bool
}

func (f *pinger) Poll(cx *Context) Poll[int] {
	if f.ready != nil && !f.readied {
		if !f.waiting {
			f.wait = f.ready.Notified()
			f.waiting = true
		}
		if !f.wait.Poll(cx).ready {
			return Pending[int]()
		}
		f.waiting = false
		f.readied = true
	}
	for f.completed < f.rounds {
		if !f.waiting {
			f.ping.Notify()
			f.wait = f.pong.Notified()
			f.waiting = true
		}
		if !f.wait.Poll(cx).ready {
			return Pending[int]()
		}
		f.waiting = false
		f.completed++
	}
	return Ready(f.completed)
}

// ponger answers every ping. If ready is set it notifies it once its
// first wait is registered.
type ponger struct {
	rounds  int
	done    int
	ping    *Notify // we wait on it
	pong    *Notify // the pinger waits on it
	ready   *Notify // optional: tell the pinger we wait
	wait    NotifiedFuture
	waiting bool
}

func (f *ponger) Poll(cx *Context) Poll[int] {
	for f.done < f.rounds {
		if !f.waiting {
			f.wait = f.ping.Notified()
			f.waiting = true
		}
		if !f.wait.Poll(cx).ready {
			if f.ready != nil {
				f.ready.Notify()
				f.ready = nil
			}
			return Pending[int]()
		}
		f.waiting = false
		f.pong.Notify()
		f.done++
	}
	return Ready(f.done)
}

// hog burns CPU in chunks and yields between them until stop is set.
type hog struct {
	stop    *bool
	sink    uint64
	yield   YieldFuture
	inYield bool
}

func (f *hog) Poll(cx *Context) Poll[struct{}] {
	for !*f.stop {
		if !f.inYield {
			f.sink += iostrat.Burn(iostrat.HogChunk)
			f.yield = YieldFuture{}
			f.inYield = true
		}
		if !f.yield.Poll(cx).ready {
			return Pending[struct{}]()
		}
		f.inYield = false
	}
	return Ready(struct{}{})
}

// pingPongSame runs a pinger and a ponger (and a hog if asked) on one
// executor and joins them (tokio's ping_pong).
type pingPongSame struct {
	rounds  int
	withHog bool
	stopHog bool
	a       JoinHandle[int]
	b       JoinHandle[int]
	h       JoinHandle[struct{}]
	result  int
	stage   int
}

func (f *pingPongSame) Poll(cx *Context) Poll[int] {
	e := cx.Executor()
	switch f.stage {
	case 0:
		ping, pong := NewNotify(e), NewNotify(e)
		if f.withHog {
			f.h = Spawn(e, &hog{stop: &f.stopHog})
		}
		// The ponger first, so that it waits before the first ping.
		f.b = Spawn(e, &ponger{rounds: f.rounds, ping: ping, pong: pong})
		f.a = Spawn(e, &pinger{rounds: f.rounds, ping: ping, pong: pong})
		f.stage = 1
		fallthrough
	case 1:
		p := f.a.Poll(cx)
		if !p.ready {
			return Pending[int]()
		}
		f.result = p.value
		f.stage = 2
		fallthrough
	case 2:
		if !f.b.Poll(cx).ready {
			return Pending[int]()
		}
		f.stopHog = true
		f.stage = 3
		fallthrough
	default:
		if !f.h.Poll(cx).ready {
			return Pending[int]()
		}
		return Ready(f.result)
	}
}

// fanWaiter waits for every round of a Broadcast, counts the wake, and
// tells the notifier when it is the last of its round to wake.
type fanWaiter struct {
	st    *fanState
	round int
	seen  uint64
	wait  BroadcastWait
	armed bool
}

type fanState struct {
	waiters, rounds int
	wakes           uint64
	woken           int // waiters woken in the current round
	event           *Broadcast
	allWoken        *Notify
}

func (f *fanWaiter) Poll(cx *Context) Poll[struct{}] {
	st := f.st
	for f.round < st.rounds {
		if !f.armed {
			f.wait = st.event.Wait(f.seen)
			f.armed = true
		}
		p := f.wait.Poll(cx)
		if !p.ready {
			return Pending[struct{}]()
		}
		f.armed = false
		f.seen = p.value
		f.round++
		st.wakes++
		st.woken++
		if st.woken == st.waiters {
			st.woken = 0
			st.allWoken.Notify()
		}
	}
	return Ready(struct{}{})
}

// fanOut starts the waiters, then fires one NotifyAll per round, each once
// the previous round's waiters have all woken (tokio's sync_notify shape).
type fanOut struct {
	st      fanState
	round   int
	started bool
	firing  bool
	yield   YieldFuture
	wait    NotifiedFuture
}

func (f *fanOut) Poll(cx *Context) Poll[uint64] {
	st := &f.st
	if !f.started {
		f.started = true
		if st.waiters <= 0 || st.rounds <= 0 {
			return Ready(uint64(0))
		}
		e := cx.Executor()
		st.event, st.allWoken = NewBroadcast(e), NewNotify(e)
		for range st.waiters {
			SpawnDetached(e, &fanWaiter{st: st})
		}
	}
	// Yield once, so that the waiters, queued ahead of us, all wait before
	// the first round fires and every round is a wake for each. (A round
	// fired before a waiter's first wait would still be seen: it waits for
	// a generation past 0.)
	if !f.yield.Poll(cx).ready {
		return Pending[uint64]()
	}
	for f.round < st.rounds {
		if !f.firing {
			st.event.NotifyAll()
			f.wait = st.allWoken.Notified()
			f.firing = true
		}
		if !f.wait.Poll(cx).ready {
			return Pending[uint64]()
		}
		f.firing = false
		f.round++
	}
	return Ready(st.wakes)
}

// fanSpread is the state of a FanOut spread over several loops, shared by
// their tasks: the fields the loops share are a SharedBroadcast, a Notify
// homed on the notifier's loop, and two atomic counters.
type fanSpread struct {
	waiters, rounds int
	event           *SharedBroadcast
	allWoken        *Notify       // the notifier's: every waiter waits, or woke this round
	registered      atomic.Int64  // waiters that wait for their first round
	woken           atomic.Uint64 // wakes over all rounds; a multiple of waiters ends a round
}

// fanShare is one loop's share of a spread FanOut: it spawns that loop's
// n waiters on its own executor and is ready, with the wakes they counted,
// once all have finished. It is the root of its loop's part of the call,
// so that loop publishes its counters only after its last waiter ran.
type fanShare struct {
	st      *fanSpread
	n, left int
	wakes   uint64 // counted by this loop's waiters
	done    *Notify
	wait    NotifiedFuture
	started bool
}

// start spawns the share's waiters.
func (f *fanShare) start(cx *Context) {
	f.started = true
	if f.n == 0 {
		return
	}
	e := cx.Executor()
	f.left = f.n
	f.done = NewNotify(e)
	f.wait = f.done.Notified()
	for range f.n {
		SpawnDetached(e, &fanSpreadWaiter{st: f.st, share: f})
	}
}

func (f *fanShare) Poll(cx *Context) Poll[uint64] {
	if !f.started {
		f.start(cx)
	}
	if f.n == 0 {
		return Ready(uint64(0))
	}
	if !f.wait.Poll(cx).ready {
		return Pending[uint64]()
	}
	return Ready(f.wakes)
}

// fanSpreadWaiter is fanWaiter on a SharedBroadcast: it waits for every
// round, counts its wake on its own loop's share, and the last waiter of a
// round, on whichever loop, tells the notifier.
type fanSpreadWaiter struct {
	st         *fanSpread
	share      *fanShare
	round      int
	seen       uint64
	wait       SharedBroadcastWait
	armed      bool
	registered bool
}

func (f *fanSpreadWaiter) Poll(cx *Context) Poll[struct{}] {
	st := f.st
	for f.round < st.rounds {
		if !f.armed {
			f.wait = st.event.Wait(f.seen)
			f.armed = true
		}
		p := f.wait.Poll(cx)
		if !p.ready {
			if !f.registered {
				f.registered = true
				if st.registered.Add(1) == int64(st.waiters) {
					st.allWoken.Notify()
				}
			}
			return Pending[struct{}]()
		}
		f.armed = false
		f.seen = p.value
		f.round++
		f.share.wakes++
		if st.woken.Add(1)%uint64(st.waiters) == 0 {
			st.allWoken.Notify()
		}
	}
	if f.share.left--; f.share.left == 0 {
		f.share.done.Notify()
	}
	return Ready(struct{}{})
}

func (f *fanSpreadWaiter) Drop() { f.wait.Drop() }

// fanNotifier is loop 0's root of a spread FanOut: loop 0's share of the
// waiters, and the notifier, which waits until every waiter on every loop
// waits, then fires one NotifyAll per round, each once the previous
// round's waiters have all woken, and is ready when its own loop's waiters
// have finished.
type fanNotifier struct {
	share  fanShare
	round  int
	stage  int
	firing bool
	wait   NotifiedFuture
}

func (f *fanNotifier) Poll(cx *Context) Poll[uint64] {
	st := f.share.st
	switch f.stage {
	case 0:
		f.share.start(cx)
		f.wait = st.allWoken.Notified()
		f.stage = 1
		fallthrough
	case 1:
		if !f.wait.Poll(cx).ready {
			return Pending[uint64]() // not every waiter waits yet
		}
		f.stage = 2
		fallthrough
	case 2:
		for f.round < st.rounds {
			if !f.firing {
				st.event.NotifyAll()
				f.wait = st.allWoken.Notified()
				f.firing = true
			}
			if !f.wait.Poll(cx).ready {
				return Pending[uint64]()
			}
			f.firing = false
			f.round++
		}
		f.stage = 3
		fallthrough
	default:
		return f.share.Poll(cx)
	}
}

func (f *fanNotifier) Drop() {
	f.wait.Drop()
	f.share.Drop()
}

func (f *fanShare) Drop() { f.wait.Drop() }

// timerState is shared by the tasks of one timer workload.
type timerState struct {
	spec                      iostrat.TimerSpec
	fired, cancelled, settled int
	done                      *Notify
}

// settle counts one timer as fired or cancelled and wakes the root after
// the last.
func (st *timerState) settle() {
	st.settled++
	if st.settled == st.spec.Count {
		st.done.Notify()
	}
}

// timerTask sleeps, then records how late it woke. Its Sleep is armed by
// its first poll, from a clock read of its own: the deadline is that
// moment plus the delay, however long arming the timers before it took.
type timerTask struct {
	st    *timerState
	i     int
	sleep SleepFuture
	armed bool
}

func (t *timerTask) Poll(cx *Context) Poll[struct{}] {
	if !t.armed {
		t.armed = true
		if onArm := t.st.spec.OnArm; onArm != nil {
			onArm(t.i) // immediately before the Sleep's first poll arms it
		}
	}
	if !t.sleep.Poll(cx).ready {
		return Pending[struct{}]()
	}
	st := t.st
	if st.spec.Lateness != nil {
		st.spec.Lateness[t.i] = t.sleep.Lateness()
	}
	st.fired++
	st.settle()
	return Ready(struct{}{})
}

func (t *timerTask) Drop() { t.sleep.Drop() }

// timerRoot spawns one timerTask per timer, yields once so that every task
// is polled and arms its timer, then aborts the tasks to cancel, and waits
// until every timer has fired or been cancelled.
type timerRoot struct {
	spec   iostrat.TimerSpec
	st     timerState
	cancel []JoinHandle[struct{}]
	yield  YieldFuture
	wait   NotifiedFuture
	stage  int
}

func (f *timerRoot) Poll(cx *Context) Poll[iostrat.TimerResult] {
	st := &f.st
	switch f.stage {
	case 0:
		n := f.spec.Count
		if n == 0 {
			return Ready(iostrat.TimerResult{})
		}
		e := cx.Executor()
		st.spec = f.spec
		st.done = NewNotify(e)
		for i := range n {
			t := &timerTask{st: st, i: i, sleep: Sleep(f.spec.Delay(i))}
			if f.spec.CancelEvery > 0 && i%f.spec.CancelEvery == 0 {
				f.cancel = append(f.cancel, Spawn(e, t))
			} else {
				SpawnDetached(e, t)
			}
		}
		f.wait = st.done.Notified()
		f.stage = 1
		fallthrough
	case 1:
		if !f.yield.Poll(cx).ready {
			return Pending[iostrat.TimerResult]()
		}
		for i := range f.cancel {
			if f.cancel[i].Abort() {
				st.cancelled++
				st.settle()
			}
			f.cancel[i].Drop()
		}
		f.cancel = nil
		f.stage = 2
		fallthrough
	default:
		if !f.wait.Poll(cx).ready {
			return Pending[iostrat.TimerResult]()
		}
		return Ready(iostrat.TimerResult{Fired: st.fired, Cancelled: st.cancelled})
	}
}

// emptyRoot is a workload root with nothing to do: ready on its first
// poll.
type emptyRoot struct{}

func (emptyRoot) Poll(*Context) Poll[struct{}] { return Ready(struct{}{}) }
