package bench

import (
	"errors"
	"runtime"
	"syscall"
	"testing"
	"time"

	"iostrat"
	"iostrat/internal/loadgen"
	"iostrat/strategies"
)

// forEachStrategy runs f once per registered strategy as the sub-benchmark
// impl=<name>, so `benchstat -col /impl` puts strategies side by side; the
// dispatch, wake and timer workloads that call it also run the registry's
// dispatch variants (a strategy with a hand-on knob turned, such as
// iocp_uring_kernelpost) as columns of their own.
func forEachStrategy(b *testing.B, f func(b *testing.B, s iostrat.Strategy)) {
	runStrategies(b, append(strategies.All(), strategies.DispatchVariants()...), f)
}

// forEachIOStrategy is forEachStrategy for the socket workloads: it adds
// the registry's I/O variants (a strategy with a socket-only knob turned,
// such as edge-triggered readiness) as columns of their own.
func forEachIOStrategy(b *testing.B, f func(b *testing.B, s iostrat.Strategy)) {
	runStrategies(b, append(strategies.All(), strategies.IOVariants()...), f)
}

// runStrategies runs f for each of ss that -iostrat.impls selects, in
// the order of the shuffle seed.
func runStrategies(b *testing.B, ss []iostrat.Strategy, f func(b *testing.B, s iostrat.Strategy)) {
	for _, s := range strategyOrder(b.Name(), ss) {
		if implSelected(s.Name()) {
			b.Run("impl="+s.Name(), func(b *testing.B) { f(b, s) })
		}
	}
}

// withRuntime pins the process to its CPU budget, starts a fresh runtime
// of s with the default Options for one leaf benchmark and closes it
// afterwards; a strategy that cannot run here is skipped with its reason
// (the report prints n/a), never faked.
func withRuntime(b *testing.B, s iostrat.Strategy, f func(rt iostrat.Runtime)) {
	withRuntimeOptions(b, s, defaultOptions(), f)
}

// withRuntimeOptions is withRuntime with the Options given.
func withRuntimeOptions(b *testing.B, s iostrat.Strategy, o iostrat.Options, f func(rt iostrat.Runtime)) {
	applyBudget(b)
	rt, err := s.Start(o)
	if errors.Is(err, errors.ErrUnsupported) {
		b.Skip(err)
	}
	if err != nil {
		b.Fatalf("Start %s: %v", s.Name(), err)
	}
	defer func() {
		if err := rt.Close(); err != nil {
			b.Errorf("Close %s: %v", s.Name(), err)
		}
	}()
	f(rt)
}

// measure runs call in a b.Loop; every call does perCall units of work and
// verifies its own result. After the loop it reports the per-unit time,
// allocations and every counter the runtime keeps, per unit, so a reader
// can see why one strategy is faster than another, and where the process
// ran (reportPlacement). rt may be nil (the harness baseline). It returns
// the nanoseconds per unit. The first call is a warm-up (see warmUp).
func measure(b *testing.B, rt iostrat.Runtime, unit string, perCall int, call func() error) float64 {
	warmUp(b, call)
	ns, _ := measureAt(b, rt, unit, perCall, call)
	return ns
}

// warmUp makes one call that is not measured, before any counter, clock
// or allocation count is read. A report gives every leaf of a benchmark
// the same number of calls, which the slowest strategy can bring down to
// a single call per process; unwarmed, that call would carry the first
// touch of the runtime's queues, stacks and buffers (several times a
// warm call's cost on the loops), and a cold process would be compared
// with a warm one.
func warmUp(b *testing.B, call func() error) {
	if err := call(); err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			b.Skip(err)
		}
		b.Fatal(err)
	}
}

// measureIO is measure for a socket workload, its server wherever it
// runs: it adds where the client process ran, as the client read it back.
// The first call is a warm-up (see warmUp).
func measureIO(b *testing.B, srv server, client *loadgen.Remote, unit string, perCall int, call func() error) float64 {
	warmUp(b, call)
	return measureIOCold(b, srv, client, unit, perCall, call)
}

// measureIOCold is measureIO without the warm-up call, for a workload that
// warms itself up (the open loop's Warmup).
func measureIOCold(b *testing.B, srv server, client *loadgen.Remote, unit string, perCall int, call func() error) float64 {
	ns, at := measureServer(b, srv, unit, perCall, call)
	clientAt, err := client.Placement()
	if err != nil {
		b.Fatal(err)
	}
	reportClientPlacement(b, at, clientAt)
	return ns
}

func measureAt(b *testing.B, rt iostrat.Runtime, unit string, perCall int, call func() error) (float64, serverPlace) {
	b.ReportAllocs()
	var before iostrat.Stats
	if rt != nil {
		before = rt.Stats()
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	// The wall-clock window encloses the CPU window, clock reads included,
	// so that on a budget of N CPUs cpu-util cannot exceed N by more than
	// the kernel's accounting error, however short the loop.
	wall0 := time.Now()
	u0 := processUsage()
	loop(b, call)
	elapsed := b.Elapsed()
	u := processUsage().sub(u0)
	wall := time.Since(wall0)
	runtime.ReadMemStats(&m1)
	at := reportPlacement(b)
	units := float64(b.N) * float64(perCall)
	var d iostrat.Stats
	if rt != nil && units > 0 {
		d = rt.Stats().Sub(before)
	}
	ms, perUnit := serverMetrics(u, wall, elapsed, d, units, unit)
	if units > 0 {
		ms = append(ms, metric{float64(m1.Mallocs-m0.Mallocs) / units, perAllocs + unit})
	}
	for _, m := range ms {
		b.ReportMetric(m.value, m.unit)
	}
	return perUnit, at
}

// reportRate reports a per-second rate from a per-unit time.
func reportRate(b *testing.B, nsPerUnit float64, unit string) {
	if nsPerUnit > 0 {
		b.ReportMetric(1e9/nsPerUnit, unit)
	}
}

// usage is what a process spent so far, as the kernel accounts it.
type usage struct {
	cpu time.Duration // user and system, every thread
	// switches counts the context switches of every thread, voluntary
	// (it blocked) and involuntary (it was preempted); known reports
	// whether they could be read.
	switches uint64
	known    bool
}

// sub is the usage between earlier and u. Switches that went down (an
// outside process's thread ended in between, taking its count along) are
// not known.
func (u usage) sub(earlier usage) usage {
	known := u.known && earlier.known && u.switches >= earlier.switches
	return usage{cpu: u.cpu - earlier.cpu, switches: u.switches - earlier.switches, known: known}
}

// processUsage is this process's usage so far, from getrusage: the CPU
// time of every thread, and their context switches. In the socket
// benchmarks the client is another process, so this is the server's
// alone: CPU time that still separates the strategies when the client,
// not the server, limits throughput, and the context switches that
// explain much of it (a thread that blocks and is woken, a hand-off
// between threads).
func processUsage() usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return usage{}
	}
	return usage{
		cpu:      time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		switches: uint64(ru.Nvcsw + ru.Nivcsw),
		known:    true,
	}
}

// size picks the full or the -short value of a workload parameter.
func size(full, short int) int {
	if testing.Short() {
		return short
	}
	return full
}

// TestMeasureAtSwitches checks that a measured loop reports the process's
// context switches: a loop that sleeps every call blocks its thread, so
// there are some.
func TestMeasureAtSwitches(t *testing.T) {
	setBenchtime(t, "20x")
	res := testing.Benchmark(func(b *testing.B) {
		measureAt(b, nil, unitMsg, 1, func() error {
			time.Sleep(100 * time.Microsecond)
			return nil
		})
	})
	if res.N == 0 {
		t.Fatal("the benchmark did not run")
	}
	if v, ok := res.Extra[perSwitches+unitMsg]; !ok || v <= 0 {
		t.Errorf("%s = %v (reported: %v), want > 0: every call sleeps", perSwitches+unitMsg, v, ok)
	}
}
