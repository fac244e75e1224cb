package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"iostrat"
	"iostrat/internal/loadgen"
	"iostrat/internal/proto"
)

// Idle connections: what a connection costs a server while it waits.
// Anchor: the C10K and one-million-connection write-ups.
const idleConns = 10_000

// The clients live in a child process (this test binary, re-run with
// childEnv set), so their memory and file descriptors are not counted as
// the server's and each process stays within its own fd limit.
const childEnv = "IOSTRAT_BENCH_IDLE_CHILD"

// idleChild holds "addr,n" idle connections until its stdin closes.
func idleChild(spec string) int {
	addr, count, _ := strings.Cut(spec, ",")
	n, err := strconv.Atoi(count)
	if err == nil {
		err = loadgen.RaiseFDLimit(n + 100)
	}
	var idle *loadgen.Idle
	if err == nil {
		idle, err = loadgen.HoldIdle(addr, n)
	}
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	idle.Close()
	return 0
}

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
				measure(b, rt, unitConn, n, func() error {
					m, r, g, err := idleOnce(addr, n, rt)
					mem, rss, goroutines = mem+m, rss+r, goroutines+g
					return err
				})
				iters := float64(b.N)
				b.ReportMetric(mem/iters, unitBConn)
				b.ReportMetric(rss/iters, "rss-"+unitBConn)
				b.ReportMetric(goroutines/iters, unitGConn)
			})
		})
	})
}

// idleOnce holds n idle connections once and returns the server's memory,
// resident size and goroutines per connection.
func idleOnce(addr string, n int, rt iostrat.Runtime) (mem, rss, goroutines float64, err error) {
	m0, r0, g0 := serverFootprint()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+addr+","+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, 0, 0, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	defer cmd.Wait()
	defer stdin.Close()
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		return 0, 0, 0, fmt.Errorf("idle client: %q", strings.TrimSpace(line))
	}
	m1, r1, g1 := serverFootprint()
	per := func(a, b int64) float64 { return float64(b-a) / float64(n) }
	return per(m0, m1), per(r0, r1), per(g0, g1), nil
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
