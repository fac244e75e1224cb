package bench

import (
	"errors"
	"runtime"
	"syscall"
	"testing"
	"time"

	"iostrat"
	"iostrat/internal/affinity"
	"iostrat/internal/loadgen"
	"iostrat/strategies"
)

// forEachStrategy runs f once per registered strategy as the sub-benchmark
// impl=<name>, so `benchstat -col /impl` puts strategies side by side; the
// dispatch, wake and timer workloads that call it also run the registry's
// dispatch variants (a strategy with a hand-on knob turned, such as
// iocp_uring_kernelpost) as columns of their own.
func forEachStrategy(b *testing.B, f func(b *testing.B, s iostrat.Strategy)) {
	for _, s := range strategyOrder(b.Name(), append(strategies.All(), strategies.DispatchVariants()...)) {
		b.Run("impl="+s.Name(), func(b *testing.B) { f(b, s) })
	}
}

// forEachIOStrategy is forEachStrategy for the socket workloads: it adds
// the registry's I/O variants (a strategy with a socket-only knob turned,
// such as edge-triggered readiness) as columns of their own.
func forEachIOStrategy(b *testing.B, f func(b *testing.B, s iostrat.Strategy)) {
	for _, s := range strategyOrder(b.Name(), append(strategies.All(), strategies.IOVariants()...)) {
		b.Run("impl="+s.Name(), func(b *testing.B) { f(b, s) })
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
// the nanoseconds per unit.
func measure(b *testing.B, rt iostrat.Runtime, unit string, perCall int, call func() error) float64 {
	ns, _ := measureAt(b, rt, unit, perCall, call)
	return ns
}

// measureIO is measure for a socket workload: it adds where the client
// process ran, as the client read it back.
func measureIO(b *testing.B, rt iostrat.Runtime, client *loadgen.Remote, unit string, perCall int, call func() error) float64 {
	ns, server := measureAt(b, rt, unit, perCall, call)
	at, err := client.Placement()
	if err != nil {
		b.Fatal(err)
	}
	reportClientPlacement(b, server, at)
	return ns
}

func measureAt(b *testing.B, rt iostrat.Runtime, unit string, perCall int, call func() error) (float64, affinity.Placement) {
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
	cpu0 := processCPU()
	for b.Loop() {
		if err := call(); err != nil {
			if errors.Is(err, errors.ErrUnsupported) {
				b.Skip(err)
			}
			b.Fatal(err)
		}
	}
	elapsed := b.Elapsed()
	cpu := processCPU() - cpu0
	wall := time.Since(wall0)
	runtime.ReadMemStats(&m1)
	server := reportPlacement(b)
	if wall > 0 {
		b.ReportMetric(float64(cpu)/float64(wall), unitCPUUtil)
	}
	units := float64(b.N) * float64(perCall)
	if units == 0 {
		return 0, server
	}
	perUnit := float64(elapsed.Nanoseconds()) / units
	b.ReportMetric(perUnit, perNanos+unit)
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/units, perAllocs+unit)
	b.ReportMetric(float64(cpu.Nanoseconds())/units, perCPUNanos+unit)
	if rt != nil {
		reportStats(b, rt.Stats().Sub(before), units, unit)
	}
	return perUnit, server
}

// reportRate reports a per-second rate from a per-unit time.
func reportRate(b *testing.B, nsPerUnit float64, unit string) {
	if nsPerUnit > 0 {
		b.ReportMetric(1e9/nsPerUnit, unit)
	}
}

// processCPU is the CPU time, user and system, of every thread of this
// process so far. In the socket benchmarks the client is another process,
// so this is the server's CPU alone: a figure that still separates the
// strategies when the client, not the server, limits throughput.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportStats reports each kept counter divided by units, as
// "<counter>/<unit>", and the kept syscall counters' total as
// "syscalls/<unit>". Counters a runtime does not keep are not reported, so
// they read n/a rather than zero.
func reportStats(b *testing.B, d iostrat.Stats, units float64, unit string) {
	for _, c := range iostrat.Counters() {
		if v, ok := d.Get(c); ok {
			b.ReportMetric(float64(v)/units, c.String()+"/"+unit)
		}
	}
	if total, ok := d.Syscalls(); ok {
		b.ReportMetric(float64(total)/units, perSyscall+unit)
	}
}

// size picks the full or the -short value of a workload parameter.
func size(full, short int) int {
	if testing.Short() {
		return short
	}
	return full
}
