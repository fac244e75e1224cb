package callback

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"iostrat/internal/timerheap"
)

// TestTimersFireInDeadlineOrder arms timers with shuffled, distinct
// deadlines, cancels a third of them, and checks the rest fire in deadline
// order, none early, and the cancelled never.
func TestTimersFireInDeadlineOrder(t *testing.T) {
	l := newLoop(t, Config{})
	const n = 600
	r := rand.New(rand.NewPCG(3, 4))
	order := r.Perm(n) // timer i is due order[i]*50µs after start
	var fired []int
	cancelled := map[int]bool{}
	done := make(chan struct{})
	want := 0
	onLoop(t, l, func(t *loopT) {
		l.UpdateNow()
		timers := make([]*Timer, n)
		for i := range n {
			d := time.Duration(order[i]+1) * 50 * time.Microsecond
			timers[i] = l.AfterFunc(d, func() {
				if early := timers[i].entry.When - timerheap.Now(); early > 0 {
					t.Errorf("timer %d ran %dns before its deadline", i, early)
				}
				fired = append(fired, i)
				if len(fired) == want {
					close(done)
				}
			})
		}
		for i := 0; i < n; i += 3 {
			if !timers[i].Stop() {
				t.Errorf("Stop of pending timer %d = false", i)
			}
			if timers[i].Stop() {
				t.Errorf("second Stop of timer %d = true", i)
			}
			cancelled[i] = true
		}
		want = n - len(cancelled)
	})
	wait(t, done, "timers")
	// Leave time for a cancelled timer to misfire before checking.
	onLoop(t, l, func(t *loopT) { l.AfterFunc(time.Duration(n+1)*50*time.Microsecond, func() {}) })
	time.Sleep(time.Duration(n+2) * 50 * time.Microsecond)
	onLoop(t, l, func(t *loopT) {
		if len(fired) != want {
			t.Fatalf("%d timers fired, want %d", len(fired), want)
		}
		for _, i := range fired {
			if cancelled[i] {
				t.Fatalf("cancelled timer %d fired", i)
			}
		}
		if !slices.IsSortedFunc(fired, func(a, b int) int { return order[a] - order[b] }) {
			t.Fatal("timers did not fire in deadline order")
		}
	})
}

// TestTimerStopAfterFire: Stop on a fired timer reports false.
func TestTimerStopAfterFire(t *testing.T) {
	l := newLoop(t, Config{})
	done := make(chan struct{})
	var tm *Timer
	onLoop(t, l, func(t *loopT) { tm = l.AfterFunc(time.Millisecond, func() { close(done) }) })
	wait(t, done, "timer")
	onLoop(t, l, func(t *loopT) {
		if tm.Stop() {
			t.Fatal("Stop after the timer fired = true")
		}
	})
}

// TestZeroTimerRearmYields: a timer that re-arms itself with d=0 runs once
// per turn, never in a loop within one turn, so posted callbacks (and I/O)
// still run between its runs.
func TestZeroTimerRearmYields(t *testing.T) {
	l := newLoop(t, Config{Batch: 16})
	const rearms = 200
	done := make(chan struct{})
	ticks, spins, lastSpins := 0, 0, -1
	stop := false
	var spin, tick func()
	spin = func() {
		spins++
		if !stop {
			l.PostLocal(spin)
		}
	}
	tick = func() {
		if spins == lastSpins {
			t.Errorf("tick %d ran with no posted callback since the last tick", ticks)
		}
		lastSpins = spins
		if ticks++; ticks == rearms {
			stop = true
			close(done)
			return
		}
		l.AfterFunc(0, tick)
	}
	onLoop(t, l, func(*loopT) {
		l.PostLocal(spin)
		l.AfterFunc(0, tick)
	})
	wait(t, done, "re-arming timer")
}

// TestTimerWakesParkedLoop: an idle loop's epoll_wait timeout is the next
// deadline; the timer fires without any other event.
func TestTimerWakesParkedLoop(t *testing.T) {
	l := newLoop(t, Config{})
	done := make(chan struct{})
	onLoop(t, l, func(t *loopT) { l.AfterFunc(20*time.Millisecond, func() { close(done) }) })
	wait(t, done, "timer on a parked loop")
	if l.Stats().Parks == 0 {
		t.Fatal("the loop never parked waiting for its timer")
	}
}
