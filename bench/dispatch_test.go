package bench

import (
	"fmt"
	"strconv"
	"testing"

	"iostrat"
	"iostrat/anchors/gofloor"
)

// Dispatch workloads: what it costs to start a unit of work and run it.
const (
	spawnTasks  = 10_000 // tokio benches/rt_current_thread.rs spawn_many; Go CreateGoroutines
	chainDepth  = 10_000 // tokio chained_spawn runs 1,000; see the note on call size below
	injectTotal = 12_800 // tokio remote_spawn pushes 12,800 tasks from outside threads
	yieldTasks  = 200    // tokio yield_many: 200 tasks ...
	yieldEach   = 1_000  // ... each yielding 1,000 times
)

var injectProducers = []int{1, 2, 4, 8} // libuv async_pummel uses 1, 2, 4, 8 threads

// Call size. Every workload call pays one hand-off into the runtime and
// back (BenchmarkHandoff: about 12 µs for a loop strategy parked on the
// netpoller at cpus=1, two switches between locked threads). A call must
// do enough work that this is a few percent of its time, or the per-unit
// figure measures the harness rather than the model: so Chain runs 10,000
// links where tokio's chained_spawn runs 1,000 (a link costs 45 ns on a
// loop, and 1,000 of them would be a quarter hand-off), and the wake
// workloads size their calls the same way (wake_test.go).

// indexSum is what Spawn and Inject return when tasks 0..n-1 each ran once.
func indexSum(n int) uint64 { return uint64(n) * uint64(n+1) / 2 }

func BenchmarkSpawn(b *testing.B) {
	n := size(spawnTasks, 1_000)
	forEachStrategy(b, func(b *testing.B, s iostrat.Strategy) {
		b.Run("tasks="+strconv.Itoa(n), func(b *testing.B) {
			withRuntime(b, s, func(rt iostrat.Runtime) {
				measure(b, rt, unitTask, n, func() error {
					sum, err := rt.Spawn(n)
					if err == nil && sum != indexSum(n) {
						err = fmt.Errorf("Spawn(%d) = %d, want %d", n, sum, indexSum(n))
					}
					return err
				})
			})
		})
	})
	floorLeaves(b, floor{"tasks=" + strconv.Itoa(n), unitTask, n, func() error {
		return check(fmt.Sprintf("Spawn(%d)", n), gofloor.Spawn(n), indexSum(n))
	}})
}

func BenchmarkChain(b *testing.B) {
	depth := size(chainDepth, 1_000)
	forEachStrategy(b, func(b *testing.B, s iostrat.Strategy) {
		b.Run("depth="+strconv.Itoa(depth), func(b *testing.B) {
			withRuntime(b, s, func(rt iostrat.Runtime) {
				measure(b, rt, unitTask, depth, func() error {
					ran, err := rt.Chain(depth)
					if err == nil && ran != depth {
						err = fmt.Errorf("Chain(%d) ran %d", depth, ran)
					}
					return err
				})
			})
		})
	})
	floorLeaves(b, floor{"depth=" + strconv.Itoa(depth), unitTask, depth, func() error {
		return check(fmt.Sprintf("Chain(%d)", depth), gofloor.Chain(depth), depth)
	}})
}

func BenchmarkInject(b *testing.B) {
	n := size(injectTotal, 1_280)
	forEachStrategy(b, func(b *testing.B, s iostrat.Strategy) {
		for _, p := range injectProducers {
			b.Run(fmt.Sprintf("producers=%d/tasks=%d", p, n), func(b *testing.B) {
				withRuntime(b, s, func(rt iostrat.Runtime) {
					measure(b, rt, unitTask, n, func() error {
						sum, err := rt.Inject(p, n)
						if err == nil && sum != indexSum(n) {
							err = fmt.Errorf("Inject(%d, %d) = %d, want %d", p, n, sum, indexSum(n))
						}
						return err
					})
				})
			})
		}
	})
}

func BenchmarkYield(b *testing.B) {
	tasks, each := yieldTasks, size(yieldEach, 100)
	forEachStrategy(b, func(b *testing.B, s iostrat.Strategy) {
		b.Run(fmt.Sprintf("tasks=%d/yields=%d", tasks, each), func(b *testing.B) {
			withRuntime(b, s, func(rt iostrat.Runtime) {
				measure(b, rt, unitYield, tasks*each, func() error {
					total, err := rt.Yield(tasks, each)
					if err == nil && total != uint64(tasks*each) {
						err = fmt.Errorf("Yield(%d, %d) = %d", tasks, each, total)
					}
					return err
				})
			})
		})
	})
	floorLeaves(b, floor{fmt.Sprintf("tasks=%d/yields=%d", tasks, each), unitYield, tasks * each, func() error {
		return check(fmt.Sprintf("Yield(%d, %d)", tasks, each), gofloor.Yield(tasks, each), uint64(tasks*each))
	}})
}

// BenchmarkHandoff is the call boundary every other workload call pays
// once: an empty unit of work handed into a parked runtime, and the signal
// back out. park=thread shows what it costs when an idle loop blocks its
// thread in the kernel instead of giving its P back (see iostrat.Park);
// goroutine has no loop and skips it.
func BenchmarkHandoff(b *testing.B) {
	forEachStrategy(b, func(b *testing.B, s iostrat.Strategy) {
		for _, park := range []iostrat.Park{iostrat.ParkNetpoll, iostrat.ParkThread} {
			b.Run("park="+park.String(), func(b *testing.B) {
				o := defaultOptions()
				o.Park = park
				withRuntimeOptions(b, s, o, func(rt iostrat.Runtime) {
					if got := rt.Info().Knob("park"); park == iostrat.ParkThread && got != park.String() {
						b.Skipf("%s does not park a thread: park=%s", s.Name(), got)
					}
					measure(b, rt, unitCall, 1, rt.Handoff)
				})
			})
		}
	})
}

// BenchmarkHarness is the baseline: the same measurement loop around a call
// that does nothing, per call. Every other figure includes this overhead
// once per call (not per unit).
func BenchmarkHarness(b *testing.B) {
	b.Run("impl=none", func(b *testing.B) {
		applyBudget(b)
		var calls int
		measure(b, nil, unitCall, 1, func() error {
			calls++
			return nil
		})
	})
}
