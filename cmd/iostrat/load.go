package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"iostrat/internal/loadgen"
)

// runLoad drives any echo or HTTP/1.1 plaintext server, this project's or
// not, with the suite's own client: closed loop (each connection waits for
// its answers before sending more) or open loop at a fixed rate (requests
// leave on schedule and latency counts from the intended send time, so a
// stalling server cannot hide its stall). Every response is verified.
func runLoad(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "server address HOST:PORT")
	protoName := fs.String("proto", "http", "protocol: http (GET /plaintext) or echo")
	conns := fs.Int("conns", 16, "connections")
	pipeline := fs.Int("pipeline", 1, "http: requests written per burst (closed loop)")
	size := fs.Int("size", 64, "echo: message size in bytes")
	duration := fs.Duration("duration", 10*time.Second, "how long to measure")
	rate := fs.Float64("rate", 0, "open loop: requests per second in total (0: closed loop)")
	warmup := fs.Duration("warmup", time.Second, "open loop: schedule run before measuring")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("load takes no arguments, got %q", fs.Args())
	case *protoName != "http" && *protoName != "echo":
		return fmt.Errorf("load: -proto must be http or echo, got %q", *protoName)
	case *conns < 1:
		return fmt.Errorf("load: -conns must be at least 1, got %d", *conns)
	case *pipeline < 1:
		return fmt.Errorf("load: -pipeline must be at least 1, got %d", *pipeline)
	case *size < 1:
		return fmt.Errorf("load: -size must be at least 1, got %d", *size)
	case *duration <= 0:
		return fmt.Errorf("load: -duration must be positive, got %v", *duration)
	case *rate < 0:
		return fmt.Errorf("load: -rate must be >= 0, got %v", *rate)
	}
	if err := loadgen.RaiseFDLimit(2**conns + 64); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if *rate > 0 {
		return openLoop(stdout, stderr, loadgen.OpenLoopConfig{
			Addr: *addr, Proto: *protoName, Size: *size, Conns: *conns,
			Rate: *rate, Duration: *duration, Warmup: *warmup,
		})
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	progress := func(p loadgen.Progress) {
		fmt.Fprintf(stderr, "\r%5.1fs  %d requests  %.0f req/s   ", p.Elapsed.Seconds(), p.Requests, p.Rate)
	}
	fmt.Fprintf(stdout, "closed loop: %s on %s, %d connections", *protoName, *addr, *conns)
	if *protoName == "http" {
		fmt.Fprintf(stdout, ", pipeline %d, for %v\n", *pipeline, *duration)
		h, err := loadgen.DialHTTP(*addr, *conns, *pipeline)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		defer h.Close()
		res, err := h.RunFor(ctx, *duration, progress)
		fmt.Fprintln(stderr)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		secs := res.Elapsed.Seconds()
		fmt.Fprintf(stdout, "responses  %d in %.2fs: %.0f req/s, %.2f MB/s read\n", res.Responses, secs, float64(res.Responses)/secs, float64(res.BytesRead)/secs/1e6)
		fmt.Fprintf(stdout, "status     %d 2xx, %d other\n", res.OK, res.NotOK)
		if res.NotOK > 0 {
			return fmt.Errorf("load: %d responses were not 2xx", res.NotOK)
		}
	} else {
		fmt.Fprintf(stdout, ", %d-byte messages, for %v\n", *size, *duration)
		e, err := loadgen.DialEcho(*addr, *conns, *size)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		defer e.Close()
		res, err := e.RunFor(ctx, *duration, progress)
		fmt.Fprintln(stderr)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		secs := res.Elapsed.Seconds()
		fmt.Fprintf(stdout, "round trips %d in %.2fs: %.0f msg/s, %.2f MB/s each way\n", res.RoundTrips, secs, float64(res.RoundTrips)/secs, float64(res.Bytes)/secs/1e6)
	}
	fmt.Fprintln(stdout, "latency    not reported in closed loop (it hides stalls: coordinated omission); use -rate")
	return nil
}

func openLoop(stdout, stderr io.Writer, cfg loadgen.OpenLoopConfig) error {
	want := int(cfg.Rate*cfg.Duration.Seconds()) + cfg.Conns
	cfg.Samples = make([]time.Duration, want+want/4)
	fmt.Fprintf(stdout, "open loop: %s on %s, %d connections, %.0f req/s for %v after %v warm-up\n",
		cfg.Proto, cfg.Addr, cfg.Conns, cfg.Rate, cfg.Duration, cfg.Warmup)
	fmt.Fprintf(stderr, "running for %v…\n", cfg.Warmup+cfg.Duration)
	res, err := loadgen.OpenLoop(cfg)
	if err != nil && res.Sent == 0 {
		return fmt.Errorf("load: %w", err)
	}
	fmt.Fprintf(stdout, "requests   %d scheduled, %d sent, %d answered, %d errors, %d not 2xx\n",
		res.Scheduled, res.Sent, res.Completed, res.Errors, res.NotOK)
	fmt.Fprintf(stdout, "throughput %.0f req/s (offered %.0f)\n", res.Rate, cfg.Rate)
	if len(res.Latencies) > 0 {
		ps, perr := loadgen.Percentiles(res.Latencies, 50, 99, 99.9, 100)
		if perr != nil {
			return fmt.Errorf("load: %w", perr)
		}
		fmt.Fprintf(stdout, "latency    p50 %v  p99 %v  p99.9 %v  max %v (from intended send times)\n", ps[0], ps[1], ps[2], ps[3])
	}
	if res.Behind {
		fmt.Fprintf(stdout, "warning    the client fell behind its schedule (%d late sends, up to %v late): it was overloaded or descheduled; latencies include its delay\n", res.LateSends, res.MaxLate)
	}
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if res.NotOK > 0 {
		return fmt.Errorf("load: %d responses were not 2xx", res.NotOK)
	}
	return nil
}
