package callback

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Micro-benchmarks of the loop's own mechanisms. Cross-strategy numbers
// (echo, HTTP, idle memory, every workload through the adapter) come from
// the shared harness in bench/; these isolate what the callback loop
// itself costs.
//
//	go test -run '^$' -bench . -benchtime 2s ./impl/callback
//
// Tunables:
const (
	// localPerOp is the callbacks each PostLocal op runs, so the one
	// cross-thread post that starts an op is amortized to nothing.
	localPerOp = 10_000
)

// BenchmarkPostLocal measures posting a callback from inside the loop and
// running it: "chain" re-posts one callback (queue depth 1), "burst" posts
// localPerOp callbacks and then runs them (the ring at depth localPerOp).
// The callbacks are made once, so nothing allocates.
func BenchmarkPostLocal(b *testing.B) {
	for _, shape := range []string{"chain", "burst"} {
		b.Run("shape="+shape, func(b *testing.B) {
			l := newLoop(b, Config{})
			done := make(chan struct{}, 1)
			count, chain := 0, shape == "chain"
			var cpu, cpuStart time.Duration // loop-owned
			var step, kick func()
			step = func() {
				count++
				if count == localPerOp {
					cpu += threadCPU() - cpuStart
					done <- struct{}{}
				} else if chain {
					l.PostLocal(step)
				}
			}
			kick = func() {
				count = 0
				cpuStart = threadCPU()
				if chain {
					l.PostLocal(step)
					return
				}
				for range localPerOp {
					l.PostLocal(step)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				l.Post(kick)
				<-done
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/localPerOp, "ns/callback")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/localPerOp, "cpu-ns/callback")
		})
	}
}

// threadCPU returns the CPU time the calling OS thread has used. On a loop
// it measures the loop's own work, which the machine's other load does not
// inflate the way it inflates wall time.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// BenchmarkPostStorm has many goroutines post to one loop at once (one op
// is one Post of a callback made once) and reports the eventfd writes per
// post, the cost that coalescing keeps near zero: a post writes the
// eventfd only when it makes the queue non-empty while the loop sleeps.
func BenchmarkPostStorm(b *testing.B) {
	for _, perProc := range []int{1, 4} {
		producers := perProc * runtime.GOMAXPROCS(0)
		b.Run("producers="+strconv.Itoa(producers), func(b *testing.B) {
			l := newLoop(b, Config{})
			ran := 0 // loop-owned
			step := func() { ran++ }
			before := l.Stats()
			b.ReportAllocs()
			b.SetParallelism(perProc)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					l.Post(step)
				}
			})
			// Every post is queued before this one, so when it runs all ran.
			onLoop(b, l, func(*loopT) {})
			d := l.Stats().Sub(before)
			b.ReportMetric(float64(d.EventfdWrites)/float64(b.N), "eventfd-writes/op")
			b.ReportMetric(float64(d.EpollWaits)/float64(b.N), "epoll-waits/op")
		})
	}
}
