package bench

import (
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"iostrat"
	"iostrat/internal/affinity"
	"iostrat/internal/loadgen"
	"iostrat/internal/proto"
)

// Idle connections: what a connection costs a server while it waits.
// Anchor: the C10K and one-million-connection write-ups.
const idleConns = 10_000

// BenchmarkIdle opens idleConns connections from a child process, each
// answered once, and measures the server process: Go-managed memory in use
// (heap, stacks and runtime metadata from runtime/metrics, after a GC) and
// goroutines, per connection. rss-B/conn adds memory the Go runtime does
// not manage (mmap'd rings and buffers) from the process's resident size;
// it is noisier. Kernel socket buffers are in neither.
func BenchmarkIdle(b *testing.B) {
	n := size(idleConns, 1_000)
	if err := loadgen.RaiseFDLimit(n + 1000); err != nil {
		b.Skip(err)
	}
	forEachIOStrategy(b, func(b *testing.B, s iostrat.Strategy) {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			withServer(b, s, proto.Echo{}, func(rt iostrat.Runtime, addr string) {
				var mem, rss, goroutines float64
				var holder affinity.Placement
				_, server := measureAt(b, rt, unitConn, n, func() error {
					m, r, g, at, err := idleOnce(addr, n)
					mem, rss, goroutines, holder = mem+m, rss+r, goroutines+g, at
					return err
				})
				reportClientPlacement(b, server, holder)
				iters := float64(b.N)
				b.ReportMetric(mem/iters, unitBConn)
				b.ReportMetric(rss/iters, "rss-"+unitBConn)
				b.ReportMetric(goroutines/iters, unitGConn)
			})
		})
	})
}

// idleOnce holds n idle connections once, from a child process so the
// clients' memory and fds are not the server's, and returns the server's
// memory, resident size and goroutines per connection.
func idleOnce(addr string, n int) (mem, rss, goroutines float64, holder affinity.Placement, err error) {
	m0, r0, g0 := serverFootprint()
	release, holder, err := loadgen.HoldInChildOn(addr, n, clientCPUs())
	if err != nil {
		return 0, 0, 0, holder, err
	}
	defer release()
	m1, r1, g1 := serverFootprint()
	per := func(a, b int64) float64 { return float64(b-a) / float64(n) }
	return per(m0, m1), per(r0, r1), per(g0, g1), holder, nil
}

var footprintSamples = []metrics.Sample{
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/free:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
}

// serverFootprint returns, after a GC: Go-managed memory in use (all
// memory classes but free and released heap), the resident set size, and
// the goroutine count. A short settle lets a server finish registering.
func serverFootprint() (mem, rss, goroutines int64) {
	time.Sleep(50 * time.Millisecond)
	runtime.GC()
	metrics.Read(footprintSamples)
	mem = int64(footprintSamples[0].Value.Uint64() - footprintSamples[1].Value.Uint64() - footprintSamples[2].Value.Uint64())
	return mem, residentBytes(), int64(runtime.NumGoroutine())
}

// residentBytes reads VmRSS from /proc/self/status.
func residentBytes() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
