package bench

import (
	"math"
	"testing"
	"time"

	"iostrat"
	"iostrat/internal/agent"
)

// fakeAgent is an agentClient whose server does a fixed amount of work
// per workload call: cpuPerCall of CPU time, readsPerCall reads and
// writesPerCall writes. It keeps no epoll counters, so those must read
// n/a, not zero.
type fakeAgent struct {
	calls int
	base  agent.Report // the state when the measured loop starts
}

const (
	cpuPerCall    = 300 * time.Microsecond
	readsPerCall  = 20
	writesPerCall = 20
)

func (f *fakeAgent) report() agent.Report {
	r := f.base
	n := uint64(f.calls)
	r.CPU += time.Duration(f.calls) * cpuPerCall
	r.Stats = map[string]uint64{
		iostrat.SysRead.String():  r.Stats[iostrat.SysRead.String()] + n*readsPerCall,
		iostrat.SysWrite.String(): r.Stats[iostrat.SysWrite.String()] + n*writesPerCall,
		iostrat.Wakes.String():    r.Stats[iostrat.Wakes.String()] + n,
	}
	return r
}

func (f *fakeAgent) Start(agent.StartRequest) (agent.Started, error) {
	return agent.Started{Addr: "192.0.2.1:9000", CPUs: 2, GOMAXPROCS: 2}, nil
}
func (f *fakeAgent) Stats() (agent.Report, error) { return f.report(), nil }
func (f *fakeAgent) Stop() (agent.Report, error)  { return f.report(), nil }

// TestMeasureRemote runs measureRemote against a fake agent and checks
// that the server's figures are the agent's deltas per unit, whatever
// b.N the loop settled on: the same units, with the same meaning, as a
// local server's.
func TestMeasureRemote(t *testing.T) {
	const perCall = 20 // messages per workload call
	fake := &fakeAgent{base: agent.Report{
		CPU:   5 * time.Second, // the agent's CPU time before the loop: must cancel out
		Stats: map[string]uint64{iostrat.SysRead.String(): 1000, iostrat.SysWrite.String(): 1000, iostrat.Wakes.String(): 7},
		CPUs:  2, GOMAXPROCS: 2,
	}}
	r := &remoteServer{agent: fake}
	var at serverPlace
	res := testing.Benchmark(func(b *testing.B) {
		fake.calls = 0
		_, at = measureRemote(b, r, unitMsg, perCall, func() error {
			fake.calls++
			time.Sleep(time.Millisecond)
			return nil
		})
	})
	if res.N == 0 {
		t.Fatal("the benchmark did not run")
	}
	want := map[string]float64{
		"cpu-ns/msg":   float64(cpuPerCall.Nanoseconds()) / perCall,
		"reads/msg":    float64(readsPerCall) / perCall,
		"writes/msg":   float64(writesPerCall) / perCall,
		"wakes/msg":    1.0 / perCall,
		"syscalls/msg": float64(readsPerCall+writesPerCall) / perCall,
		"cpus":         2,
		"gomaxprocs":   2,
	}
	for unit, w := range want {
		if got, ok := res.Extra[unit]; !ok || math.Abs(got-w) > 1e-9*w {
			t.Errorf("%s = %v (reported: %v), want %v", unit, got, ok, w)
		}
	}
	for _, unit := range []string{"epoll-waits/msg", "allocs/msg", "ctx-switches/msg", "shared-cpus"} {
		if v, ok := res.Extra[unit]; ok {
			t.Errorf("%s = %v reported; the agent does not give it, so it must read n/a", unit, v)
		}
	}
	if ns := res.Extra["ns/msg"]; ns < float64(time.Millisecond)/perCall {
		t.Errorf("ns/msg = %v, below the 1 ms sleep of every call divided by %d messages", ns, perCall)
	}
	// The fake server spends 300 µs of CPU per call of at least 1 ms.
	if u, ok := res.Extra[unitCPUUtil]; !ok || u <= 0 || u > 0.3 {
		t.Errorf("cpu-util = %v (reported: %v), want in (0, 0.3]", u, ok)
	}
	if !at.remote || at.cpus != 2 || at.gomaxprocs != 2 || at.set != nil {
		t.Errorf("placement %+v, want the agent's: remote, 2 CPUs, GOMAXPROCS 2, no local CPU set", at)
	}
}

// TestStatsOf checks that counters travel by name and that a counter the
// agent does not send is not kept.
func TestStatsOf(t *testing.T) {
	s := statsOf(map[string]uint64{"reads": 5, "enters": 2, "no-such-counter": 9})
	if v, ok := s.Get(iostrat.SysRead); !ok || v != 5 {
		t.Errorf("reads = %d, %v; want 5, kept", v, ok)
	}
	if _, ok := s.Get(iostrat.SysEpollWait); ok {
		t.Error("epoll-waits kept, but the agent did not send it")
	}
	if total, ok := s.Syscalls(); !ok || total != 7 {
		t.Errorf("syscalls = %d, %v; want 7", total, ok)
	}
}

// TestRemoteFootprint checks that Idle's remote sample is the agent's
// resident size alone.
func TestRemoteFootprint(t *testing.T) {
	r := &remoteServer{agent: &fakeAgent{base: agent.Report{RSS: 12 << 20}}}
	f, err := server{remote: r}.footprint()
	if err != nil {
		t.Fatal(err)
	}
	if f.rss != 12<<20 || f.goManaged || f.mem != 0 || f.goroutines != 0 {
		t.Errorf("footprint %+v, want rss 12 MiB only", f)
	}
}
