package iocpstyle

import (
	"fmt"
	"time"

	"iostrat"
)

// work is the state of the workload a loop is running. Workload calls do
// not overlap, so one per loop suffices; it is reset by each call's job and
// read by the caller only after the loop signals done.
type work struct {
	done chan<- struct{}
	err  error

	n, next, left int    // Spawn: total, next to start, not yet completed; Chain and Inject: count
	sum           uint64 // Spawn, Inject: sum of index+1
	yieldsLeft    []int  // Yield: per task
	total         uint64 // Yield: yields returned; FanOut: wakes

	rounds, completed   int    // PingPong, WakeExternal (acks), FanOut (rounds done)
	pingDone, hogActive bool   // PingPong hog mode
	burned              uint64 // the hog's results
	baton               *iostrat.Baton
	waiters, woke       int // FanOut

	timers    iostrat.TimerSpec // Timers
	ids       []OpID
	deadlines []int64 // on the Monotonic clock
	fired     int
	canceled  int
}

// finish signals the caller that this loop's part of the workload is done,
// after publishing the counters so Stats sees the work.
func (l *loop) finish() {
	l.publish()
	l.w.done <- struct{}{}
}

// fail ends the workload in progress with err.
func (l *loop) fail(err error) {
	if l.w.done == nil || l.w.err != nil {
		l.rt.opts.Logf("%s: loop %d: %v", l.rt.strategy.Name(), l.idx, err)
		return
	}
	l.w.err = err
	l.finish()
}

// start resets the loop's workload state for a new call.
func (l *loop) start(done chan<- struct{}) *work {
	l.w = work{done: done}
	return &l.w
}

// call runs job on loop l and waits for the loop to finish it.
func (rt *portRuntime) call(l *loop, job func(l *loop, w *work)) (*work, error) {
	if err := rt.check(); err != nil {
		return nil, err
	}
	done := make(chan struct{}, 1)
	if err := rt.run(l, func(l *loop) { job(l, l.start(done)) }); err != nil {
		return nil, iostrat.ErrClosed
	}
	<-done
	return &l.w, l.w.err
}

// Spawn submits n no-ops from loop 0, each a task whose completion runs
// it. At most spawnWindow are in flight: each completion submits the next,
// so every turn reaps a batch and submits a batch with one io_uring_enter.
func (rt *portRuntime) Spawn(n int) (uint64, error) {
	w, err := rt.call(rt.loops[0], func(l *loop, w *work) {
		w.n, w.left = n, n
		if n <= 0 {
			l.finish()
			return
		}
		for w.next < min(n, spawnWindow) {
			l.submit(Op{Kind: OpNop, Token: tok(tkSpawn, uint64(w.next))})
			w.next++
		}
	})
	if err != nil {
		return 0, err
	}
	return w.sum, nil
}

func (l *loop) onSpawn(i uint64) {
	w := &l.w
	w.sum += i + 1
	w.left--
	if w.next < w.n {
		l.submit(Op{Kind: OpNop, Token: tok(tkSpawn, uint64(w.next))})
		w.next++
	}
	if w.left == 0 {
		l.finish()
	}
}

// Chain runs depth no-ops one after the other: each completion submits
// the next.
func (rt *portRuntime) Chain(depth int) (int, error) {
	w, err := rt.call(rt.loops[0], func(l *loop, w *work) {
		w.n = depth
		if depth <= 0 {
			l.finish()
			return
		}
		l.submit(Op{Kind: OpNop, Token: tok(tkChain, 1)})
	})
	if err != nil {
		return 0, err
	}
	return w.left, nil
}

func (l *loop) onChain(k uint64) {
	w := &l.w
	w.left = int(k) // tasks run so far
	if w.left == w.n {
		l.finish()
		return
	}
	l.submit(Op{Kind: OpNop, Token: tok(tkChain, k+1)})
}

// Inject has producer p post its tasks to loop p%Loops from its own OS
// thread: Post, the PostQueuedCompletionStatus of this API.
func (rt *portRuntime) Inject(producers, n int) (uint64, error) {
	if err := rt.check(); err != nil {
		return 0, err
	}
	if producers <= 0 {
		return 0, fmt.Errorf("Inject: %d producers", producers)
	}
	nl := len(rt.loops)
	quota := make([]int, nl)
	for p := range min(producers, max(n, 0)) {
		quota[p%nl] += (n - p + producers - 1) / producers
	}
	done := make(chan struct{}, nl)
	for k, l := range rt.loops {
		err := rt.run(l, func(l *loop) {
			w := l.start(done)
			w.left = quota[k]
			if w.left == 0 {
				l.finish()
			}
		})
		if err != nil {
			return 0, iostrat.ErrClosed
		}
	}
	iostrat.OnThreads(producers, func(p int) {
		port := rt.loops[p%nl].port
		for i := p; i < n; i += producers {
			port.Post(tok(tkInject, uint64(i)), 0)
		}
	})
	var sum uint64
	var err error
	for range nl {
		<-done
	}
	for _, l := range rt.loops {
		sum += l.w.sum
		if err == nil {
			err = l.w.err
		}
	}
	return sum, err
}

func (l *loop) onInject(i uint64) {
	w := &l.w
	w.sum += i + 1
	w.left--
	if w.left == 0 {
		l.finish()
	}
}

// Yield runs tasks tasks on loop 0; a task yields by posting itself as a
// completion (on io_uring a no-op carrying its token into its own ring), so
// it runs again when that completion comes round, behind every completion
// already queued.
func (rt *portRuntime) Yield(tasks, yields int) (uint64, error) {
	w, err := rt.call(rt.loops[0], func(l *loop, w *work) {
		if tasks <= 0 || yields <= 0 {
			l.finish()
			return
		}
		w.left = tasks
		w.yieldsLeft = make([]int, tasks)
		for t := range w.yieldsLeft {
			w.yieldsLeft[t] = yields
			l.postTo(l, tok(tkYield, uint64(t)), 0)
		}
	})
	if err != nil {
		return 0, err
	}
	return w.total, nil
}

func (l *loop) onYield(t uint64) {
	w := &l.w
	w.total++
	w.yieldsLeft[t]--
	if w.yieldsLeft[t] > 0 {
		l.postTo(l, tok(tkYield, t), 0)
		return
	}
	w.left--
	if w.left == 0 {
		l.finish()
	}
}

// PingPong bounces a posted completion between two handlers. Same thread:
// both on loop 0, each post a no-op into its own ring. Cross thread: A on
// loop 0, B on another loop, each post a MSG_RING into the other's ring
// (or the other's Post where the kernel lacks MSG_RING). The B side keeps
// no state: the token says where to answer and the result carries the
// round.
func (rt *portRuntime) PingPong(rounds int, mode iostrat.PingPongMode) (int, error) {
	if err := rt.check(); err != nil {
		return 0, err
	}
	a, b := rt.loops[0], rt.loops[0]
	switch mode {
	case iostrat.SameThread, iostrat.Hog:
	case iostrat.CrossThread:
		var err error
		if b, err = rt.spareLoop(); err != nil {
			return 0, err
		}
	default:
		return 0, iostrat.Unsupported("ping-pong mode %v", mode)
	}
	w, err := rt.call(a, func(l *loop, w *work) {
		w.rounds = rounds
		if rounds <= 0 {
			l.finish()
			return
		}
		if mode == iostrat.Hog {
			w.hogActive = true
			l.postTo(l, tok(tkHog, 0), 0)
		}
		l.postTo(b, tok(tkPing, uint64(l.idx)), 1)
	})
	if err != nil {
		return 0, err
	}
	return w.completed, nil
}

// onPing is B: answer the round to the loop that sent it.
func (l *loop) onPing(from uint64, round int) {
	l.postTo(l.rt.loopFor(int(from)), tok(tkPong, uint64(l.idx)), int32(round))
}

// onPong is A: a round is complete.
func (l *loop) onPong(from uint64, round int) {
	w := &l.w
	w.completed = round
	if round < w.rounds {
		l.postTo(l.rt.loopFor(int(from)), tok(tkPing, uint64(l.idx)), int32(round+1))
		return
	}
	w.pingDone = true
	if !w.hogActive {
		l.finish()
	}
}

// onHog is the hog: burn a chunk, then yield by posting itself, until the
// ping-pong is over.
func (l *loop) onHog() {
	w := &l.w
	if w.pingDone {
		w.hogActive = false
		l.finish()
		return
	}
	w.burned ^= iostrat.Burn(iostrat.HogChunk) // kept, so the work cannot be optimized away
	l.postTo(l, tok(tkHog, 0), 0)
}

// WakeExternal parks loop 0 in Wait (nothing in flight) and has a plain OS
// thread wake it with Post; the loop's handler acknowledges through the
// Baton.
func (rt *portRuntime) WakeExternal(rounds int) (int, error) {
	if err := rt.check(); err != nil {
		return 0, err
	}
	l := rt.loops[0]
	baton := iostrat.NewBaton()
	done := make(chan struct{}, 1)
	if err := rt.run(l, func(l *loop) {
		w := l.start(done)
		w.rounds, w.baton = rounds, baton
		if rounds <= 0 {
			l.finish()
		}
	}); err != nil {
		return 0, iostrat.ErrClosed
	}
	iostrat.OnThreads(1, func(int) {
		for range rounds {
			l.port.Post(tok(tkWake, 0), 0)
			baton.Wait()
		}
	})
	<-done
	return l.w.completed, l.w.err
}

func (l *loop) onWake() {
	w := &l.w
	w.completed++
	w.baton.Pass()
	if w.completed == w.rounds {
		l.finish()
	}
}

// FanOut: the event is a posted completion whose handler posts one
// completion per waiter; when every waiter has run, the next round's
// event is posted.
func (rt *portRuntime) FanOut(waiters, rounds int) (uint64, error) {
	w, err := rt.call(rt.loops[0], func(l *loop, w *work) {
		w.waiters, w.rounds = waiters, rounds
		if waiters <= 0 || rounds <= 0 {
			l.finish()
			return
		}
		l.postTo(l, tok(tkFanEvent, 0), 0)
	})
	if err != nil {
		return 0, err
	}
	return w.total, nil
}

func (l *loop) onFanEvent() {
	w := &l.w
	w.woke = 0
	for k := range w.waiters {
		l.postTo(l, tok(tkFanWaiter, uint64(k)), 0)
	}
}

func (l *loop) onFanWaiter() {
	w := &l.w
	w.total++
	w.woke++
	if w.woke < w.waiters {
		return
	}
	w.completed++
	if w.completed == w.rounds {
		l.finish()
		return
	}
	l.postTo(l, tok(tkFanEvent, 0), 0)
}

// Timers arms spec.Count timeout operations on loop 0, each with the
// absolute deadline "now plus its delay" taken as it is armed
// (IORING_OP_TIMEOUT with IORING_TIMEOUT_ABS; emulated: the timer heap),
// then cancels those spec.CancelEvery selects (IORING_OP_TIMEOUT_REMOVE).
// A cancel that loses the race leaves its timer fired: the timer completes
// normally.
func (rt *portRuntime) Timers(spec iostrat.TimerSpec) (iostrat.TimerResult, error) {
	if err := rt.check(); err != nil {
		return iostrat.TimerResult{}, err
	}
	if err := spec.Validate(); err != nil {
		return iostrat.TimerResult{}, err
	}
	w, err := rt.call(rt.loops[0], func(l *loop, w *work) {
		w.timers = spec
		if spec.Count == 0 {
			l.finish()
			return
		}
		w.ids = make([]OpID, spec.Count)
		w.deadlines = make([]int64, spec.Count)
		for i := range spec.Count {
			w.deadlines[i] = Monotonic() + int64(spec.Delay(i))
			w.ids[i] = l.submit(Op{Kind: OpTimeout, Deadline: w.deadlines[i], Token: tok(tkTimer, uint64(i))})
		}
		if spec.CancelEvery > 0 {
			for i := 0; i < spec.Count; i += spec.CancelEvery {
				l.port.Cancel(w.ids[i])
			}
		}
	})
	if err != nil {
		return iostrat.TimerResult{}, err
	}
	return iostrat.TimerResult{Fired: w.fired, Cancelled: w.canceled}, nil
}

func (l *loop) onTimer(i uint64, c *Completion) {
	w := &l.w
	if c.Err == nil {
		w.fired++
		if w.timers.Lateness != nil {
			// Monotonic never runs behind the kernel's clock, which fired
			// the timer at or after its deadline: lateness is never
			// negative.
			w.timers.Lateness[i] = time.Duration(Monotonic() - w.deadlines[i])
		}
	} else {
		w.canceled++
	}
	if w.fired+w.canceled == w.timers.Count {
		w.ids, w.deadlines = nil, nil
		l.finish()
	}
}

// Handoff posts one job completion to loop 0 that signals the caller: a
// posted completion in, a channel send out.
func (rt *portRuntime) Handoff() error {
	_, err := rt.call(rt.loops[0], func(l *loop, _ *work) { l.finish() })
	return err
}
