package goroutine

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"iostrat"
)

// The workloads are plain goroutines, channels and sync, the same shape as
// the floor benchmarks in floor_test.go: each adds a closed check and one
// update of rt.count per call, nothing per task.

// Spawn starts n goroutines and joins them with a WaitGroup.
func (rt *strategyRuntime) Spawn(n int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	var sum atomic.Uint64
	var wg sync.WaitGroup
	wg.Add(n)
	started := uint64(0) // counted at each go statement, published once
	for i := range n {
		go func() {
			sum.Add(uint64(i + 1))
			wg.Done()
		}()
		started++
	}
	wg.Wait()
	rt.count.Tasks.Add(started)
	return sum.Load(), nil
}

// Chain starts a goroutine that starts the next, depth deep; the last
// reports on a channel.
func (rt *strategyRuntime) Chain(depth int) (int, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if depth <= 0 {
		return 0, nil
	}
	done := make(chan int, 1)
	var step func(k int)
	step = func(k int) {
		if k == depth {
			done <- k
			return
		}
		go step(k + 1)
	}
	go step(1)
	ran := <-done // each link counted itself: link k started k goroutines
	rt.count.Tasks.Add(uint64(ran))
	return ran, nil
}

// Inject has outside OS threads start the goroutines; `go` is Go's
// cross-thread spawn.
func (rt *strategyRuntime) Inject(producers, n int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	if producers <= 0 {
		producers = 1
	}
	var sum atomic.Uint64
	var wg sync.WaitGroup
	wg.Add(n)
	iostrat.OnThreads(producers, func(p int) {
		started := uint64(0)
		for i := p; i < n; i += producers {
			go func() {
				sum.Add(uint64(i + 1))
				wg.Done()
			}()
			started++
		}
		rt.count.Tasks.Add(started)
	})
	wg.Wait()
	return sum.Load(), nil
}

// Yield starts tasks goroutines that each call runtime.Gosched yields times.
func (rt *strategyRuntime) Yield(tasks, yields int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	var total atomic.Uint64
	var wg sync.WaitGroup
	wg.Add(tasks)
	started := uint64(0)
	for range tasks {
		go func() {
			defer wg.Done()
			returned := uint64(0)
			for range yields {
				runtime.Gosched()
				returned++
			}
			total.Add(returned)
		}()
		started++
	}
	wg.Wait()
	rt.count.Tasks.Add(started)
	return total.Load(), nil
}

// PingPong passes a token over two unbuffered channels.
func (rt *strategyRuntime) PingPong(rounds int, mode iostrat.PingPongMode) (int, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	ping, pong := make(chan struct{}), make(chan struct{})
	lock := mode == iostrat.CrossThread
	var stopHog atomic.Bool
	var hog sync.WaitGroup
	if mode == iostrat.Hog {
		hog.Add(1)
		go func() {
			defer hog.Done()
			var sink uint64
			for !stopHog.Load() {
				sink += iostrat.Burn(iostrat.HogChunk)
				runtime.Gosched()
			}
			_ = sink
		}()
	}
	// Each side counts the wakes it delivers (a send its partner was
	// waiting for) and publishes them before the call can return.
	done := make(chan int)
	var answered sync.WaitGroup
	answered.Add(1)
	go func() { // B: answers every ping
		defer answered.Done()
		if lock {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
		}
		sent := uint64(0)
		for range rounds {
			<-ping
			pong <- struct{}{}
			sent++
		}
		rt.count.Wakes.Add(sent)
	}()
	go func() { // A: starts every round and counts it
		if lock {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
		}
		completed := 0
		for range rounds {
			ping <- struct{}{}
			<-pong
			completed++
		}
		rt.count.Wakes.Add(uint64(completed))
		done <- completed
	}()
	spawned := uint64(2)
	if mode == iostrat.Hog {
		spawned++
	}
	rt.count.Tasks.Add(spawned)
	completed := <-done
	answered.Wait()
	stopHog.Store(true)
	hog.Wait()
	return completed, nil
}

// WakeExternal parks a goroutine on a channel that an outside OS thread
// sends on.
func (rt *strategyRuntime) WakeExternal(rounds int) (int, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	wake := make(chan struct{})
	baton := iostrat.NewBaton()
	acked := make(chan int, 1)
	go func() {
		n := 0
		for range rounds {
			<-wake
			n++
			baton.Pass()
		}
		acked <- n
	}()
	iostrat.OnThreads(1, func(int) {
		for range rounds {
			wake <- struct{}{}
			baton.Wait()
		}
	})
	n := <-acked // counted by the woken goroutine, one per wake
	rt.count.Tasks.Add(1)
	rt.count.Wakes.Add(uint64(n))
	return n, nil
}

// FanOut wakes waiters goroutines with sync.Cond.Broadcast, once per round.
func (rt *strategyRuntime) FanOut(waiters, rounds int) (uint64, error) {
	if err := rt.life.Check(); err != nil {
		return 0, err
	}
	var (
		mu    sync.Mutex
		cond  = sync.NewCond(&mu)
		gen   int // rounds fired so far
		acks  sync.WaitGroup
		wakes atomic.Uint64
		wg    sync.WaitGroup
	)
	wg.Add(waiters)
	rt.count.Tasks.Add(uint64(waiters)) // the go statements below
	for range waiters {
		go func() {
			defer wg.Done()
			mu.Lock()
			for seen := range rounds {
				for gen <= seen {
					cond.Wait()
				}
				wakes.Add(1)
				acks.Done()
			}
			mu.Unlock()
		}()
	}
	for range rounds {
		acks.Add(waiters)
		mu.Lock()
		gen++
		cond.Broadcast()
		mu.Unlock()
		acks.Wait()
	}
	wg.Wait()
	rt.count.Wakes.Add(wakes.Load()) // counted by each waiter as it woke
	return wakes.Load(), nil
}

// Timers arms time.AfterFunc timers and cancels with Stop.
func (rt *strategyRuntime) Timers(spec iostrat.TimerSpec) (iostrat.TimerResult, error) {
	if err := rt.life.Check(); err != nil {
		return iostrat.TimerResult{}, err
	}
	if err := spec.Validate(); err != nil {
		return iostrat.TimerResult{}, err
	}
	var (
		fired atomic.Int64
		wg    sync.WaitGroup
		res   iostrat.TimerResult
	)
	timers := make([]*time.Timer, spec.Count)
	wg.Add(spec.Count)
	for i := range spec.Count {
		if spec.OnArm != nil {
			spec.OnArm(i)
		}
		delay := spec.Delay(i)
		deadline := time.Now().Add(delay) // this timer's own arming
		timers[i] = time.AfterFunc(delay, func() {
			late := time.Since(deadline)
			if spec.Lateness != nil {
				spec.Lateness[i] = late
			}
			fired.Add(1)
			wg.Done()
		})
	}
	if spec.CancelEvery > 0 {
		for i := 0; i < spec.Count; i += spec.CancelEvery {
			if timers[i].Stop() {
				res.Cancelled++
				wg.Done()
			}
		}
	}
	wg.Wait()
	res.Fired = int(fired.Load()) // counted by each timer's function as it ran
	rt.count.Tasks.Add(uint64(res.Fired))
	return res, nil
}

// Handoff starts one goroutine and waits for it: `go` in, a channel
// receive out.
func (rt *strategyRuntime) Handoff() error {
	if err := rt.life.Check(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		rt.count.Tasks.Add(1)
		close(done)
	}()
	<-done
	return nil
}
