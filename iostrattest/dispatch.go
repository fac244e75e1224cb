package iostrattest

import (
	"fmt"

	"iostrat"
)

func dispatchChecks() []Check {
	return []Check{
		{"spawn", checkSpawn},
		{"chain", checkChain},
		{"inject", checkInject},
		{"yield", checkYield},
	}
}

// indexSum is 1+2+…+n: the result of running tasks 0..n-1 exactly once,
// each adding its index plus one (so even task 0 is seen).
func indexSum(n int) uint64 { return uint64(n) * uint64(n+1) / 2 }

func checkSpawn(s iostrat.Strategy) error {
	return withRuntime(s, iostrat.Options{}, func(rt iostrat.Runtime) error {
		for _, n := range []int{0, 1, 2, 1000, 10000} {
			var sum uint64
			d, err := deltaOf(rt, func() error {
				return within(fmt.Sprintf("Spawn(%d)", n), func() (err error) {
					sum, err = rt.Spawn(n)
					return err
				})
			})
			if err != nil {
				return err
			}
			if want := indexSum(n); sum != want {
				return fmt.Errorf("Spawn(%d) = %d, want %d: a task ran twice or not at all", n, sum, want)
			}
			if err := movedAtLeast(d, uint64(n), fmt.Sprintf("Spawn(%d)", n), runCounters...); err != nil {
				return err
			}
		}
		// Repeated calls on one runtime: pooled tasks must come back clean.
		for i := range 20 {
			sum, err := rt.Spawn(500)
			if err != nil {
				return err
			}
			if sum != indexSum(500) {
				return fmt.Errorf("Spawn(500), call %d = %d, want %d", i, sum, indexSum(500))
			}
		}
		return nil
	})
}

func checkChain(s iostrat.Strategy) error {
	return withRuntime(s, iostrat.Options{}, func(rt iostrat.Runtime) error {
		for _, depth := range []int{1, 2, 1000} {
			var ran int
			d, err := deltaOf(rt, func() error {
				return within(fmt.Sprintf("Chain(%d)", depth), func() (err error) {
					ran, err = rt.Chain(depth)
					return err
				})
			})
			if err != nil {
				return err
			}
			if ran != depth {
				return fmt.Errorf("Chain(%d) ran %d tasks", depth, ran)
			}
			if err := movedAtLeast(d, uint64(depth), fmt.Sprintf("Chain(%d)", depth), runCounters...); err != nil {
				return err
			}
		}
		return nil
	})
}

func checkInject(s iostrat.Strategy) error {
	return withRuntime(s, iostrat.Options{}, func(rt iostrat.Runtime) error {
		for _, p := range []int{1, 2, 4, 8} {
			for _, n := range []int{1, 12800} {
				var sum uint64
				what := fmt.Sprintf("Inject(%d producers, %d tasks)", p, n)
				d, err := deltaOf(rt, func() error {
					return within(what, func() (err error) {
						sum, err = rt.Inject(p, n)
						return err
					})
				})
				if err != nil {
					return err
				}
				if want := indexSum(n); sum != want {
					return fmt.Errorf("%s = %d, want %d: a task was lost or ran twice", what, sum, want)
				}
				if err := movedAtLeast(d, uint64(n), what, runCounters...); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func checkYield(s iostrat.Strategy) error {
	return withRuntime(s, iostrat.Options{}, func(rt iostrat.Runtime) error {
		for _, c := range []struct{ tasks, yields int }{{1, 1}, {1, 100}, {200, 100}} {
			var total uint64
			what := fmt.Sprintf("Yield(%d tasks, %d yields)", c.tasks, c.yields)
			err := within(what, func() (err error) {
				total, err = rt.Yield(c.tasks, c.yields)
				return err
			})
			if err != nil {
				return err
			}
			if want := uint64(c.tasks * c.yields); total != want {
				return fmt.Errorf("%s = %d, want %d", what, total, want)
			}
		}
		return nil
	})
}
