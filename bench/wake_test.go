package bench

import (
	"fmt"
	"strconv"
	"testing"

	"iostrat"
	"iostrat/anchors/gofloor"
)

// Wake workloads: what it costs to wake a waiting task.
const (
	pingPongRounds = 1_000 // rounds per call; tokio ping_pong does 1,000 per iteration
	// sameRounds are the rounds of a same-thread call: a round there costs
	// 25-350 ns, so 1,000 of them would be as long as one hand-off into a
	// loop (see the note on call size in dispatch_test.go).
	sameRounds   = 20_000
	wakeRounds   = 1_000  // external wakes per call; libuv async1 counts round trips
	fanOutRounds = 100    // events per call, at least
	fanOutWakes  = 20_000 // wakes per call, at least: more rounds for few waiters (call size, dispatch_test.go)
)

var fanOutWaiters = []int{1, 8, 64, 512} // tokio sync_notify and Go's Cond benchmarks span these

func BenchmarkPingPong(b *testing.B) {
	modes := []iostrat.PingPongMode{iostrat.SameThread, iostrat.CrossThread, iostrat.Hog}
	forEachStrategy(b, func(b *testing.B, s iostrat.Strategy) {
		for _, mode := range modes {
			rounds := pingPongSize(mode)
			b.Run("mode="+mode.String(), func(b *testing.B) {
				withRuntime(b, s, func(rt iostrat.Runtime) {
					measure(b, rt, unitRound, rounds, func() error {
						got, err := rt.PingPong(rounds, mode)
						if err == nil && got != rounds {
							err = fmt.Errorf("PingPong(%d, %v) = %d", rounds, mode, got)
						}
						return err
					})
				})
			})
		}
	})
	var floors []floor
	for _, mode := range modes[:2] { // Go has no loop for a hog to share
		rounds := pingPongSize(mode)
		floors = append(floors, floor{"mode=" + mode.String(), unitRound, rounds, func() error {
			return check(fmt.Sprintf("PingPong(%d, %v)", rounds, mode), gofloor.PingPong(rounds, mode == iostrat.CrossThread), rounds)
		}})
	}
	floorLeaves(b, floors...)
}

// pingPongSize is the rounds of one PingPong call in mode.
func pingPongSize(mode iostrat.PingPongMode) int {
	if mode == iostrat.SameThread {
		return size(sameRounds, 2_000)
	}
	return size(pingPongRounds, 200)
}

func BenchmarkWakeExternal(b *testing.B) {
	rounds := size(wakeRounds, 200)
	forEachStrategy(b, func(b *testing.B, s iostrat.Strategy) {
		b.Run("rounds="+strconv.Itoa(rounds), func(b *testing.B) {
			withRuntime(b, s, func(rt iostrat.Runtime) {
				measure(b, rt, unitWake, rounds, func() error {
					acked, err := rt.WakeExternal(rounds)
					if err == nil && acked != rounds {
						err = fmt.Errorf("WakeExternal(%d) = %d", rounds, acked)
					}
					return err
				})
			})
		})
	})
}

func BenchmarkFanOut(b *testing.B) {
	forEachStrategy(b, func(b *testing.B, s iostrat.Strategy) {
		for _, k := range fanOutWaiters {
			rounds := size(max(fanOutRounds, fanOutWakes/k), 20)
			b.Run("waiters="+strconv.Itoa(k), func(b *testing.B) {
				withRuntime(b, s, func(rt iostrat.Runtime) {
					measure(b, rt, unitWake, k*rounds, func() error {
						wakes, err := rt.FanOut(k, rounds)
						if err == nil && wakes != uint64(k*rounds) {
							err = fmt.Errorf("FanOut(%d, %d) = %d", k, rounds, wakes)
						}
						return err
					})
				})
			})
		}
	})
}
