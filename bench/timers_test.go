package bench

import (
	"fmt"
	"testing"
	"time"

	"iostrat"
	"iostrat/internal/loadgen"
)

// Timer workloads.
const (
	armCancelTimers = 10_000  // timers armed then cancelled per call (Go's timer benchmarks' scale)
	fireTimers      = 100_000 // libuv million_timers, scaled to a 2-core machine
	fireHorizon     = 100 * time.Millisecond
	maxLateSamples  = 1 << 21 // lateness samples kept across calls; later calls are measured but not sampled
)

// BenchmarkTimers has two operations. arm-cancel arms timers an hour out
// and cancels them all: the timer structure's insert and delete cost.
// fire arms timers spread over a short horizon and lets them fire: the
// cost of the timer wake path, and lateness (fire time minus deadline),
// reported as nearest-rank percentiles (montanaflynn/stats
// PercentileNearestRank) over every sampled timer.
func BenchmarkTimers(b *testing.B) {
	armN := size(armCancelTimers, 1_000)
	fireN, horizon := size(fireTimers, 10_000), fireHorizon
	if testing.Short() {
		horizon = 20 * time.Millisecond
	}
	forEachStrategy(b, func(b *testing.B, s iostrat.Strategy) {
		b.Run(fmt.Sprintf("op=arm-cancel/timers=%d", armN), func(b *testing.B) {
			withRuntime(b, s, func(rt iostrat.Runtime) {
				// The first deadline is an hour out, so no timer can fire
				// before the cancels however slow arming is.
				spec := iostrat.TimerSpec{Count: armN, Horizon: time.Duration(armN) * time.Hour, CancelEvery: 1}
				measure(b, rt, unitTimer, armN, func() error {
					res, err := rt.Timers(spec)
					if err == nil && res.Cancelled != armN {
						err = fmt.Errorf("Timers(cancel all) = %+v", res)
					}
					return err
				})
			})
		})
		b.Run(fmt.Sprintf("op=fire/timers=%d/horizon=%v", fireN, horizon), func(b *testing.B) {
			withRuntime(b, s, func(rt iostrat.Runtime) {
				late := make([]time.Duration, fireN)
				samples := make([]time.Duration, 0, maxLateSamples)
				spec := iostrat.TimerSpec{Count: fireN, Horizon: horizon, Lateness: late}
				warm := true // measure's first call warms up; its samples are not kept
				measure(b, rt, unitTimer, fireN, func() error {
					res, err := rt.Timers(spec)
					if err == nil && res.Fired != fireN {
						err = fmt.Errorf("Timers(fire all) = %+v", res)
					}
					if warm {
						warm = false
						return err
					}
					if n := min(len(late), cap(samples)-len(samples)); n > 0 {
						samples = append(samples, late[:n]...)
					}
					return err
				})
				reportPercentiles(b, samples)
			})
		})
	})
}

// reportPercentiles reports p50, p99, p99.9 and max of samples in ns.
func reportPercentiles(b *testing.B, samples []time.Duration) {
	if len(samples) == 0 {
		return
	}
	ps, err := loadgen.Percentiles(samples, 50, 99, 99.9, 100)
	if err != nil {
		b.Fatal(err)
	}
	for i, unit := range []string{unitP50, unitP99, unitP999, unitMax} {
		b.ReportMetric(float64(ps[i].Nanoseconds()), unit)
	}
}
