package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"iostrat"
	"iostrat/internal/agent"
)

// Remote mode. With -iostrat.remote=host:port the socket workloads (every
// benchmark that calls withServer: Echo, Pump, HTTP, Churn, Latency, Idle)
// ask the iostrat agent at host:port to start the strategy's server, in
// the agent's own process pinned to the budget (GOMAXPROCS CPUs), and
// drive it from here; the dispatch, wake and timer workloads run in this
// process as usual. The client process stays where the local mode puts it
// (clientCPUs: a CPU the budget leaves free on this machine, or the
// budget's CPUs with none to spare).
//
// The per-call server figures mean what they mean locally, taken from
// the agent's process instead of this one: the agent's Stats before and
// after the measured calls give cpu-util (its CPU time over the wall time
// here, which encloses both requests, so it reads a little low by two
// round trips), cpu-ns/<unit>, every <counter>/<unit> and syscalls/<unit>;
// cpus and gomaxprocs are the agent's, read back after the calls; Idle's
// rss-B/conn comes from the agent's resident size. The agent does not
// report heap allocations, Go-managed memory or goroutines, so
// allocs/<unit>, B/conn and goroutines/conn read n/a, and shared-cpus
// (the CPUs of another machine cannot be compared with ours) is replaced
// by remote-server: 1 on every remote result line.

// unitRemote marks a result whose server ran in an agent's process.
const unitRemote = "remote-server"

var (
	remoteFlag      = flag.String("iostrat.remote", "", "`host:port` of an iostrat agent: the socket workloads' server runs there, the client here")
	remoteTokenFlag = flag.String("iostrat.remote-token-file", "", "`file` holding the agent's token (with -iostrat.remote)")
)

// remoteToken is the agent's token, read in TestMain.
var remoteToken []byte

// An agentClient is the part of *agent.Client a remote server uses: one
// server at a time, started, sampled while it runs, and stopped.
type agentClient interface {
	Start(agent.StartRequest) (agent.Started, error)
	Stats() (agent.Report, error)
	Stop() (agent.Report, error)
}

var _ agentClient = (*agent.Client)(nil)

// remoteServer is a server the agent runs for one leaf benchmark.
type remoteServer struct {
	agent   agentClient
	started agent.Started
}

// setUpRemote checks the remote flags and, with -iostrat.remote, reads
// the token and asks the agent which machine it is, so a wrong address
// or token fails before the first benchmark.
func setUpRemote() error {
	if *remoteFlag == "" {
		if *remoteTokenFlag != "" {
			return errors.New("-iostrat.remote-token-file without -iostrat.remote")
		}
		return nil
	}
	if *remoteTokenFlag == "" {
		return errors.New("-iostrat.remote needs -iostrat.remote-token-file")
	}
	if park, _ := parseParkFlag(); park != iostrat.ParkNetpoll {
		return errors.New("-iostrat.park=thread: the agent starts its servers with the default park mode (netpoll); run the remote benchmarks without it")
	}
	token, err := agent.ReadToken(*remoteTokenFlag)
	if err != nil {
		return err
	}
	remoteToken = token
	c, err := dialAgent()
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Machine(); err != nil {
		return fmt.Errorf("agent at %s: %w", *remoteFlag, err)
	}
	return nil
}

// dialAgent connects to the agent of -iostrat.remote.
func dialAgent() (*agent.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := agent.Dial(ctx, *remoteFlag, remoteToken)
	if err != nil {
		return nil, fmt.Errorf("agent at %s: %w", *remoteFlag, err)
	}
	return c, nil
}

// withRemoteServer is withServer in remote mode: the agent serves p with
// strategy s on a budget of GOMAXPROCS CPUs, and f gets the agent's
// address. This process keeps its local pinning, so clientCPUs places
// the client as in the local mode.
func withRemoteServer(b *testing.B, s iostrat.Strategy, p iostrat.Protocol, f func(srv server, addr string)) {
	applyBudget(b)
	c, err := dialAgent()
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	started, err := c.Start(agent.StartRequest{Strategy: s.Name(), Proto: p.Name(), CPUs: runtime.GOMAXPROCS(0)})
	if err != nil && strings.Contains(err.Error(), errors.ErrUnsupported.Error()) {
		b.Skip(err) // the agent's machine cannot run s
	}
	if err != nil {
		b.Fatalf("agent Start %s: %v", s.Name(), err)
	}
	defer func() {
		if _, err := c.Stop(); err != nil {
			b.Errorf("agent Stop %s: %v", s.Name(), err)
		}
	}()
	f(server{remote: &remoteServer{agent: c, started: started}}, started.Addr)
}

// measureRemote is measureAt for a server in the agent: the figures come
// from the agent's Stats before and after the measured calls.
func measureRemote(b *testing.B, r *remoteServer, unit string, perCall int, call func() error) (float64, serverPlace) {
	b.ReportAllocs()
	wall0 := time.Now()
	before, err := r.agent.Stats()
	if err != nil {
		b.Fatalf("agent Stats: %v", err)
	}
	loop(b, call)
	elapsed := b.Elapsed()
	after, err := r.agent.Stats()
	if err != nil {
		b.Fatalf("agent Stats: %v", err)
	}
	wall := time.Since(wall0)
	at := remotePlace(after)
	reportServerPlace(b, at)
	units := float64(b.N) * float64(perCall)
	ms, perUnit := remoteMetrics(before, after, elapsed, wall, units, unit)
	for _, m := range ms {
		b.ReportMetric(m.value, m.unit)
	}
	return perUnit, at
}

// remoteMetrics are the figures of a remote measured loop from the
// agent's reports before and after it: the shared server metrics
// (serverMetrics) with the agent's CPU time and counters. It also
// returns the nanoseconds per unit.
func remoteMetrics(before, after agent.Report, elapsed, wall time.Duration, units float64, unit string) ([]metric, float64) {
	d := statsOf(after.Stats).Sub(statsOf(before.Stats))
	return serverMetrics(usage{cpu: after.CPU - before.CPU}, wall, elapsed, d, units, unit) // the agent does not report context switches
}

// remotePlace is where the agent says its server ran.
func remotePlace(r agent.Report) serverPlace {
	return serverPlace{cpus: r.CPUs, gomaxprocs: r.GOMAXPROCS, remote: true}
}

// statsOf turns the agent's counters, by name, back into Stats: a
// counter the agent did not send is not kept.
func statsOf(m map[string]uint64) iostrat.Stats {
	var s iostrat.Stats
	for _, c := range iostrat.Counters() {
		if v, ok := m[c.String()]; ok {
			s.Set(c, v)
		}
	}
	return s
}

// footprint is Idle's sample of the agent's server: its resident size
// only, after a short settle (the agent's process is not ours to GC).
func (r *remoteServer) footprint() (footprint, error) {
	time.Sleep(footprintSettle)
	rep, err := r.agent.Stats()
	if err != nil {
		return footprint{}, fmt.Errorf("agent Stats: %w", err)
	}
	return footprint{rss: float64(rep.RSS)}, nil
}
