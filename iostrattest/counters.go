package iostrattest

import (
	"fmt"
	"time"

	"iostrat"
)

func counterChecks() []Check {
	return []Check{
		{"handoff", checkHandoff},
		{"counters-published", checkCountersPublished},
		{"park-thread", checkParkThread},
	}
}

// checkHandoff calls the empty workload: each call must run one unit of
// work inside the runtime, and say so in its counters.
func checkHandoff(s iostrat.Strategy) error {
	return withRuntime(s, iostrat.Options{}, func(rt iostrat.Runtime) error {
		for i := range 200 {
			what := fmt.Sprintf("Handoff, call %d", i)
			d, err := deltaOf(rt, func() error { return within(what, rt.Handoff) })
			if err != nil {
				return err
			}
			if err := movedAtLeast(d, 1, what, runCounters...); err != nil {
				return err
			}
		}
		return nil
	})
}

// publishRepeats is how many times checkCountersPublished repeats each
// call. A counter published a moment after its call returns (by a loop
// that stores its counts at the end of its turn, after the caller was
// released) shows up as a short count in some repetitions only: the race
// detector's scheduling makes that window wide enough to hit.
const publishRepeats = 40

// checkCountersPublished repeats small workload calls and reads Stats as
// soon as each returns: the work each did must already be counted. It
// runs on one loop and on two, where a call's work is spread over loops
// that must each publish before the caller is released.
func checkCountersPublished(s iostrat.Strategy) error {
	for _, loops := range []int{1, 2} {
		err := withRuntime(s, iostrat.Options{Loops: loops}, func(rt iostrat.Runtime) error {
			calls := []struct {
				what    string
				units   uint64
				counted []iostrat.Counter
				call    func() error
			}{
				{"Spawn(64)", 64, runCounters, func() error { _, err := rt.Spawn(64); return err }},
				{"Chain(64)", 64, runCounters, func() error { _, err := rt.Chain(64); return err }},
				{"Inject(2, 640)", 640, runCounters, func() error { _, err := rt.Inject(2, 640); return err }},
				{"PingPong(64, same)", 128, wakeCounters, func() error { _, err := rt.PingPong(64, iostrat.SameThread); return err }},
				{"WakeExternal(16)", 16, wakeCounters, func() error { _, err := rt.WakeExternal(16); return err }},
				{"FanOut(8, 4)", 32, wakeCounters, func() error { _, err := rt.FanOut(8, 4); return err }},
			}
			for _, c := range calls {
				for i := range publishRepeats {
					what := fmt.Sprintf("%s on %d loops, call %d", c.what, loops, i)
					d, err := deltaOf(rt, func() error { return within(what, c.call) })
					if err != nil {
						return err
					}
					if err := movedAtLeast(d, c.units, what, c.counted...); err != nil {
						return fmt.Errorf("%w: counted after the call returned, or not at all", err)
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// checkParkThread runs the dispatch and wake workloads with idle loops
// parked in the kernel (iostrat.ParkThread) rather than on the netpoller:
// both modes must deliver every wake. Strategies without a loop ignore the
// option and run as usual.
func checkParkThread(s iostrat.Strategy) error {
	return withRuntime(s, iostrat.Options{Park: iostrat.ParkThread}, func(rt iostrat.Runtime) error {
		for i := range 50 {
			if err := within(fmt.Sprintf("Handoff %d with park=thread", i), rt.Handoff); err != nil {
				return err
			}
		}
		var sum uint64
		var n int
		var res iostrat.TimerResult
		steps := []struct {
			what string
			run  func() error
			ok   func() bool
		}{
			{"Spawn(1000)", func() (err error) { sum, err = rt.Spawn(1000); return err }, func() bool { return sum == indexSum(1000) }},
			{"Chain(1000)", func() (err error) { n, err = rt.Chain(1000); return err }, func() bool { return n == 1000 }},
			{"WakeExternal(200)", func() (err error) { n, err = rt.WakeExternal(200); return err }, func() bool { return n == 200 }},
			{"Timers(100 over 20ms)", func() (err error) {
				res, err = rt.Timers(iostrat.TimerSpec{Count: 100, Horizon: 20 * time.Millisecond})
				return err
			}, func() bool { return res.Fired == 100 }},
		}
		for _, st := range steps {
			if err := within(st.what+" with park=thread", st.run); err != nil {
				return err
			}
			if !st.ok() {
				return fmt.Errorf("%s with park=thread: wrong result (sum %d, n %d, timers %+v)", st.what, sum, n, res)
			}
		}
		if err := pingPongModes(rt); err != nil {
			return fmt.Errorf("park=thread: %w", err)
		}
		return nil
	})
}
