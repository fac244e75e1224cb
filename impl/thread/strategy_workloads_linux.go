package thread

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"iostrat"
)

// Every workload runs its tasks on threads of a [Group] and makes every
// wait inside the model a futex wait ([Sema], [Broadcast], [Latch]). The
// caller is a goroutine outside the model: it enters through a root
// thread (see run) and waits for it on a channel. Each call adds a closed
// check and a few counter updates; the counters of the futex calls and
// threads are the library's own.

// run runs body on a root thread and waits for it to return. The caller's
// wait is a channel receive, not a futex wait: the caller is outside the
// model, and a goroutine blocked in a system call keeps its P until
// sysmon takes it back (up to 10 ms), so with GOMAXPROCS=1 the root thread
// could not start until then. Inside body every wait is a futex.
func (rt *strategyRuntime) run(body func()) error {
	done := make(chan struct{})
	root := Group{Counters: &rt.count}
	if err := root.Go(func() { body(); close(done) }); err != nil {
		return err
	}
	<-done
	return nil
}

// room refuses, up front, a call that would need more threads at once
// than the cap allows: an error wrapping errors.ErrUnsupported that says
// why, so the call reads n/a.
func room(what string, threads int) error {
	if err := CheckRoom(threads); err != nil {
		return fmt.Errorf("thread: %s needs up to %d threads at once: %w", what, threads, err)
	}
	return nil
}

// Spawn starts a spawner thread that starts n threads and joins them.
func (rt *strategyRuntime) Spawn(n int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if err := room(fmt.Sprintf("Spawn(%d)", n), n+1); err != nil {
		return 0, err
	}
	var sum atomic.Uint64
	var spawnErr error
	err := rt.run(func() { // the spawner
		g := Group{Counters: &rt.count}
		for i := range n {
			if spawnErr = g.Go(func() { sum.Add(uint64(i + 1)) }); spawnErr != nil {
				break
			}
		}
		g.Wait()
	})
	if err != nil {
		return 0, err
	}
	return sum.Load(), spawnErr
}

// Chain starts a thread that starts the next, depth deep; only the last
// thread's end brings the join to zero and wakes the root thread, which
// returns to the caller.
func (rt *strategyRuntime) Chain(depth int) (int, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if depth <= 0 {
		return 0, nil
	}
	var ran atomic.Int64
	var chainErr atomic.Pointer[error]
	g := Group{Counters: &rt.count}
	var step func(k int)
	step = func(k int) {
		ran.Add(1)
		if k == depth {
			return
		}
		if err := g.Go(func() { step(k + 1) }); err != nil {
			chainErr.Store(&err)
		}
	}
	err := rt.run(func() {
		if err := g.Go(func() { step(1) }); err != nil {
			chainErr.Store(&err)
		}
		g.Wait()
	})
	if err != nil {
		return 0, err
	}
	if p := chainErr.Load(); p != nil {
		return int(ran.Load()), *p
	}
	return int(ran.Load()), nil
}

// Inject has outside OS threads start the task threads: starting a thread
// from any thread is the model's only way in.
func (rt *strategyRuntime) Inject(producers, n int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if producers <= 0 {
		producers = 1
	}
	if err := room(fmt.Sprintf("Inject(%d, %d)", producers, n), n); err != nil {
		return 0, err
	}
	var sum atomic.Uint64
	var injectErr atomic.Pointer[error]
	g := Group{Counters: &rt.count}
	iostrat.OnThreads(producers, func(p int) {
		for i := p; i < n; i += producers {
			if err := g.Go(func() { sum.Add(uint64(i + 1)) }); err != nil {
				injectErr.Store(&err)
				return
			}
		}
	})
	if err := rt.run(g.Wait); err != nil {
		return 0, err
	}
	if p := injectErr.Load(); p != nil {
		return sum.Load(), *p
	}
	return sum.Load(), nil
}

// Yield starts tasks threads that each call sched_yield yields times.
func (rt *strategyRuntime) Yield(tasks, yields int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if err := room(fmt.Sprintf("Yield(%d, %d)", tasks, yields), tasks); err != nil {
		return 0, err
	}
	var total atomic.Uint64
	var yieldErr error
	err := rt.run(func() {
		g := Group{Counters: &rt.count}
		for range tasks {
			yieldErr = g.Go(func() {
				returned := uint64(0)
				for range yields {
					Yield(&rt.count)
					returned++
				}
				total.Add(returned)
			})
			if yieldErr != nil {
				break
			}
		}
		g.Wait()
	})
	if err != nil {
		return 0, err
	}
	return total.Load(), yieldErr
}

// PingPong passes a permit back and forth between two threads over two
// semaphores. Every task is its own thread here, so no mode puts the two
// tasks on one thread: SameThread pins both threads to one CPU, where
// each wake is a context switch on that CPU and no wake crosses CPUs (the
// closest this model comes to one thread); Hog adds a third thread pinned
// there, burning CPU and yielding with sched_yield; CrossThread pins the
// two to two different CPUs when the process may use two, so every wake
// crosses CPUs, and leaves them to the kernel when it may not.
func (rt *strategyRuntime) PingPong(rounds int, mode iostrat.PingPongMode) (int, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if mode == iostrat.Hog && runtime.GOMAXPROCS(0) < 2 {
		// A thread runs Go code only while it holds a P. The hog never
		// blocks, so with one P the pair would run only when the Go
		// scheduler preempts the hog (every 10 ms).
		return 0, iostrat.Unsupported("ping-pong mode hog with GOMAXPROCS=1: the hog thread holds the only P and the pair runs only when the Go scheduler preempts it")
	}
	cpus, err := AllowedCPUs()
	if err != nil {
		return 0, err
	}
	pinA, pinB := -1, -1
	switch {
	case mode != iostrat.CrossThread:
		pinA, pinB = cpus[0], cpus[0]
	case len(cpus) >= 2:
		pinA, pinB = cpus[0], cpus[1]
	}
	pin := func(cpu int) {
		if cpu >= 0 {
			Pin(cpu)
		}
	}
	ping, pong := &Sema{Counters: &rt.count}, &Sema{Counters: &rt.count}
	var completed int
	var startErr error
	err = rt.run(func() {
		pair := Group{Counters: &rt.count}
		hog := Group{Counters: &rt.count}
		var stopHog atomic.Bool
		if mode == iostrat.Hog {
			if startErr = hog.Go(func() {
				pin(pinA)
				var sink uint64
				for !stopHog.Load() {
					sink += iostrat.Burn(iostrat.HogChunk)
					Yield(&rt.count)
				}
				_ = sink
			}); startErr != nil {
				return
			}
		}
		// Each side counts the wakes it delivers (a post its partner
		// waits for) and publishes them before the call can return.
		errB := pair.Go(func() { // B: answers every ping
			pin(pinB)
			sent := uint64(0)
			for range rounds {
				ping.Wait()
				pong.Post()
				sent++
			}
			rt.count.Wakes.Add(sent)
		})
		errA := pair.Go(func() { // A: starts every round and counts it
			pin(pinA)
			n := 0
			for range rounds {
				ping.Post()
				pong.Wait()
				n++
			}
			rt.count.Wakes.Add(uint64(n))
			completed = n
		})
		if errA != nil && errB == nil { // B waits for pings that never come
			for range rounds {
				ping.Post()
			}
		}
		pair.Wait()
		stopHog.Store(true)
		hog.Wait()
		startErr = firstErr(errB, errA)
	})
	if err = firstErr(err, startErr); err != nil {
		return 0, err
	}
	return completed, nil
}

// WakeExternal parks a thread on a semaphore that an outside OS thread
// posts.
func (rt *strategyRuntime) WakeExternal(rounds int) (int, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	wake := &Sema{Counters: &rt.count}
	baton := iostrat.NewBaton()
	g := Group{Counters: &rt.count}
	var acked int
	err := g.Go(func() {
		for range rounds {
			wake.Wait()
			acked++
			baton.Pass()
		}
	})
	if err != nil {
		return 0, err
	}
	iostrat.OnThreads(1, func(int) {
		for range rounds {
			wake.Post()
			baton.Wait()
		}
	})
	if err := rt.run(g.Wait); err != nil {
		return 0, err
	}
	rt.count.Wakes.Add(uint64(acked)) // counted by the woken thread, one per wake
	return acked, nil
}

// FanOut blocks waiters threads on one Broadcast word; a notifier thread
// fires it (one FUTEX_WAKE of all) and waits on a Latch for every waiter
// to acknowledge before the next round.
func (rt *strategyRuntime) FanOut(waiters, rounds int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if err := room(fmt.Sprintf("FanOut(%d, %d)", waiters, rounds), waiters+1); err != nil {
		return 0, err
	}
	ev := &Broadcast{Counters: &rt.count}
	acks := &Latch{Counters: &rt.count}
	var wakes atomic.Uint64
	var startErr error
	err := rt.run(func() { // the notifier
		g := Group{Counters: &rt.count}
		started := 0
		for range waiters {
			if startErr = g.Go(func() {
				var seen uint32
				for range rounds {
					seen = ev.Wait(seen)
					wakes.Add(1)
					acks.Done()
				}
			}); startErr != nil {
				break // the rounds still run, for the waiters started
			}
			started++
		}
		for range rounds {
			acks.Add(started)
			ev.Fire()
			acks.Wait()
		}
		g.Wait()
	})
	if err = firstErr(err, startErr); err != nil {
		return 0, err
	}
	rt.count.Wakes.Add(wakes.Load()) // counted by each waiter as it woke
	return wakes.Load(), nil
}

// Timers starts a thread per timer from an arming thread; each sleeps
// until its own deadline or its Stop.
func (rt *strategyRuntime) Timers(spec iostrat.TimerSpec) (iostrat.TimerResult, error) {
	if err := rt.life.Check(); err != nil {
		return iostrat.TimerResult{}, err
	}
	if err := spec.Validate(); err != nil {
		return iostrat.TimerResult{}, err
	}
	if err := room(fmt.Sprintf("Timers(%d)", spec.Count), spec.Count+1); err != nil {
		return iostrat.TimerResult{}, err
	}
	var (
		fired        atomic.Int64
		cancelled    int
		armErr       error
		timerThreads = Group{Counters: &rt.count}
	)
	err := rt.run(func() { // the arming thread
		timers := make([]*Timer, spec.Count)
		for i := range spec.Count {
			if spec.OnArm != nil {
				spec.OnArm(i)
			}
			timers[i], armErr = timerThreads.AfterFunc(spec.Delay(i), func(late time.Duration) {
				if spec.Lateness != nil {
					spec.Lateness[i] = late
				}
				fired.Add(1)
			})
			if armErr != nil {
				timers = timers[:i]
				break
			}
		}
		every := spec.CancelEvery
		if armErr != nil {
			every = 1 // stop what was armed
		}
		if every > 0 {
			for i := 0; i < len(timers); i += every {
				if timers[i].Stop() {
					cancelled++
				}
			}
		}
		timerThreads.Wait()
	})
	if err != nil {
		return iostrat.TimerResult{}, err
	}
	if armErr != nil {
		return iostrat.TimerResult{}, armErr
	}
	return iostrat.TimerResult{Fired: int(fired.Load()), Cancelled: cancelled}, nil
}

// Handoff starts one empty root thread and waits for it: the unit is a
// thread created and ended, the model's honest cost of entering it (there
// is no parked worker to wake).
func (rt *strategyRuntime) Handoff() error {
	if err := rt.life.Check(); err != nil {
		return err
	}
	return rt.run(func() {})
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
