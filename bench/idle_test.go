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
// it is noisier. Kernel socket buffers are in neither. With a remote
// server only rss-B/conn is measured (the agent reports its resident
// size, not its Go memory or goroutines); B/conn and goroutines/conn then
// read n/a.
func BenchmarkIdle(b *testing.B) {
	n := size(idleConns, 1_000)
	if err := loadgen.RaiseFDLimit(n + 1000); err != nil {
		b.Skip(err)
	}
	forEachIOStrategy(b, func(b *testing.B, s iostrat.Strategy) {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			withServer(b, s, proto.Echo{}, func(srv server, addr string) {
				var per footprint
				var holder affinity.Placement
				_, at := measureServer(b, srv, unitConn, n, func() error {
					d, h, err := idleOnce(srv, addr, n)
					per, holder = per.plus(d), h
					return err
				})
				reportClientPlacement(b, at, holder)
				iters := float64(b.N)
				if per.goManaged {
					b.ReportMetric(per.mem/iters, unitBConn)
					b.ReportMetric(per.goroutines/iters, unitGConn)
				}
				b.ReportMetric(per.rss/iters, "rss-"+unitBConn)
			})
		})
	})
}

// footprintSettle lets a server finish registering connections before its
// footprint is read.
const footprintSettle = 50 * time.Millisecond

// A footprint is a server's memory and goroutines: totals when sampled,
// per connection when idleOnce returns them. mem and goroutines are only
// known (goManaged) for a server in this process.
type footprint struct {
	mem, rss, goroutines float64
	goManaged            bool
}

// plus adds d to f, field by field.
func (f footprint) plus(d footprint) footprint {
	return footprint{f.mem + d.mem, f.rss + d.rss, f.goroutines + d.goroutines, d.goManaged}
}

// footprint samples the server's footprint, wherever it runs.
func (srv server) footprint() (footprint, error) {
	if srv.remote != nil {
		return srv.remote.footprint()
	}
	mem, rss, goroutines := serverFootprint()
	return footprint{float64(mem), float64(rss), float64(goroutines), true}, nil
}

// idleOnce holds n idle connections once, from a child process so the
// clients' memory and fds are not the server's, and returns the server's
// footprint per connection.
func idleOnce(srv server, addr string, n int) (footprint, affinity.Placement, error) {
	f0, err := srv.footprint()
	if err != nil {
		return footprint{}, affinity.Placement{}, err
	}
	release, holder, err := loadgen.HoldInChildOn(addr, n, clientCPUs())
	if err != nil {
		return footprint{}, holder, err
	}
	defer release()
	f1, err := srv.footprint()
	if err != nil {
		return footprint{}, holder, err
	}
	per := func(a, b float64) float64 { return (b - a) / float64(n) }
	return footprint{per(f0.mem, f1.mem), per(f0.rss, f1.rss), per(f0.goroutines, f1.goroutines), f0.goManaged}, holder, nil
}

var footprintSamples = []metrics.Sample{
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/free:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
}

// serverFootprint returns, after a GC: Go-managed memory in use (all
// memory classes but free and released heap), the resident set size, and
// the goroutine count, after a short settle (footprintSettle).
func serverFootprint() (mem, rss, goroutines int64) {
	time.Sleep(footprintSettle)
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
