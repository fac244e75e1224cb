package main

import (
	"fmt"
	"io"
	"time"

	"iostrat/internal/loadgen"
)

// keptUpShare is the share of the offered rate below which an open-loop
// run is reported as one the server (or the client) did not keep up with.
const keptUpShare = 0.95

// openLoop runs one open-loop run and prints what it measured: the
// requests, the achieved rate beside the offered one, and the latency
// percentiles from the intended send times.
func openLoop(stdout, stderr io.Writer, cfg loadgen.OpenLoopConfig) error {
	want := int(cfg.Rate*cfg.Duration.Seconds()) + cfg.Conns
	cfg.Samples = make([]time.Duration, want+want/4)
	fmt.Fprintf(stdout, "open loop: %s on %s, %d connections, %.0f req/s for %v after %v warm-up\n",
		cfg.Proto, cfg.Addr, cfg.Conns, cfg.Rate, cfg.Duration, cfg.Warmup)
	fmt.Fprintf(stderr, "running for %v…\n", cfg.Warmup+cfg.Duration)
	start := time.Now()
	res, err := loadgen.OpenLoop(cfg)
	achieved := achievedRate(res, time.Since(start), cfg)
	if err != nil && res.Sent == 0 {
		return fmt.Errorf("load: %w", err)
	}
	fmt.Fprintf(stdout, "requests   %d scheduled, %d sent, %d answered, %d errors, %d not 2xx\n",
		res.Scheduled, res.Sent, res.Completed, res.Errors, res.NotOK)
	fmt.Fprintf(stdout, "throughput %.0f req/s achieved, %.0f req/s offered\n", achieved, cfg.Rate)
	if len(res.Latencies) > 0 {
		ps, perr := loadgen.Percentiles(res.Latencies, 50, 99, 99.9, 100)
		if perr != nil {
			return fmt.Errorf("load: %w", perr)
		}
		fmt.Fprintf(stdout, "latency    p50 %v  p99 %v  p99.9 %v  max %v (from intended send times)\n",
			round3(ps[0]), round3(ps[1]), round3(ps[2]), round3(ps[3]))
	}
	if achieved < keptUpShare*cfg.Rate {
		fmt.Fprintf(stdout, "warning    answers came at %.0f%% of the offered rate: the server (or the client) did not keep up, and the latencies include the queue that built\n", 100*achieved/cfg.Rate)
	}
	if res.Behind {
		fmt.Fprintf(stdout, "warning    the client fell behind its schedule (%d late sends, up to %v late): it was overloaded or descheduled; latencies include its delay\n",
			res.LateSends, round3(res.MaxLate))
	}
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if res.NotOK > 0 {
		return fmt.Errorf("load: %d responses were not 2xx", res.NotOK)
	}
	return nil
}

// achievedRate is the measured requests answered per second of the time
// they took to be answered: from the end of the warm-up until OpenLoop
// returned, which is when the last answer arrived (or the drain gave up
// waiting for it). loadgen's Rate divides by the scheduled Duration
// instead, so a server that fell behind but answered everything during
// the drain would read as keeping up with the offered rate.
//
// elapsed is the whole OpenLoop call, so the span also holds the dial and
// the schedule's start lead: the figure errs low, by milliseconds in a
// run of seconds, never high.
func achievedRate(res loadgen.OpenLoopResult, elapsed time.Duration, cfg loadgen.OpenLoopConfig) float64 {
	span := max(elapsed-cfg.Warmup, cfg.Duration)
	return float64(res.Completed) / span.Seconds()
}

// round3 rounds d to three significant digits, so 158.548625ms prints as
// 159ms and 1.234567s as 1.23s.
func round3(d time.Duration) time.Duration {
	unit := time.Duration(1)
	for v := d.Abs(); v >= 1000; v /= 10 {
		unit *= 10
	}
	return d.Round(unit)
}
