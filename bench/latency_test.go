package bench

import (
	"fmt"
	"testing"
	"time"

	"iostrat"
	"iostrat/internal/loadgen"
	"iostrat/internal/proto"
)

// Open-loop latency, wrk2's method: requests leave on a fixed schedule
// whatever the server does, and each latency is measured from the request's
// intended send time, so a stalled server cannot hide its stall by slowing
// the client (no coordinated omission).
const (
	latencyConns    = 16
	latencyDuration = time.Second
	latencyWarmup   = 200 * time.Millisecond
)

var latencyRates = []int{2_000, 10_000, 30_000} // requests/s; the last loads a 2-core machine

// BenchmarkLatency reports p50, p99, p99.9 and max latency at each offered
// rate, as nearest-rank percentiles (montanaflynn/stats
// PercentileNearestRank via loadgen.Percentiles) over every request of
// every call (the first 4,194,304 of them; loadgen.Remote keeps no more),
// computed in the client process. behind-sched is the share of calls in
// which the client fell behind its own schedule: such latencies include
// the client's delay and must not be read as the server's alone.
func BenchmarkLatency(b *testing.B) {
	dur, warm, rates := latencyDuration, latencyWarmup, latencyRates
	if testing.Short() {
		dur, warm, rates = 200*time.Millisecond, 50*time.Millisecond, rates[:2]
	}
	forEachIOStrategy(b, func(b *testing.B, s iostrat.Strategy) {
		for _, rate := range rates {
			b.Run(fmt.Sprintf("proto=http/conns=%d/rate=%d", latencyConns, rate), func(b *testing.B) {
				withServer(b, s, proto.HTTP{}, func(srv server, addr string) {
					client := startClient(b)
					var behind, calls int
					req := loadgen.Request{
						Op: loadgen.OpOpenLoop, Addr: addr, Proto: "http", Conns: latencyConns, Rate: float64(rate),
						Duration: dur, Warmup: warm,
						// A generous drain: on a loaded machine the last
						// answers can lag seconds; a lost one still fails.
						Drain: 10 * time.Second,
					}
					measureIOCold(b, srv, client, unitReq, int(float64(rate)*dur.Seconds()), func() error {
						resp, err := client.Call(req)
						if err != nil {
							return err
						}
						if resp.Errors != 0 || resp.NotOK != 0 {
							return fmt.Errorf("open loop at %d req/s: %d errors, %d not-ok responses", rate, resp.Errors, resp.NotOK)
						}
						calls++
						if resp.Behind {
							behind++
						}
						return nil
					})
					ps := mustCall(b, client, loadgen.Request{Op: loadgen.OpPercentiles}).Percentiles
					for i, unit := range []string{unitP50, unitP99, unitP999, unitMax} {
						if i < len(ps) {
							b.ReportMetric(float64(ps[i].Nanoseconds()), unit)
						}
					}
					if calls > 0 {
						b.ReportMetric(float64(behind)/float64(calls), unitBehind)
					}
				})
			})
		}
	})
}
