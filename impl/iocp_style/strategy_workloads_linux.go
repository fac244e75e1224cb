package iocpstyle

import (
	"fmt"
	"math"
	"time"

	"iostrat"
)

// work is the state of the workload a loop is running. Workload calls do
// not overlap, so one per loop suffices; it is reset by each call's job and
// read by the caller only after the loop signals done.
type work struct {
	done chan<- struct{}
	err  error

	n, next, left int    // Spawn: total, next to start, not yet completed; Chain and Inject: count; FanOut: waiters in all
	sum           uint64 // Spawn, Inject: sum of index+1
	yieldsLeft    []int  // Yield: per task
	total         uint64 // Yield: yields returned; FanOut: wakes

	rounds, completed   int    // PingPong, WakeExternal (acks), FanOut (rounds this loop's waiters finished)
	pingDone, hogActive bool   // PingPong hog mode
	burned              uint64 // the hog's results
	baton               *iostrat.Baton
	waiters, woke       int // FanOut: waiters on this loop, and woken this round
	fanLoops, acks      int // FanOut, the notifier: loops with waiters, and those done this round
	roundsDone          int // FanOut, the notifier: rounds every waiter finished

	timers    iostrat.TimerSpec // Timers
	ids       []OpID
	deadlines []int64 // on the Monotonic clock
	fired     int
	canceled  int
}

// finish signals the caller that this loop's part of the workload is done,
// after publishing the counters so Stats sees the work. It signals once:
// a failure after it is only logged.
func (l *loop) finish() {
	l.publish()
	done := l.w.done
	l.w.done = nil
	done <- struct{}{}
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

// begin queues job on each loop of ls, run there with a fresh work record
// that signals rt.done when the loop's part is finished.
func (rt *strategyRuntime) begin(ls []*loop, job func(l *loop, w *work)) error {
	if err := rt.life.Check(); err != nil {
		return err
	}
	rt.calls.Add(1)
	for _, l := range ls {
		if err := rt.run(l, func(l *loop) { job(l, l.start(rt.done)) }); err != nil {
			return iostrat.ErrClosed
		}
	}
	return nil
}

// end waits until each loop of ls has finished its part of the workload
// (and so published its counters), and returns the first loop's error.
func (rt *strategyRuntime) end(ls []*loop) error {
	for range ls {
		<-rt.done
	}
	for _, l := range ls {
		if l.w.err != nil {
			return l.w.err
		}
	}
	return nil
}

// call runs job on loop 0 and waits for the loop to finish it.
func (rt *strategyRuntime) call(job func(l *loop, w *work)) (*work, error) {
	ls := rt.loops[:1]
	if err := rt.begin(ls, job); err != nil {
		return nil, err
	}
	err := rt.end(ls)
	return &ls[0].w, err
}

// share is how many of n items, dealt round-robin over loops loops, fall
// to loop k.
func share(n, loops, k int) int { return (n - k + loops - 1) / loops }

// Spawn submits n no-ops from loop 0, each a task whose completion runs
// it. At most spawnWindow are in flight: each completion submits the next,
// so every turn reaps a batch and submits a batch with one io_uring_enter.
func (rt *strategyRuntime) Spawn(n int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	w, err := rt.call(func(l *loop, w *work) {
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

// Chain runs depth tasks one after the other: each task's handler posts
// the next to its own port (PostTo itself: the ready queue, or with
// PostKernel a no-op through the ring), so a link costs one post and one
// completion.
func (rt *strategyRuntime) Chain(depth int) (int, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	w, err := rt.call(func(l *loop, w *work) {
		w.n = depth
		if depth <= 0 {
			l.finish()
			return
		}
		l.postTo(l, tok(tkChain, 1), 0)
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
	l.postTo(l, tok(tkChain, k+1), 0)
}

// Inject has its producers post the tasks from their own OS threads with
// Post, the PostQueuedCompletionStatus of this API: task i goes to loop
// i%Loops, so every loop runs a share of the tasks whatever the number of
// producers.
func (rt *strategyRuntime) Inject(producers, n int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if producers <= 0 {
		return 0, fmt.Errorf("Inject: %d producers", producers)
	}
	n = max(n, 0)
	ls := rt.loops[:max(1, min(len(rt.loops), n))]
	nl := len(ls)
	// Each loop's job is queued before any of its tasks: posts to one port
	// are delivered in order.
	if err := rt.begin(ls, func(l *loop, w *work) {
		if w.left = share(n, nl, l.idx); w.left == 0 {
			l.finish()
		}
	}); err != nil {
		return 0, err
	}
	iostrat.OnThreads(producers, func(p int) {
		for i := p; i < n; i += producers {
			ls[i%nl].port.Post(tok(tkInject, uint64(i)), 0)
		}
	})
	err := rt.end(ls)
	var sum uint64
	for _, l := range ls {
		sum += l.w.sum
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

// Yield deals its tasks round-robin over the loops; a task yields by
// posting itself to its own port (the ready queue; with PostKernel a
// no-op carrying its token into its own ring), so it runs again when that
// completion comes round, behind every completion already queued there.
func (rt *strategyRuntime) Yield(tasks, yields int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if tasks <= 0 || yields <= 0 {
		tasks, yields = 0, 0
	}
	ls := rt.loops[:max(1, min(len(rt.loops), tasks))]
	nl := len(ls)
	if err := rt.begin(ls, func(l *loop, w *work) {
		mine := share(tasks, nl, l.idx)
		if mine == 0 {
			l.finish()
			return
		}
		w.left = mine
		w.yieldsLeft = make([]int, mine)
		for t := range w.yieldsLeft {
			w.yieldsLeft[t] = yields
			l.postTo(l, tok(tkYield, uint64(t)), 0)
		}
	}); err != nil {
		return 0, err
	}
	err := rt.end(ls)
	var total uint64
	for _, l := range ls {
		total += l.w.total
	}
	return total, err
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
// both on loop 0, each post a self-post (the ready queue; with PostKernel
// a no-op into its own ring). Cross thread: A on
// loop 0, B on another loop, each post a MSG_RING into the other's ring
// (or the other's Post where the kernel lacks MSG_RING). The B side keeps
// no state: the token says where to answer and the result carries the
// round.
func (rt *strategyRuntime) PingPong(rounds int, mode iostrat.PingPongMode) (int, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	b := rt.loops[0] // A is loop 0
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
	w, err := rt.call(func(l *loop, w *work) {
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

// onPing is B: answer the round to the loop that sent it. Across threads,
// B publishes its counters before the answer leaves: the caller is
// released by A and never waits for B.
func (l *loop) onPing(from uint64, round int) {
	if from != uint64(l.idx) {
		l.publish()
	}
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
func (rt *strategyRuntime) WakeExternal(rounds int) (int, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	ls := rt.loops[:1]
	l := ls[0]
	baton := iostrat.NewBaton()
	if err := rt.begin(ls, func(l *loop, w *work) {
		w.rounds, w.baton = rounds, baton
		if rounds <= 0 {
			l.finish()
		}
	}); err != nil {
		return 0, err
	}
	iostrat.OnThreads(1, func(int) {
		for range rounds {
			l.port.Post(tok(tkWake, 0), 0)
			baton.Wait()
		}
	})
	err := rt.end(ls)
	return l.w.completed, err
}

func (l *loop) onWake() {
	w := &l.w
	w.completed++
	w.baton.Pass()
	if w.completed == w.rounds {
		l.finish()
	}
}

// FanOut: the notifier on loop 0 fires each round's event, a completion
// posted to itself whose handler posts one completion per waiter, to the
// waiter's loop: waiters are dealt round-robin over the loops. Each loop
// counts its waiters' wakes and, when all of them have run for the round,
// acknowledges with one completion posted to the notifier, which starts
// the next round once every loop has.
//
// The other loops are told their share by the notifier itself (tkFanJoin,
// carrying the number of waiters and, as its result, the rounds), not by
// a job of their own: a job arrives through the cross-thread queue, which
// could be delivered after a MSG_RING from loop 0, while completions one
// port posts to another arrive in the order posted.
func (rt *strategyRuntime) FanOut(waiters, rounds int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if rounds > math.MaxInt32 {
		return 0, iostrat.Unsupported("FanOut: %d rounds (at most %d)", rounds, math.MaxInt32)
	}
	if waiters <= 0 || rounds <= 0 {
		waiters, rounds = 0, 0
	}
	ls := rt.loops[:max(1, min(len(rt.loops), waiters))]
	nl := len(ls)
	if err := rt.begin(ls[:1], func(l *loop, w *work) {
		if waiters == 0 {
			l.finish()
			return
		}
		w.n, w.waiters, w.rounds, w.fanLoops = waiters, share(waiters, nl, 0), rounds, nl
		for _, o := range ls[1:] {
			l.postTo(o, tok(tkFanJoin, uint64(share(waiters, nl, o.idx))), int32(rounds))
		}
		l.postTo(l, tok(tkFanEvent, 0), 0)
	}); err != nil {
		return 0, err
	}
	err := rt.end(ls)
	var total uint64
	for _, l := range ls {
		total += l.w.total
	}
	return total, err
}

// onFanJoin starts this loop's part of a FanOut: waiters of its own, and
// the rounds they wait for.
func (l *loop) onFanJoin(waiters uint64, rounds int) {
	l.rt.calls.Load() // see strategyRuntime.calls
	w := l.start(l.rt.done)
	w.waiters, w.rounds = int(waiters), rounds
}

// onFanEvent is the notifier firing the event: one completion per waiter,
// posted to the waiter's loop.
func (l *loop) onFanEvent() {
	w := &l.w
	w.acks = 0
	for k := range w.n {
		l.postTo(l.rt.loops[k%w.fanLoops], tok(tkFanWaiter, uint64(k)), 0)
	}
}

// onFanWaiter is one waiter woken: it counts the wake; the last of this
// loop's waiters for the round acknowledges to the notifier.
func (l *loop) onFanWaiter() {
	w := &l.w
	w.total++
	if w.woke++; w.woke < w.waiters {
		return
	}
	w.woke = 0
	w.completed++
	if l.idx == 0 {
		l.onFanAck()
		return
	}
	l.postTo(l.rt.loops[0], tok(tkFanAck, 0), 0)
	if w.completed == w.rounds {
		l.finish()
	}
}

// onFanAck is the notifier hearing that one loop's waiters have all run
// for the round; when every loop has, the round is over.
func (l *loop) onFanAck() {
	w := &l.w
	if w.acks++; w.acks < w.fanLoops {
		return
	}
	if w.roundsDone++; w.roundsDone == w.rounds {
		l.finish()
		return
	}
	l.postTo(l, tok(tkFanEvent, 0), 0)
}

// Timers arms spec.Count timeout operations on loop 0, each with the
// absolute deadline "now plus its delay" taken as it is armed (both
// backends keep them in a timer heap; io_uring arms one ring timeout for
// the earliest), then cancels those spec.CancelEvery selects. A cancel
// that loses the race leaves its timer fired: the timer completes
// normally.
func (rt *strategyRuntime) Timers(spec iostrat.TimerSpec) (iostrat.TimerResult, error) {
	if err := rt.life.Check(); err != nil {
		return iostrat.TimerResult{}, err
	}
	if err := spec.Validate(); err != nil {
		return iostrat.TimerResult{}, err
	}
	w, err := rt.call(func(l *loop, w *work) {
		w.timers = spec
		if spec.Count == 0 {
			l.finish()
			return
		}
		w.ids = make([]OpID, spec.Count)
		w.deadlines = make([]int64, spec.Count)
		for i := range spec.Count {
			if spec.OnArm != nil {
				spec.OnArm(i)
			}
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

// Handoff posts one job completion to loop 0 whose handler signals the
// caller: a Post in (a queue append, and an eventfd write when the loop is
// parked) and a channel send out. The job and the channel are made once
// per runtime, so a Handoff allocates nothing.
func (rt *strategyRuntime) Handoff() error {
	if err := rt.life.Check(); err != nil {
		return err
	}
	l := rt.loops[0]
	if err := rt.run(l, rt.handoffJob); err != nil {
		return iostrat.ErrClosed
	}
	<-rt.done
	return l.w.err
}
