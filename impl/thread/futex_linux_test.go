package thread_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"iostrat/impl/thread"
)

// watchdog bounds every wait in these tests: it only turns a hang into a
// failure and is never a performance claim.
const watchdog = 30 * time.Second

// finishes fails the test if f does not return within the watchdog.
func finishes(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(watchdog):
		t.Fatalf("%s did not return within %v (a lost wake-up)", what, watchdog)
	}
}

// A Post before the Wait leaves a permit: the Wait takes it without
// blocking in the kernel.
func TestSemaPostBeforeWait(t *testing.T) {
	var c thread.Counters
	s := &thread.Sema{Counters: &c}
	s.Post()
	s.Post()
	finishes(t, "Wait after two Posts", func() { s.Wait(); s.Wait() })
	if n := c.FutexWaits.Load(); n != 0 {
		t.Errorf("FutexWaits = %d, want 0: a permit was there", n)
	}
	if n := c.FutexWakes.Load(); n != 0 {
		t.Errorf("FutexWakes = %d, want 0: nobody was waiting", n)
	}
}

// Many threads blocked on one Sema are each released by one Post.
func TestSemaManyWaiters(t *testing.T) {
	defer goleak.VerifyNone(t)
	const waiters = 32
	var c thread.Counters
	s := &thread.Sema{Counters: &c}
	g := thread.Group{Counters: &c}
	var woke atomic.Int64
	for range waiters {
		if err := g.Go(func() { s.Wait(); woke.Add(1) }); err != nil {
			t.Fatal(err)
		}
	}
	for range waiters {
		s.Post()
	}
	finishes(t, "Group.Wait", g.Wait)
	if n := woke.Load(); n != waiters {
		t.Errorf("%d waiters returned, want %d", n, waiters)
	}
	if n := c.Threads.Load(); n != waiters {
		t.Errorf("Threads = %d, want %d", n, waiters)
	}
}

// A long ping-pong between two threads loses no wake: every round is a
// Post racing its partner's way into FUTEX_WAIT.
func TestSemaNoLostWake(t *testing.T) {
	const rounds = 20_000
	var c thread.Counters
	ping, pong := &thread.Sema{Counters: &c}, &thread.Sema{Counters: &c}
	g := thread.Group{Counters: &c}
	g.Go(func() {
		for range rounds {
			ping.Wait()
			pong.Post()
		}
	})
	g.Go(func() {
		for range rounds {
			ping.Post()
			pong.Wait()
		}
	})
	finishes(t, "ping-pong", g.Wait)
	if c.FutexWaits.Load() == 0 {
		t.Error("no FUTEX_WAIT in 20,000 rounds: the threads never blocked")
	}
}

// One Fire wakes every waiter of a Broadcast, round after round.
func TestBroadcastWakesAll(t *testing.T) {
	const waiters, rounds = 16, 50
	var c thread.Counters
	ev := &thread.Broadcast{Counters: &c}
	acks := &thread.Latch{Counters: &c}
	g := thread.Group{Counters: &c}
	var wakes atomic.Int64
	for range waiters {
		g.Go(func() {
			var seen uint32
			for range rounds {
				seen = ev.Wait(seen)
				wakes.Add(1)
				acks.Done()
			}
		})
	}
	finishes(t, "fan-out", func() {
		for range rounds {
			acks.Add(waiters)
			ev.Fire()
			acks.Wait()
		}
		g.Wait()
	})
	if n := wakes.Load(); n != waiters*rounds {
		t.Errorf("wakes = %d, want %d", n, waiters*rounds)
	}
	if got := ev.Generation(); got != rounds {
		t.Errorf("Generation = %d, want %d", got, rounds)
	}
}

func TestLatchWaitFor(t *testing.T) {
	var l thread.Latch
	if !l.WaitFor(0) {
		t.Error("WaitFor on a zero latch = false")
	}
	l.Add(1)
	start := time.Now()
	if l.WaitFor(20 * time.Millisecond) {
		t.Error("WaitFor returned true with the count at 1")
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("WaitFor(20ms) gave up after %v", d)
	}
	g := thread.Group{}
	g.Go(func() { time.Sleep(10 * time.Millisecond); l.Done() })
	if !l.WaitFor(watchdog) {
		t.Error("WaitFor missed the Done")
	}
	g.Wait()
}

func TestTimerFiresAndStops(t *testing.T) {
	var c thread.Counters
	g := thread.Group{Counters: &c}
	var late atomic.Int64
	var ran atomic.Int64
	start := time.Now()
	fire, err := g.AfterFunc(20*time.Millisecond, func(l time.Duration) { late.Store(int64(l)); ran.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	stop, err := g.AfterFunc(time.Hour, func(time.Duration) { ran.Add(100) })
	if err != nil {
		t.Fatal(err)
	}
	if !stop.Stop() {
		t.Error("Stop of an hour-long timer = false")
	}
	if stop.Stop() {
		t.Error("second Stop = true")
	}
	finishes(t, "timers", g.Wait)
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("the 20 ms timer fired after %v", d)
	}
	if ran.Load() != 1 {
		t.Errorf("timer functions ran %d (1 = only the unstopped one)", ran.Load())
	}
	if late.Load() < 0 {
		t.Errorf("lateness %v < 0", time.Duration(late.Load()))
	}
	if fire.Stop() {
		t.Error("Stop after firing = true")
	}
}

func TestLimitError(t *testing.T) {
	l, err := thread.ProcessLimits()
	if err != nil {
		t.Fatal(err)
	}
	if l.Cap <= 0 || l.GoMaxThreads < l.Cap {
		t.Fatalf("limits %+v: no cap, or a Go thread limit below it", l)
	}
	err = thread.CheckRoom(l.Cap + 1)
	if !errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, thread.ErrThreadLimit) {
		t.Fatalf("CheckRoom(cap+1) = %v, want a LimitError", err)
	}
	t.Log(err)
	if err := thread.CheckRoom(1); err != nil {
		t.Errorf("CheckRoom(1) = %v", err)
	}
}
