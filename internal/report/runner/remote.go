package runner

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"iostrat/internal/agent"
	"iostrat/internal/report/raw"
)

// Remote runs. With a Remote set, the socket benchmarks (SocketBenchmarks:
// every benchmark whose server the bench harness starts through
// withServer) run with the bench binary's remote flags, so their server
// runs in the iostrat agent's process on the agent's machine and the
// client here; every other benchmark runs here as usual. The run's header
// describes the agent's machine and the path's round trip (ProbeRemote).

// SocketBenchmarks are the top-level benchmarks whose server can run in
// an agent.
var SocketBenchmarks = []string{"BenchmarkEcho", "BenchmarkPump", "BenchmarkHTTP", "BenchmarkChurn", "BenchmarkLatency", "BenchmarkIdle"}

// The bench binary's remote flags.
const (
	RemoteFlag          = "-iostrat.remote"
	RemoteTokenFileFlag = "-iostrat.remote-token-file"
)

// A Remote is the agent a run's socket benchmarks use.
type Remote struct {
	Addr      string // host:port; "" for a local run
	TokenFile string // the file holding the agent's token
}

// flagsFor are the binary's remote flags for a run of bench: none for a
// local run or a benchmark that is not a socket one.
func (r Remote) flagsFor(bench string) []string {
	if r.Addr == "" || !slices.Contains(SocketBenchmarks, bench) {
		return nil
	}
	return []string{RemoteFlag + "=" + r.Addr, RemoteTokenFileFlag + "=" + r.TokenFile}
}

// rttRounds are the measured one-byte round trips of ProbeRemote; the
// agent's echo server that answers them runs this strategy.
const (
	rttRounds   = 20
	rttStrategy = "goroutine"
)

// ProbeRemote asks the agent which machine it is and measures the round
// trip of the path to it (raw.RTTMethod). benchmarks are the run's
// top-level benchmarks; the socket ones are recorded as run remotely.
func ProbeRemote(ctx context.Context, r Remote, benchmarks []string) (raw.RemoteMachine, error) {
	token, err := agent.ReadToken(r.TokenFile)
	if err != nil {
		return raw.RemoteMachine{}, err
	}
	c, err := agent.Dial(ctx, r.Addr, token)
	if err != nil {
		return raw.RemoteMachine{}, fmt.Errorf("agent at %s: %w", r.Addr, err)
	}
	defer c.Close()
	m, err := c.Machine()
	if err != nil {
		return raw.RemoteMachine{}, fmt.Errorf("agent at %s: %w", r.Addr, err)
	}
	rtt, err := measureRTT(ctx, c)
	if err != nil {
		return raw.RemoteMachine{}, fmt.Errorf("agent at %s: measuring the round trip: %w", r.Addr, err)
	}
	rm := raw.RemoteMachine{
		Addr: r.Addr, Hostname: m.Hostname, CPU: m.CPU, Kernel: m.Kernel, GoVersion: m.GoVersion,
		Commit: m.Commit, VCPUs: m.VCPUs, RTT: rtt,
	}
	for _, b := range benchmarks {
		if slices.Contains(SocketBenchmarks, b) {
			rm.Benchmarks = append(rm.Benchmarks, strings.TrimPrefix(b, "Benchmark"))
		}
	}
	return rm, nil
}

// An echoStarter starts and stops the agent's echo server; *agent.Client
// is one.
type echoStarter interface {
	Start(agent.StartRequest) (agent.Started, error)
	Stop() (agent.Report, error)
}

// measureRTT starts an echo server on the agent and returns the median
// of rttRounds one-byte round trips to it over one connection.
func measureRTT(ctx context.Context, c echoStarter) (time.Duration, error) {
	started, err := c.Start(agent.StartRequest{Strategy: rttStrategy, Proto: "echo", CPUs: 1})
	if err != nil {
		return 0, err
	}
	rtts, err := echoRoundTrips(ctx, started.Addr, rttRounds)
	if _, stopErr := c.Stop(); err == nil {
		err = stopErr
	}
	if err != nil {
		return 0, err
	}
	return median(rtts), nil
}

// echoRoundTrips dials an echo server and times n one-byte round trips,
// after one unmeasured.
func echoRoundTrips(ctx context.Context, addr string, n int) ([]time.Duration, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		return nil, err
	}
	rtts := make([]time.Duration, 0, n)
	buf := []byte{'x'}
	for i := range n + 1 {
		start := time.Now()
		if _, err := conn.Write(buf); err != nil {
			return nil, err
		}
		if _, err := io.ReadFull(conn, buf); err != nil {
			return nil, err
		}
		if i > 0 {
			rtts = append(rtts, time.Since(start))
		}
	}
	return rtts, nil
}

// median returns the median of ds (the lower middle value of an even
// count, one that was measured); ds is sorted in place.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[(len(ds)-1)/2]
}
