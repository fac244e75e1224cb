package iostrattest

import (
	"fmt"

	"iostrat"
)

func wakeChecks() []Check {
	return []Check{
		{"pingpong", checkPingPong},
		{"pingpong-one-loop", checkPingPongOneLoop},
		{"wake-external", checkWakeExternal},
		{"fanout", checkFanOut},
	}
}

func checkPingPong(s iostrat.Strategy) error {
	return withRuntime(s, iostrat.Options{}, func(rt iostrat.Runtime) error {
		return pingPongModes(rt)
	})
}

// checkPingPongOneLoop runs every mode on a runtime with a single loop:
// CrossThread must still cross threads rather than fail or fake it.
func checkPingPongOneLoop(s iostrat.Strategy) error {
	return withRuntime(s, iostrat.Options{Loops: 1}, func(rt iostrat.Runtime) error {
		return pingPongModes(rt)
	})
}

func pingPongModes(rt iostrat.Runtime) error {
	for _, mode := range []iostrat.PingPongMode{iostrat.SameThread, iostrat.CrossThread, iostrat.Hog} {
		for _, rounds := range []int{1, 1000} {
			var got int
			what := fmt.Sprintf("PingPong(%d, %v)", rounds, mode)
			d, err := deltaOf(rt, func() error {
				return within(what, func() (err error) {
					got, err = rt.PingPong(rounds, mode)
					return err
				})
			})
			if err != nil {
				return err
			}
			if got != rounds {
				return fmt.Errorf("%s completed %d rounds", what, got)
			}
			if err := movedAtLeast(d, uint64(2*rounds), what, wakeCounters...); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkWakeExternal(s iostrat.Strategy) error {
	return withRuntime(s, iostrat.Options{}, func(rt iostrat.Runtime) error {
		for _, rounds := range []int{1, 2000} {
			var acked int
			what := fmt.Sprintf("WakeExternal(%d)", rounds)
			d, err := deltaOf(rt, func() error {
				return within(what, func() (err error) {
					acked, err = rt.WakeExternal(rounds)
					return err
				})
			})
			if err != nil {
				return err
			}
			if acked != rounds {
				return fmt.Errorf("%s acknowledged %d wakes", what, acked)
			}
			if err := movedAtLeast(d, uint64(rounds), what, wakeCounters...); err != nil {
				return err
			}
		}
		return nil
	})
}

func checkFanOut(s iostrat.Strategy) error {
	return withRuntime(s, iostrat.Options{}, func(rt iostrat.Runtime) error {
		for _, k := range []int{1, 8, 64, 512} {
			const rounds = 20
			var wakes uint64
			what := fmt.Sprintf("FanOut(%d waiters, %d rounds)", k, rounds)
			d, err := deltaOf(rt, func() error {
				return within(what, func() (err error) {
					wakes, err = rt.FanOut(k, rounds)
					return err
				})
			})
			if err != nil {
				return err
			}
			if want := uint64(k * rounds); wakes != want {
				return fmt.Errorf("%s = %d wakes, want %d", what, wakes, want)
			}
			if err := movedAtLeast(d, uint64(k*rounds), what, wakeCounters...); err != nil {
				return err
			}
		}
		return nil
	})
}
