package main

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"iostrat/internal/loadgen"
)

// loadFlags are the load command's flags.
type loadFlags struct {
	addr, proto           string
	conns, pipeline, size int
	duration, warmup      time.Duration
	rate                  float64
}

// runLoad drives any echo or HTTP/1.1 plaintext server, this project's or
// not, with the suite's own client: closed loop (each connection waits for
// its answers before sending more) or open loop at a fixed rate (requests
// leave on schedule and latency counts from the intended send time, so a
// stalling server cannot hide its stall). Every response is verified.
func runLoad(stdout, stderr io.Writer, args []string) error {
	f, err := parseLoadFlags(stdout, args)
	if err != nil || f == nil {
		return err
	}
	if err := loadgen.RaiseFDLimit(2*f.conns + 64); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if err := probe(f.addr, f.proto, min(f.duration, maxProbeTimeout)); err != nil {
		return fmt.Errorf("load: %s: %w", f.addr, err)
	}
	if f.rate > 0 {
		return openLoop(stdout, stderr, loadgen.OpenLoopConfig{
			Addr: f.addr, Proto: f.proto, Size: f.size, Conns: f.conns,
			Rate: f.rate, Duration: f.duration, Warmup: f.warmup,
		})
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stdout, "closed loop: %s on %s, %d connections", f.proto, f.addr, f.conns)
	if f.proto == "http" {
		fmt.Fprintf(stdout, ", pipeline %d, for %v\n", f.pipeline, f.duration)
		err = closedLoopHTTP(ctx, stdout, stderr, f)
	} else {
		fmt.Fprintf(stdout, ", %d-byte messages, for %v\n", f.size, f.duration)
		err = closedLoopEcho(ctx, stdout, stderr, f)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "latency    not reported in closed loop (it hides stalls: coordinated omission); use -rate")
	return nil
}

// parseLoadFlags parses and checks the load command's flags. It returns
// nil and no error after printing the usage for -h.
func parseLoadFlags(stdout io.Writer, args []string) (*loadFlags, error) {
	var f loadFlags
	fs := newFlagSet("load", []string{
		"iostrat load [-addr HOST:PORT] [-proto http|echo] [-conns N] [-duration D] [-pipeline N] [-size N]",
		"iostrat load -rate R [-warmup D] [-addr HOST:PORT] [-proto http|echo] [-conns N] [-duration D] [-size N]",
	}, "Drives an HTTP/1.1 plaintext (GET /plaintext) or echo server, this project's\n"+
		"or another, and verifies every response. Without -rate, closed loop: each\n"+
		"connection sends its next request once the last is answered; it measures\n"+
		"throughput. With -rate, open loop: requests leave on a fixed schedule and\n"+
		"latency counts from the intended send time; it reports the achieved rate\n"+
		"beside the offered one, and latency percentiles.\n"+
		"\n"+
		"One request is sent first to check that the server speaks -proto. A flag\n"+
		"that does not apply (-pipeline with -rate or echo, -size with http,\n"+
		"-warmup without -rate) is an error.")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "server address HOST:PORT")
	fs.StringVar(&f.proto, "proto", "http", "protocol: http (GET /plaintext) or echo")
	fs.IntVar(&f.conns, "conns", 16, "connections")
	fs.IntVar(&f.pipeline, "pipeline", 1, "closed loop, http: requests written per burst")
	fs.IntVar(&f.size, "size", 64, "echo: message size in bytes")
	fs.DurationVar(&f.duration, "duration", 10*time.Second, "how long to measure")
	fs.Float64Var(&f.rate, "rate", 0, "open loop: requests per second in total (0: closed loop)")
	fs.DurationVar(&f.warmup, "warmup", time.Second, "open loop: how long the schedule runs before measuring")
	if help, err := parseFlags(fs, stdout, args); help || err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	if err := f.checkApplies(given(fs)); err != nil {
		return nil, err
	}
	return &f, nil
}

// check rejects values out of range.
func (f *loadFlags) check() error {
	switch {
	case f.proto != "http" && f.proto != "echo":
		return fmt.Errorf("load: -proto must be http or echo, got %q", f.proto)
	case f.conns < 1:
		return fmt.Errorf("load: -conns must be at least 1, got %d", f.conns)
	case f.pipeline < 1:
		return fmt.Errorf("load: -pipeline must be at least 1, got %d", f.pipeline)
	case f.size < 1:
		return fmt.Errorf("load: -size must be at least 1, got %d", f.size)
	case f.duration <= 0:
		return fmt.Errorf("load: -duration must be positive, got %v", f.duration)
	case f.rate < 0:
		return fmt.Errorf("load: -rate must be >= 0, got %v", f.rate)
	case f.warmup < 0:
		return fmt.Errorf("load: -warmup must be >= 0, got %v", f.warmup)
	}
	return nil
}

// checkApplies rejects a flag given explicitly that the chosen mode and
// protocol would ignore.
func (f *loadFlags) checkApplies(given map[string]bool) error {
	switch {
	case given["pipeline"] && f.rate > 0:
		return fmt.Errorf("load: -pipeline applies only to closed loop: with -rate, requests leave on the schedule, pipelined as they fall due")
	case given["pipeline"] && f.proto == "echo":
		return fmt.Errorf("load: -pipeline applies only to -proto http")
	case given["size"] && f.proto == "http":
		return fmt.Errorf("load: -size applies only to -proto echo")
	case given["warmup"] && f.rate == 0:
		return fmt.Errorf("load: -warmup applies only to open loop (-rate)")
	}
	return nil
}

// stallTimeout is how long a closed-loop connection may complete nothing
// before the run fails: the client's default, or the run's length if that
// is shorter (but at least a second), so a stuck server is reported about
// when the run should have ended.
func stallTimeout(d time.Duration) time.Duration {
	return min(loadgen.DefaultStallTimeout, max(d, time.Second))
}

func closedLoopHTTP(ctx context.Context, stdout, stderr io.Writer, f *loadFlags) error {
	h, err := loadgen.DialHTTP(f.addr, f.conns, f.pipeline)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	defer h.Close()
	h.StallTimeout = stallTimeout(f.duration)
	res, err := h.RunFor(ctx, f.duration, progress(stderr))
	fmt.Fprintln(stderr)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	secs := res.Elapsed.Seconds()
	fmt.Fprintf(stdout, "responses  %d in %.2fs: %.0f req/s, %.2f MB/s read\n",
		res.Responses, secs, float64(res.Responses)/secs, float64(res.BytesRead)/secs/1e6)
	fmt.Fprintf(stdout, "status     %d 2xx, %d other\n", res.OK, res.NotOK)
	if res.NotOK > 0 {
		return fmt.Errorf("load: %d responses were not 2xx", res.NotOK)
	}
	return nil
}

func closedLoopEcho(ctx context.Context, stdout, stderr io.Writer, f *loadFlags) error {
	e, err := loadgen.DialEcho(f.addr, f.conns, f.size)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	defer e.Close()
	e.StallTimeout = stallTimeout(f.duration)
	res, err := e.RunFor(ctx, f.duration, progress(stderr))
	fmt.Fprintln(stderr)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	secs := res.Elapsed.Seconds()
	fmt.Fprintf(stdout, "round trips %d in %.2fs: %.0f msg/s, %.2f MB/s each way\n",
		res.RoundTrips, secs, float64(res.RoundTrips)/secs, float64(res.Bytes)/secs/1e6)
	return nil
}

// progress returns a closed-loop progress report that rewrites one line
// of stderr.
func progress(stderr io.Writer) func(loadgen.Progress) {
	return func(p loadgen.Progress) {
		fmt.Fprintf(stderr, "\r%5.1fs  %d requests  %.0f req/s   ", p.Elapsed.Seconds(), p.Requests, p.Rate)
	}
}
