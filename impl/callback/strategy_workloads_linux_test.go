package callback

import (
	"testing"
	"time"

	"iostrat"
)

// TestCrossThreadWithOneLoop: with Options.Loops 1, CrossThread ping-pong
// runs between loop 0 and a spare loop on another OS thread.
func TestCrossThreadWithOneLoop(t *testing.T) {
	rt, err := Strategy{}.Start(iostrat.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if n, err := rt.PingPong(100, iostrat.CrossThread); err != nil || n != 100 {
		t.Fatalf("PingPong = %d, %v", n, err)
	}
	r := rt.(*strategyRuntime)
	if r.spare == nil || r.spare.tid == r.loops[0].tid {
		t.Fatal("cross-thread ping-pong did not use a second thread")
	}
	// Every round crosses threads twice, through Post.
	st := rt.Stats()
	if cb, _ := st.Get(iostrat.CallbacksRun); cb < 200 {
		t.Fatalf("%d callbacks for 100 cross-thread rounds", cb)
	}
}

// TestWorkSpreadOverLoops: with two loops, Inject (even from one
// producer), Yield and FanOut run callbacks on both, and each call's
// callbacks are in Stats when it returns; with one loop everything runs
// on loop 0 and no spare loop is started.
func TestWorkSpreadOverLoops(t *testing.T) {
	workloads := []struct {
		name  string
		units uint64
		run   func(rt iostrat.Runtime) error
	}{
		{"inject", 1000, func(rt iostrat.Runtime) error {
			sum, err := rt.Inject(1, 1000)
			if err == nil && sum != 1000*1001/2 {
				t.Errorf("Inject(1, 1000) = %d", sum)
			}
			return err
		}},
		{"yield", 11 * 20, func(rt iostrat.Runtime) error {
			n, err := rt.Yield(11, 20)
			if err == nil && n != 11*20 {
				t.Errorf("Yield(11, 20) = %d", n)
			}
			return err
		}},
		{"fanout", 7 * 30, func(rt iostrat.Runtime) error {
			n, err := rt.FanOut(7, 30)
			if err == nil && n != 7*30 {
				t.Errorf("FanOut(7, 30) = %d", n)
			}
			return err
		}},
	}
	for _, loops := range []int{1, 2} {
		rt, err := Strategy{}.Start(iostrat.Options{Loops: loops})
		if err != nil {
			t.Fatal(err)
		}
		r := rt.(*strategyRuntime)
		for _, w := range workloads {
			before := make([]Counters, loops)
			for i, l := range r.loops {
				before[i] = l.Stats()
			}
			if err := w.run(rt); err != nil {
				t.Fatalf("loops=%d %s: %v", loops, w.name, err)
			}
			var total uint64
			for i, l := range r.loops {
				cb := l.Stats().Sub(before[i]).Callbacks
				total += cb
				if cb < w.units/uint64(2*loops) {
					t.Errorf("loops=%d %s: loop %d ran %d callbacks of %d units", loops, w.name, i, cb, w.units)
				}
			}
			if total < w.units {
				t.Errorf("loops=%d %s: %d callbacks counted for %d units", loops, w.name, total, w.units)
			}
		}
		if r.spare != nil {
			t.Errorf("loops=%d: a spare loop was started", loops)
		}
		rt.Close()
	}
}

// TestHandoffAllocatesNothing: the hand-off into a parked loop and back
// allocates nothing of its own. Parked on a thread the whole call is
// free; on the netpoller the wait itself (internal/netpark) may allocate,
// and that is not this package's.
func TestHandoffAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful with -race")
	}
	rt, err := Strategy{}.Start(iostrat.Options{Loops: 1, Park: iostrat.ParkThread})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if allocs := testing.AllocsPerRun(200, func() { rt.Handoff() }); allocs > 0 {
		t.Fatalf("Handoff allocates %v objects per call", allocs)
	}
}

// TestTimersDeadlineFromEachArming makes arming slow with OnArm and checks
// that each timer's deadline counts from its own arming: OnArm is called
// in order, on the loop, and no lateness is larger than a deadline taken
// at or after OnArm allows (a timer fired before Timers returned, so
// lateness <= end - (arm + delay) when deadline >= arm + delay).
func TestTimersDeadlineFromEachArming(t *testing.T) {
	rt, err := Strategy{}.Start(iostrat.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	l := rt.(*strategyRuntime).loops[0]
	const n = 10
	var armed []time.Time // appended on the loop, read after Timers returns
	late := make([]time.Duration, n)
	spec := iostrat.TimerSpec{Count: n, Horizon: 10 * time.Millisecond, Lateness: late}
	spec.OnArm = func(i int) {
		if i != len(armed) {
			t.Errorf("OnArm(%d) called after %d arms", i, len(armed))
		}
		if !l.onLoopThread() {
			t.Error("OnArm called off the arming loop")
		}
		time.Sleep(2 * time.Millisecond) // slow arming
		armed = append(armed, time.Now())
	}
	res, err := rt.Timers(spec)
	end := time.Now()
	if err != nil || res.Fired != n {
		t.Fatalf("Timers = %+v, %v", res, err)
	}
	if len(armed) != n {
		t.Fatalf("OnArm called %d times for %d timers", len(armed), n)
	}
	for i := range n {
		if bound := end.Sub(armed[i]) - spec.Delay(i); late[i] > bound {
			t.Errorf("timer %d: lateness %v > %v: its deadline was taken before it was armed", i, late[i], bound)
		}
		if late[i] <= 0 {
			t.Errorf("timer %d: lateness %v", i, late[i])
		}
	}
}
