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

// Spawn posts n callbacks from a callback running on loop 0; the tasks are
// closures over their index, so each costs one small allocation and one
// queue slot.
func (r *cbRuntime) Spawn(n int) (uint64, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, nil
	}
	l := r.loops[0]
	st := &spawn{n: n, finish: r.finish}
	err := r.run(l, func() {
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
func (r *cbRuntime) Chain(depth int) (int, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	if depth <= 0 {
		return 0, nil
	}
	c := &chain{loop: r.loops[0], depth: depth, finish: r.finish}
	err := r.run(c.loop, c.link(1))
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

// Inject has producer p post its tasks to loop p%loops with Post, the
// cross-thread entry point; each loop counts its own share, and the loop
// that completes the last share signals the caller.
func (r *cbRuntime) Inject(producers, n int) (uint64, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	if producers <= 0 {
		producers = 1
	}
	if n <= 0 {
		return 0, nil
	}
	shares := make([]injectShare, len(r.loops))
	for p := range producers {
		if p < n {
			shares[p%len(r.loops)].want += uint64((n - p + producers - 1) / producers)
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
		l, sh := r.loops[p%len(r.loops)], &shares[p%len(r.loops)]
		for i := p; i < n; i += producers {
			err := l.Post(func() {
				sh.sum += uint64(i + 1)
				sh.got++
				if sh.got == sh.want && remaining.Add(-1) == 0 {
					r.finish()
				}
			})
			if err != nil {
				failed.Store(true)
				return
			}
		}
	})
	if failed.Load() {
		return 0, iostrat.ErrClosed
	}
	if err := r.await(); err != nil {
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
func (r *cbRuntime) Yield(tasks, yields int) (uint64, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	if tasks <= 0 {
		return 0, nil
	}
	shares := make([]yieldShare, len(r.loops))
	for t := range tasks {
		shares[t%len(r.loops)].tasks++
	}
	var remaining atomic.Int32
	for j, l := range r.loops {
		sh := &shares[j]
		if sh.tasks == 0 {
			continue
		}
		remaining.Add(1)
		finish := func() {
			if remaining.Add(-1) == 0 {
				r.finish()
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
			return 0, err
		}
	}
	if err := r.await(); err != nil {
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
func (r *cbRuntime) PingPong(rounds int, mode iostrat.PingPongMode) (int, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	if rounds <= 0 {
		return 0, nil
	}
	switch mode {
	case iostrat.SameThread, iostrat.Hog:
		return r.pingPongLocal(rounds, mode == iostrat.Hog)
	case iostrat.CrossThread:
		return r.pingPongCross(rounds)
	}
	return 0, iostrat.Unsupported("ping-pong mode %v", mode)
}

func (r *cbRuntime) pingPongLocal(rounds int, hog bool) (int, error) {
	l := r.loops[0]
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
			r.finish()
		}
	}
	// burn is the CPU-bound third callback: a chunk of work, then a yield
	// behind whatever else is ready.
	burn = func() {
		st.sink += iostrat.Burn(iostrat.HogChunk)
		if st.over {
			r.finish()
			return
		}
		l.PostLocal(burn)
	}
	err := r.run(l, func() {
		if hog {
			l.PostLocal(burn)
		}
		ping()
	})
	return st.done, err
}

func (r *cbRuntime) pingPongCross(rounds int) (int, error) {
	a, b, err := r.crossLoops()
	if err != nil {
		return 0, err
	}
	done := 0 // touched on b only
	var ping, pong func()
	ping = func() { b.Post(pong) }
	pong = func() {
		done++
		if done == rounds {
			r.finish()
			return
		}
		a.Post(ping)
	}
	err = r.run(a, ping)
	return done, err
}

// WakeExternal: the parked task is a callback that nothing has posted; a
// plain OS thread wakes it by posting it (the eventfd write wakes the
// sleeping loop), and it passes the baton back.
func (r *cbRuntime) WakeExternal(rounds int) (int, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	l := r.loops[0]
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
				return
			}
			baton.Wait()
		}
	})
	return acked, err
}

// FanOut: waiters callbacks wait on an Event on loop 0; a notifier
// callback fires it, which posts all of them; each counts its wake and
// waits again, and the last of a round posts the notifier.
func (r *cbRuntime) FanOut(waiters, rounds int) (uint64, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	if waiters <= 0 || rounds <= 0 {
		return 0, nil
	}
	l := r.loops[0]
	st := &struct {
		wakes       uint64
		woken, done int
	}{}
	err := r.run(l, func() {
		ev := l.NewEvent()
		notify := func() { ev.Fire() }
		for range waiters {
			var waiter func()
			waiter = func() {
				st.wakes++
				ev.Wait(waiter)
				st.woken++
				if st.woken < waiters {
					return
				}
				st.woken = 0
				st.done++
				if st.done == rounds {
					r.finish()
					return
				}
				l.PostLocal(notify)
			}
			ev.Wait(waiter)
		}
		l.PostLocal(notify)
	})
	return st.wakes, err
}

// Timers arms every timer with AfterFunc from one callback on loop 0,
// cancels the selected ones with Stop, and finishes when the books
// balance. Lateness is measured from each timer's deadline on the loop's
// clock to when its callback runs.
func (r *cbRuntime) Timers(spec iostrat.TimerSpec) (iostrat.TimerResult, error) {
	if err := r.check(); err != nil {
		return iostrat.TimerResult{}, err
	}
	if err := spec.Validate(); err != nil {
		return iostrat.TimerResult{}, err
	}
	if spec.Count == 0 {
		return iostrat.TimerResult{}, nil
	}
	l := r.loops[0]
	var res iostrat.TimerResult
	timers := make([]*Timer, spec.Count)
	settled := func() {
		if res.Fired+res.Cancelled == spec.Count {
			r.finish()
		}
	}
	err := r.run(l, func() {
		l.UpdateNow() // start, taken once
		for i := range timers {
			d := spec.Delay(i)
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
// (an eventfd write, the loop being parked) and a channel send out.
func (r *cbRuntime) Handoff() error {
	if err := r.check(); err != nil {
		return err
	}
	return r.run(r.loops[0], r.finish)
}
