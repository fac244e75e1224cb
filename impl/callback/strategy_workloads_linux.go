package callback

import (
	"sync/atomic"
	"time"

	"iostrat"
	"iostrat/internal/timerheap"
)

// Each workload is written the way a callback program would be: state in a
// small struct owned by one loop, closures over it, and progress made by
// posting the next callback. The last callback calls finish.
//
// Where the work runs is decided here, from the CPU budget: the runtime
// has one loop per CPU (Options.Loops defaults to GOMAXPROCS). Work made
// of independent pieces is dealt over every loop, as Go's scheduler
// spreads goroutines over its Ps: Inject's tasks, Yield's tasks and
// FanOut's waiters (the knob "spread" lists them). Work that is one
// thread of control runs on loop 0: Spawn and Chain (tasks started from
// inside a running task are loop-local posts), same-thread and hog
// ping-pong, WakeExternal's one parked task, and Timers. Cross-thread
// ping-pong runs between loops 0 and 1, or loop 0 and a spare loop when
// there is one loop. With one loop everything else runs on loop 0.

// Spawn posts n callbacks from a callback running on loop 0; the tasks are
// closures over their index, so each costs one small allocation and one
// queue slot.
func (rt *strategyRuntime) Spawn(n int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, nil
	}
	l := rt.loops[0]
	st := &spawn{n: n, finish: rt.finish}
	err := rt.run(l, func() {
		for i := range n {
			l.PostLocal(func() { st.ran(i) })
		}
	})
	return st.sum, err
}

type spawn struct {
	sum    uint64
	count  int
	n      int
	finish func()
}

func (s *spawn) ran(i int) {
	s.sum += uint64(i + 1)
	s.count++
	if s.count == s.n {
		s.finish()
	}
}

// Chain runs depth callbacks on loop 0, each posting a new one for the
// next link.
func (rt *strategyRuntime) Chain(depth int) (int, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if depth <= 0 {
		return 0, nil
	}
	c := &chain{loop: rt.loops[0], depth: depth, finish: rt.finish}
	err := rt.run(c.loop, c.link(1))
	return c.ran, err
}

type chain struct {
	loop   *Loop
	depth  int
	ran    int
	finish func()
}

func (c *chain) link(k int) func() {
	return func() {
		c.ran++
		if k == c.depth {
			c.finish()
			return
		}
		c.loop.PostLocal(c.link(k + 1))
	}
}

// injectShare is one loop's part of an Inject call, padded so two loops
// never write the same cache line.
type injectShare struct {
	sum, got, want uint64
	_              [40]byte
}

// Inject has every producer deal its tasks round-robin over the loops with
// Post, the cross-thread entry point — producer p's k-th task to loop
// (p+k)%loops — so that even one producer keeps every loop busy, as
// goroutines started from one thread spread over every P. Each loop
// counts its own share; the loop that completes the last share signals
// the caller.
func (rt *strategyRuntime) Inject(producers, n int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if producers <= 0 {
		producers = 1
	}
	if n <= 0 {
		return 0, nil
	}
	loops := len(rt.loops)
	shares := make([]injectShare, loops)
	for p := range min(producers, n) {
		tasks := (n - p + producers - 1) / producers
		for j := range shares {
			// Producer p's tasks k ≡ j-p (mod loops) go to loop j.
			if first := ((j-p)%loops + loops) % loops; first < tasks {
				shares[j].want += uint64((tasks - first + loops - 1) / loops)
			}
		}
	}
	var remaining atomic.Int32
	for i := range shares {
		if shares[i].want > 0 {
			remaining.Add(1)
		}
	}
	var failed atomic.Bool
	iostrat.OnThreads(producers, func(p int) {
		j := p % loops
		for i := p; i < n; i += producers {
			sh := &shares[j]
			err := rt.loops[j].Post(func() {
				sh.sum += uint64(i + 1)
				sh.got++
				if sh.got == sh.want && remaining.Add(-1) == 0 {
					rt.finish()
				}
			})
			if err != nil {
				failed.Store(true)
				return
			}
			if j++; j == loops {
				j = 0
			}
		}
	})
	if failed.Load() {
		return 0, iostrat.ErrClosed
	}
	if err := rt.await(); err != nil {
		return 0, err
	}
	var sum uint64
	for i := range shares {
		sum += shares[i].sum
	}
	return sum, nil
}

// yieldShare is one loop's part of a Yield call.
type yieldShare struct {
	yields, tasks, finished uint64
	_                       [40]byte
}

// Yield spreads the tasks over the loops; a task yields by posting itself
// to the back of its loop's local queue, behind every other ready callback.
func (rt *strategyRuntime) Yield(tasks, yields int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if tasks <= 0 {
		return 0, nil
	}
	shares := make([]yieldShare, len(rt.loops))
	for t := range tasks {
		shares[t%len(rt.loops)].tasks++
	}
	var remaining atomic.Int32
	for j, l := range rt.loops {
		sh := &shares[j]
		if sh.tasks == 0 {
			continue
		}
		remaining.Add(1)
		finish := func() {
			if remaining.Add(-1) == 0 {
				rt.finish()
			}
		}
		start := func() {
			for range sh.tasks {
				y := &yielder{loop: l, share: sh, left: yields, finish: finish}
				y.resume = y.resumed
				y.step()
			}
		}
		if err := l.Post(start); err != nil {
			return 0, closedErr(err)
		}
	}
	if err := rt.await(); err != nil {
		return 0, err
	}
	var total uint64
	for i := range shares {
		total += shares[i].yields
	}
	return total, nil
}

// yielder is one Yield task: it yields by posting resume, a func value
// made once, so a yield allocates nothing.
type yielder struct {
	loop   *Loop
	share  *yieldShare
	left   int
	resume func()
	finish func()
}

func (y *yielder) resumed() {
	y.share.yields++
	y.step()
}

func (y *yielder) step() {
	if y.left == 0 {
		y.share.finished++
		if y.share.finished == y.share.tasks {
			y.finish()
		}
		return
	}
	y.left--
	y.loop.PostLocal(y.resume)
}

// PingPong: two callbacks that post each other. SameThread and Hog post
// on loop 0 with PostLocal; CrossThread has each side Post to the other's
// loop, so every wake crosses threads.
func (rt *strategyRuntime) PingPong(rounds int, mode iostrat.PingPongMode) (int, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if rounds <= 0 {
		return 0, nil
	}
	switch mode {
	case iostrat.SameThread, iostrat.Hog:
		return rt.pingPongLocal(rounds, mode == iostrat.Hog)
	case iostrat.CrossThread:
		return rt.pingPongCross(rounds)
	}
	return 0, iostrat.Unsupported("ping-pong mode %v", mode)
}

func (rt *strategyRuntime) pingPongLocal(rounds int, hog bool) (int, error) {
	l := rt.loops[0]
	st := &struct {
		done int
		over bool
		sink uint64
	}{}
	var ping, pong, burn func()
	ping = func() { l.PostLocal(pong) }
	pong = func() {
		st.done++
		switch {
		case st.done < rounds:
			l.PostLocal(ping)
		case hog:
			st.over = true // the hog finishes the call on its next turn
		default:
			rt.finish()
		}
	}
	// burn is the CPU-bound third callback: a chunk of work, then a yield
	// behind whatever else is ready.
	burn = func() {
		st.sink += iostrat.Burn(iostrat.HogChunk)
		if st.over {
			rt.finish()
			return
		}
		l.PostLocal(burn)
	}
	err := rt.run(l, func() {
		if hog {
			l.PostLocal(burn)
		}
		ping()
	})
	return st.done, err
}

func (rt *strategyRuntime) pingPongCross(rounds int) (int, error) {
	a, b, err := rt.crossLoops()
	if err != nil {
		return 0, err
	}
	done := 0 // touched on b only
	var ping, pong func()
	ping = func() { b.Post(pong) }
	pong = func() {
		done++
		if done == rounds {
			rt.finish()
			return
		}
		a.Post(ping)
	}
	err = rt.run(a, ping)
	return done, err
}

// WakeExternal: the parked task is a callback that nothing has posted; a
// plain OS thread wakes it by posting it (the eventfd write wakes the
// sleeping loop), and it passes the baton back.
func (rt *strategyRuntime) WakeExternal(rounds int) (int, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	l := rt.loops[0]
	baton := iostrat.NewBaton()
	acked := 0 // touched on the loop; read after the last baton pass
	ack := func() {
		acked++
		baton.Pass()
	}
	var err error
	iostrat.OnThreads(1, func(int) {
		for range rounds {
			if err = l.Post(ack); err != nil {
				err = closedErr(err)
				return
			}
			baton.Wait()
		}
	})
	return acked, err
}

// FanOut deals the waiters round-robin over the loops (waiter w on loop
// w%loops), each loop's waiters waiting on an Event of that loop. The
// notifier is a callback on loop 0: it fires loop 0's event and posts a
// fire callback to every other loop, the one cross-thread message per
// loop per round. Each waiter counts its wake and waits again; the last
// of a loop's waiters to wake reports to loop 0 (a Post, or a plain call
// on loop 0), and the last report of a round posts the notifier. With one
// loop that is one Event, its waiters, and the notifier re-posted by the
// last of them.
func (rt *strategyRuntime) FanOut(waiters, rounds int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if waiters <= 0 || rounds <= 0 {
		return 0, nil
	}
	f := &fanOut{rt: rt, rounds: rounds, shares: make([]fanShare, len(rt.loops))}
	for w := range waiters {
		f.shares[w%len(rt.loops)].waiters++
	}
	f.notify = f.fire
	f.report = f.shareDone
	for j := range f.shares {
		if f.shares[j].waiters > 0 {
			f.active++
		}
	}
	for j, l := range rt.loops {
		if f.shares[j].waiters == 0 {
			continue
		}
		if err := l.Post(func() { f.setUp(j) }); err != nil {
			return 0, closedErr(err)
		}
	}
	if err := rt.await(); err != nil {
		return 0, err
	}
	var wakes uint64
	for j := range f.shares {
		wakes += f.shares[j].wakes
	}
	return wakes, nil
}

// fanOut is one FanOut call. Its own fields are loop 0's; each share is
// its loop's.
type fanOut struct {
	rt       *strategyRuntime
	shares   []fanShare
	active   int    // shares with waiters
	rounds   int    // rounds to run
	round    int    // rounds fired so far
	reported int    // shares done with the current round (or set up, before the first)
	notify   func() // f.fire, made once
	report   func() // f.shareDone, made once
}

// fanShare is one loop's part of a FanOut call, padded so two loops never
// write the same cache line.
type fanShare struct {
	ev      *Event
	fire    func() // ev.Fire, for the notifier to post
	waiters int
	woken   int // waiters woken in the current round
	wakes   uint64
	_       [24]byte
}

// setUp makes share j's event and waiters on loop j, then reports ready.
func (f *fanOut) setUp(j int) {
	l, sh := f.rt.loops[j], &f.shares[j]
	sh.ev = l.NewEvent()
	sh.fire = func() { sh.ev.Fire() }
	for range sh.waiters {
		var waiter func()
		waiter = func() {
			sh.wakes++
			sh.ev.Wait(waiter)
			if sh.woken++; sh.woken < sh.waiters {
				return
			}
			sh.woken = 0
			f.reportFrom(j)
		}
		sh.ev.Wait(waiter)
	}
	f.reportFrom(j)
}

// reportFrom tells loop 0 that share j is done with the round.
func (f *fanOut) reportFrom(j int) {
	if j == 0 {
		f.shareDone()
		return
	}
	f.rt.loops[0].Post(f.report) // fails only if the runtime stops: await sees it
}

// shareDone runs on loop 0 for each report; the last of a round ends the
// call or posts the notifier for the next round.
func (f *fanOut) shareDone() {
	if f.reported++; f.reported < f.active {
		return
	}
	f.reported = 0
	if f.round == f.rounds {
		f.rt.finish()
		return
	}
	f.round++
	f.rt.loops[0].PostLocal(f.notify)
}

// fire is the notifier: it fires every share's event, its own directly.
func (f *fanOut) fire() {
	for j := range f.shares {
		sh := &f.shares[j]
		switch {
		case sh.waiters == 0:
		case j == 0:
			sh.ev.Fire()
		default:
			f.rt.loops[j].Post(sh.fire)
		}
	}
}

// Timers arms every timer with AfterFunc from one callback on loop 0,
// cancels the selected ones with Stop, and finishes when the books
// balance. Each timer's deadline counts from its own arming: the loop's
// clock is read again (UpdateNow) right before each AfterFunc, after
// spec.OnArm. Lateness is measured from that deadline to when the
// timer's callback runs.
func (rt *strategyRuntime) Timers(spec iostrat.TimerSpec) (iostrat.TimerResult, error) {
	if err := rt.life.Check(); err != nil {
		return iostrat.TimerResult{}, err
	}
	if err := spec.Validate(); err != nil {
		return iostrat.TimerResult{}, err
	}
	if spec.Count == 0 {
		return iostrat.TimerResult{}, nil
	}
	l := rt.loops[0]
	var res iostrat.TimerResult
	timers := make([]*Timer, spec.Count)
	settled := func() {
		if res.Fired+res.Cancelled == spec.Count {
			rt.finish()
		}
	}
	err := rt.run(l, func() {
		for i := range timers {
			d := spec.Delay(i)
			if spec.OnArm != nil {
				spec.OnArm(i)
			}
			l.UpdateNow()
			timers[i] = l.AfterFunc(d, func() {
				if spec.Lateness != nil {
					spec.Lateness[i] = time.Duration(timerheap.Now() - timers[i].entry.When)
				}
				res.Fired++
				settled()
			})
		}
		if spec.CancelEvery > 0 {
			for i := 0; i < len(timers); i += spec.CancelEvery {
				if timers[i].Stop() {
					res.Cancelled++
				}
			}
		}
		settled()
	})
	return res, err
}

// Handoff posts one callback to loop 0 that signals the caller: a Post in
// (an eventfd write, the loop being parked) and a channel send out. The
// callback is rt.finish, a func value made once, so the call allocates
// nothing of its own.
func (rt *strategyRuntime) Handoff() error {
	if err := rt.life.Check(); err != nil {
		return err
	}
	return rt.run(rt.loops[0], rt.finish)
}
