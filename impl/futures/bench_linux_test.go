package futures

import (
	"syscall"
	"testing"
	"time"
)

// Benchmarks mirroring tokio's benches/rt_current_thread.rs, so per-unit
// numbers can be set beside tokio-ct's measured at the same time (run both
// pinned to one CPU: taskset -c 0, GOMAXPROCS=1). Each runs the same
// workload futures the iostrat adapter uses, with BlockOn on one executor.
//
// Each has a pool=on|off dimension. tokio allocates every task and frees
// it when done; this executor reuses pooled cells (pool=on, its default),
// so a spawn on the executor allocates nothing. pool=off (Config.PoolCap
// NoPool) allocates a cell per spawn and leaves finished cells to the
// garbage collector, as tokio does: the pair says how much of the gap to
// tokio is the pool. (Neither setting uses atomics on the executor's own
// goroutine; tokio's task state and reference count are atomic always.)
const (
	spawnManyTasks = 10_000 // tasks per spawn_many run
	chainDepth     = 1_000  // tasks per chained_spawn run
	yieldTasks     = 200    // tasks per yield_many run
	yieldsPerTask  = 1_000  // yields per task in yield_many
	pingPongRounds = 1_000  // round trips per ping_pong run
)

// poolings are the pool=on|off variants of every executor benchmark.
var poolings = []struct {
	name string
	cfg  Config
}{
	{"pool=on", Config{}},
	{"pool=off", Config{PoolCap: NoPool}},
}

// forEachPooling runs bench as a sub-benchmark per pooling, with a fresh
// executor.
func forEachPooling(b *testing.B, bench func(b *testing.B, e *Executor)) {
	for _, p := range poolings {
		b.Run(p.name, func(b *testing.B) {
			e, err := NewExecutor(p.cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			bench(b, e)
		})
	}
}

func benchExecutor(b *testing.B) *Executor {
	b.Helper()
	e, err := NewExecutor(Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return e
}

// cpuClock measures the process's CPU time (user+system, all threads)
// across a benchmark. On a shared machine wall time includes the slices
// other processes took; CPU time does not, and with GOMAXPROCS=1 it still
// counts the garbage collector's share. The Rust anchors report the same
// pair.
type cpuClock struct{ start time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU(b *testing.B) *cpuClock {
	b.Helper()
	return &cpuClock{start: processCPU()}
}

// perOp reports the CPU time per benchmark op as "cpu-ns/op".
func (c *cpuClock) perOp(b *testing.B) {
	b.ReportMetric(float64((processCPU()-c.start).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// perUnit reports wall and CPU time per unit of work as custom metrics:
// "ns/task" and "cpu-ns/task" for unit "task".
func (c *cpuClock) perUnit(b *testing.B, units int, unit string) {
	n := float64(b.N * units)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/"+unit)
	b.ReportMetric(float64((processCPU()-c.start).Nanoseconds())/n, "cpu-ns/"+unit)
}

// BenchmarkSpawnMany spawns spawnManyTasks empty tasks and joins them in
// order: the cost of a task's spawn, poll, completion and join.
func BenchmarkSpawnMany(b *testing.B) {
	forEachPooling(b, func(b *testing.B, e *Executor) {
		handles := new([]JoinHandle[struct{}])
		b.ReportAllocs()
		clock := startCPU(b)
		for b.Loop() {
			if _, err := BlockOn(e, &spawnMany{n: spawnManyTasks, handles: handles}); err != nil {
				b.Fatal(err)
			}
		}
		clock.perUnit(b, spawnManyTasks, "task")
	})
}

// BenchmarkChainedSpawn runs chains of chainDepth tasks, each spawning the
// next: spawn on the critical path.
func BenchmarkChainedSpawn(b *testing.B) {
	forEachPooling(b, func(b *testing.B, e *Executor) {
		b.ReportAllocs()
		clock := startCPU(b)
		for b.Loop() {
			if _, err := BlockOn(e, &chainRoot{depth: chainDepth}); err != nil {
				b.Fatal(err)
			}
		}
		clock.perUnit(b, chainDepth, "spawn")
	})
}

// BenchmarkYieldMany runs yieldTasks tasks yielding yieldsPerTask times:
// a self-wake and a trip through the run queue per yield.
func BenchmarkYieldMany(b *testing.B) {
	forEachPooling(b, func(b *testing.B, e *Executor) {
		handles := new([]JoinHandle[uint64])
		b.ReportAllocs()
		clock := startCPU(b)
		for b.Loop() {
			if _, err := BlockOn(e, &yieldMany{tasks: yieldTasks, yields: yieldsPerTask, handles: handles}); err != nil {
				b.Fatal(err)
			}
		}
		clock.perUnit(b, yieldTasks*yieldsPerTask, "yield")
	})
}

// BenchmarkPingPong runs two tasks alternating through two Notify,
// pingPongRounds round trips per run: two wakes and two polls per round.
func BenchmarkPingPong(b *testing.B) {
	forEachPooling(b, func(b *testing.B, e *Executor) {
		b.ReportAllocs()
		clock := startCPU(b)
		for b.Loop() {
			if _, err := BlockOn(e, &pingPongSame{rounds: pingPongRounds}); err != nil {
				b.Fatal(err)
			}
		}
		clock.perUnit(b, pingPongRounds, "round-trip")
	})
}
