package iocpstyle

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"iostrat"
)

// startRuntime starts s with o, skipping where io_uring is unavailable.
func startRuntime(t *testing.T, s Strategy, o iostrat.Options) *strategyRuntime {
	t.Helper()
	rt, err := s.Start(o)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skipf("io_uring unavailable here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	})
	return rt.(*strategyRuntime)
}

// TestWorkSpreadsOverLoops: with two loops, Inject (even from one
// producer), Yield and FanOut run work on both, and each loop's share is
// counted by the time the call returns; with one loop, all of it runs on
// loop 0.
func TestWorkSpreadsOverLoops(t *testing.T) {
	for _, s := range []Strategy{{Backend: Uring}, {Backend: Emulated}} {
		for _, park := range []iostrat.Park{iostrat.ParkNetpoll, iostrat.ParkThread} {
			for _, loops := range []int{1, 2} {
				t.Run(fmt.Sprintf("%s/park=%v/loops=%d", s.Name(), park, loops), func(t *testing.T) {
					rt := startRuntime(t, s, iostrat.Options{Loops: loops, Park: park})
					calls := []struct {
						name string
						call func() (uint64, error)
						want uint64
					}{
						{"Inject(1, 1000)", func() (uint64, error) { return rt.Inject(1, 1000) }, 1000 * 1001 / 2},
						{"Yield(10, 100)", func() (uint64, error) { return rt.Yield(10, 100) }, 1000},
						{"FanOut(9, 20)", func() (uint64, error) { return rt.FanOut(9, 20) }, 180},
					}
					for _, c := range calls {
						before := make([]uint64, loops)
						for i, l := range rt.loops {
							before[i] = l.load().Completed
						}
						got, err := c.call()
						if err != nil || got != c.want {
							t.Fatalf("%s = %d, %v; want %d", c.name, got, err, c.want)
						}
						for i, l := range rt.loops {
							if l.load().Completed == before[i] {
								t.Errorf("%s: loop %d of %d completed nothing by the time the call returned", c.name, i, loops)
							}
						}
					}
				})
			}
		}
	}
}

// TestTimersOnArm: OnArm is called once per timer, in order, on the loop
// that arms them. (That each deadline is taken after its own OnArm is
// checked by the conformance suite, which makes arming slow.)
func TestTimersOnArm(t *testing.T) {
	for _, s := range []Strategy{{Backend: Uring}, {Backend: Emulated}} {
		t.Run(s.Name(), func(t *testing.T) {
			rt := startRuntime(t, s, iostrat.Options{Loops: 1})
			const count = 5
			var armed []int
			spec := iostrat.TimerSpec{
				Count:   count,
				Horizon: time.Millisecond,
				OnArm:   func(i int) { armed = append(armed, i) },
			}
			res, err := rt.Timers(spec)
			if err != nil || res.Fired != count {
				t.Fatalf("Timers = %+v, %v", res, err)
			}
			if fmt.Sprint(armed) != "[0 1 2 3 4]" {
				t.Fatalf("OnArm called for %v", armed)
			}
		})
	}
}

// TestParkKnob: the park knob says how idle loops wait, as asked.
func TestParkKnob(t *testing.T) {
	for _, s := range []Strategy{{Backend: Uring}, {Backend: Emulated}} {
		for _, park := range []iostrat.Park{iostrat.ParkNetpoll, iostrat.ParkThread} {
			rt := startRuntime(t, s, iostrat.Options{Loops: 1, Park: park})
			info := rt.Info()
			if info.Knob("park") != park.String() || info.Knob("park-wake") == "" {
				t.Errorf("%s with Park %v: park=%q park-wake=%q", s.Name(), park, info.Knob("park"), info.Knob("park-wake"))
			}
			if info.Knob("read-buffer") != fmt.Sprint(iostrat.DefaultReadBuffer) {
				t.Errorf("%s: read-buffer=%q, want the shared default %d", s.Name(), info.Knob("read-buffer"), iostrat.DefaultReadBuffer)
			}
		}
	}
}
