package iocpstyle

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"iostrat"
	"iostrat/internal/loadgen"
	"iostrat/internal/proto"
)

// Benchmarks of the port itself and of the adapter's serving path. The
// C floor for BenchmarkNop is liburing's no-op submit+reap, the `uring`
// probe of /work/shared/anchors/c-floors (c.uring.nop_batch1 and
// c.uring.nop_batch32): run both side by side and compare ns/op.

var (
	nopBatches  = []int{1, 32}               // the C probe's batch sizes
	echoConns   = []int{1, 256}              // one connection; many (the speed bar's 256)
	echoSizes   = []int{64, 4 << 10}         // a small message; a page
	echoRounds  = 20                         // round trips per connection per iteration
	idleConns   = 10_000                     // the idle-memory bar's count
	benchBackds = []Backend{Uring, Emulated} // both, always side by side
)

// backendKey is the backend's value in benchmark names.
func backendKey(b Backend) string {
	if b == Uring {
		return "uring"
	}
	return "emulated"
}

// BenchmarkNop measures one no-op submitted and reaped through a port:
// one op is one Submit; every batch Submits, one Wait reaps the batch
// (on io_uring one io_uring_enter submits and waits together). Reported:
// ns/op, enters/op (io_uring_enter calls per no-op) and cpu-ns/op, the
// benchmark thread's CPU time per no-op, which leaves out time spent
// waiting for a CPU on a loaded machine (compare it with the same clock
// around the C loop).
func BenchmarkNop(b *testing.B) {
	for _, backend := range benchBackds {
		for _, batch := range nopBatches {
			b.Run(fmt.Sprintf("backend=%s/batch=%d", backendKey(backend), batch), func(b *testing.B) {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				p, err := NewPort(Config{Backend: backend})
				if errors.Is(err, errors.ErrUnsupported) {
					b.Skip(err)
				}
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close()
				cs := make([]Completion, batch)
				before := p.Counters()
				ops, pending := 0, 0
				b.ReportAllocs()
				cpu0 := threadCPU()
				for b.Loop() {
					if _, err := p.Submit(Op{Kind: OpNop, Token: Token(ops)}); err != nil {
						b.Fatal(err)
					}
					ops++
					if pending++; pending == batch {
						reap(b, p, cs, pending)
						pending = 0
					}
				}
				cpu := threadCPU() - cpu0
				reap(b, p, cs, pending)
				after := p.Counters()
				b.ReportMetric(float64(after.Enters-before.Enters)/float64(ops), "enters/op")
				b.ReportMetric(float64(cpu)/float64(ops), "cpu-ns/op")
			})
		}
	}
}

// BenchmarkRingNop is BenchmarkNop/backend=uring without the Port: SQEs
// written and CQEs counted straight on a ring set up like a port's, so
// the difference between the two is the Port's own cost (slot-free no-op
// path, Completion records, bookkeeping) and the difference to the C
// floor is Go's.
func BenchmarkRingNop(b *testing.B) {
	for _, batch := range nopBatches {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			r, err := newRing(ringWant{sqEntries: defaultEntries, cqEntries: cqPerSQ * defaultEntries,
				flags: setupSubmitAll | setupCoopTaskrun | setupTaskrunFlag | setupSingleIssuer | setupDeferTaskrun | setupNoSQArray}, nil)
			if err != nil {
				b.Skip(err)
			}
			defer r.close()
			ops := 0
			cpu0 := threadCPU()
			for b.Loop() {
				e := r.getSQE()
				e.opcode = opNop
				e.userData = udNop | uint64(ops)
				if ops++; ops%batch == 0 {
					if _, err := r.enter(uint32(batch), enterGetEvents, false); err != nil {
						b.Fatal(err)
					}
					got := 0
					for tail := r.cqReady(); r.head != tail; r.head++ {
						got++
					}
					r.release()
					if got != batch {
						b.Fatalf("%d completions for a batch of %d", got, batch)
					}
				}
			}
			b.ReportMetric(float64(threadCPU()-cpu0)/float64(ops), "cpu-ns/op")
		})
	}
}

// threadCPU is the calling thread's CPU time in nanoseconds; the caller
// is locked to its thread.
func threadCPU() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	return ts.Nano()
}

// reap waits for exactly n completions.
func reap(b *testing.B, p *Port, cs []Completion, n int) {
	for n > 0 {
		k, err := p.Wait(cs[:n], n)
		if err != nil {
			b.Fatal(err)
		}
		n -= k
	}
}

// BenchmarkEcho runs the adapter's echo server on each backend against
// internal/loadgen's closed-loop clients: every connection does
// echoRounds round trips per iteration, each verified. Reported: ns/msg
// (one round trip) and the server's io_uring_enter or epoll_wait calls
// per message.
func BenchmarkEcho(b *testing.B) {
	for _, backend := range benchBackds {
		for _, conns := range echoConns {
			for _, size := range echoSizes {
				b.Run(fmt.Sprintf("backend=%s/conns=%d/size=%dB", backendKey(backend), conns, size), func(b *testing.B) {
					withEchoServer(b, backend, func(rt iostrat.Runtime, addr string) {
						e, err := loadgen.DialEcho(addr, conns, size)
						if err != nil {
							b.Fatal(err)
						}
						defer e.Close()
						b.SetBytes(int64(size * conns * echoRounds))
						before := rt.Stats()
						iterations := 0
						for b.Loop() {
							if err := e.Run(echoRounds); err != nil {
								b.Fatal(err)
							}
							iterations++
						}
						msgs := float64(iterations * conns * echoRounds)
						d := rt.Stats().Sub(before)
						b.ReportMetric(float64(b.Elapsed().Nanoseconds())/msgs, "ns/msg")
						if v, ok := d.Get(iostrat.SysIOUringEnter); ok {
							b.ReportMetric(float64(v)/msgs, "enters/msg")
						}
						if v, ok := d.Get(iostrat.SysEpollWait); ok {
							b.ReportMetric(float64(v)/msgs, "epoll-waits/msg")
						}
						if s, ok := d.Syscalls(); ok {
							b.ReportMetric(float64(s)/msgs, "syscalls/msg")
						}
					})
				})
			}
		}
	}
}

func withEchoServer(b *testing.B, backend Backend, f func(rt iostrat.Runtime, addr string)) {
	rt, err := Strategy{Backend: backend}.Start(iostrat.Options{})
	if errors.Is(err, errors.ErrUnsupported) {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	svc, err := rt.Serve(ln, proto.Echo{})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	f(rt, svc.Addr().String())
}

// idleChildEnv makes this test binary an idle client: it holds "addr,n"
// connections until its stdin closes. The clients live in a child process
// so their memory and fds are not counted as the server's, and each
// process stays within its own fd limit.
const idleChildEnv = "IOCPSTYLE_IDLE_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(idleChildEnv); spec != "" {
		os.Exit(idleChild(spec))
	}
	os.Exit(m.Run())
}

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

// BenchmarkIdle holds idleConns connections, each answered once, from a
// child process and measures the serving process per connection: Go
// memory in use after a GC (B/conn) and resident size (rss-B/conn, which
// also sees the rings and provided buffers, mapped outside the Go heap;
// they are allocated at Start, before the baseline). Kernel socket memory
// is in neither. Later iterations reuse what the first one grew
// (connection table, slots), so -benchtime 1x gives the cold figure.
func BenchmarkIdle(b *testing.B) {
	for _, backend := range benchBackds {
		b.Run(fmt.Sprintf("backend=%s/conns=%d", backendKey(backend), idleConns), func(b *testing.B) {
			withEchoServer(b, backend, func(rt iostrat.Runtime, addr string) {
				var mem, rss float64
				iterations := 0
				for b.Loop() {
					m, r, err := idleOnce(addr, idleConns)
					if err != nil {
						b.Fatal(err)
					}
					mem, rss = mem+m, rss+r
					iterations++
				}
				b.ReportMetric(mem/float64(iterations), "B/conn")
				b.ReportMetric(rss/float64(iterations), "rss-B/conn")
			})
		})
	}
}

func idleOnce(addr string, n int) (mem, rss float64, err error) {
	m0, r0 := footprint()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), idleChildEnv+"="+addr+","+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, 0, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer cmd.Wait()
	defer stdin.Close()
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		return 0, 0, fmt.Errorf("idle client: %q", strings.TrimSpace(line))
	}
	m1, r1 := footprint()
	return float64(m1-m0) / float64(n), float64(r1-r0) / float64(n), nil
}

var footprintSamples = []metrics.Sample{
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/free:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
}

// footprint returns Go memory in use after a GC and the resident size.
func footprint() (mem, rss int64) {
	time.Sleep(50 * time.Millisecond) // let the loops finish adopting
	runtime.GC()
	metrics.Read(footprintSamples)
	mem = int64(footprintSamples[0].Value.Uint64() - footprintSamples[1].Value.Uint64() - footprintSamples[2].Value.Uint64())
	data, _ := os.ReadFile("/proc/self/status")
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			rss = kb << 10
		}
	}
	return mem, rss
}
