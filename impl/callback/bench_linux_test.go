package callback

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"iostrat"
	"iostrat/internal/proto"
)

// Micro-benchmarks of the loop's own mechanisms, and the package's side by
// side comparisons. Cross-strategy numbers come from the shared harness in
// bench/; these isolate what the callback loop itself costs.
//
//	go test -run '^$' -bench . -benchtime 2s ./impl/callback
//
// Tunables:
const (
	// localPerOp is the callbacks each PostLocal op runs, so the one
	// cross-thread post that starts an op is amortized to nothing.
	localPerOp = 10_000
	// echoConns and echoRounds: each echo op is echoRounds round trips on
	// each of echoConns connections, all at once.
	echoConns  = 256
	echoRounds = 10
	// idleConns is how many idle connections the memory benchmark holds.
	idleConns = 10_000
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
			writes, _ := d.Get(iostrat.SysEventfdWrite)
			waits, _ := d.Get(iostrat.SysEpollWait)
			b.ReportMetric(float64(writes)/float64(b.N), "eventfd-writes/op")
			b.ReportMetric(float64(waits)/float64(b.N), "epoll-waits/op")
		})
	}
}

// BenchmarkEcho: echoConns clients each doing echoRounds round trips per
// op, against the callback strategy serving proto.Echo and, in the same
// run, a goroutine-per-connection net server (the goroutine strategy's
// model). Compare with: benchstat -col /impl.
func BenchmarkEcho(b *testing.B) {
	for _, size := range []int{64, 4096, 16384} {
		for _, impl := range []string{"callback", "callback-edge", "netgoroutine"} {
			b.Run(fmt.Sprintf("impl=%s/conns=%d/size=%d", impl, echoConns, size), func(b *testing.B) {
				addr, rt := startEcho(b, impl)
				conns := make([]net.Conn, echoConns)
				for i := range conns {
					c, err := net.Dial("tcp", addr)
					if err != nil {
						b.Fatal(err)
					}
					defer c.Close()
					conns[i] = c
				}
				msg := make([]byte, size)
				errs := make(chan error, echoConns)
				var before iostrat.Stats
				if rt != nil {
					before = rt.Stats()
				}
				for b.Loop() {
					var wg sync.WaitGroup
					for _, c := range conns {
						wg.Add(1)
						go func() {
							defer wg.Done()
							got := make([]byte, size)
							for range echoRounds {
								if _, err := c.Write(msg); err != nil {
									errs <- err
									return
								}
								if _, err := io.ReadFull(c, got); err != nil {
									errs <- err
									return
								}
							}
						}()
					}
					wg.Wait()
					select {
					case err := <-errs:
						b.Fatal(err)
					default:
					}
				}
				msgs := float64(b.N) * echoConns * echoRounds
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/msgs, "ns/msg")
				b.ReportMetric(msgs/b.Elapsed().Seconds(), "msgs/s")
				if rt != nil {
					reportSyscalls(b, rt.Stats().Sub(before), msgs, "msg")
				}
			})
		}
	}
}

// reportSyscalls reports each system call counter per unit.
func reportSyscalls(b *testing.B, d iostrat.Stats, units float64, unit string) {
	for _, c := range iostrat.Counters() {
		if v, ok := d.Get(c); ok && c.IsSyscall() {
			b.ReportMetric(float64(v)/units, c.String()+"/"+unit)
		}
	}
}

// startEcho serves echo on a loopback port with impl and returns the
// address, and the runtime unless impl is netgoroutine; the server is
// closed when the benchmark ends.
func startEcho(b *testing.B, impl string) (string, iostrat.Runtime) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	if impl == "netgoroutine" {
		var wg sync.WaitGroup
		b.Cleanup(func() { ln.Close(); wg.Wait() })
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer c.Close()
					buf := make([]byte, 16<<10) // the goroutine strategy's read buffer
					for {
						n, err := c.Read(buf)
						if err != nil {
							return
						}
						if _, err := c.Write(buf[:n]); err != nil {
							return
						}
					}
				}()
			}
		}()
		return addr, nil
	}
	var o iostrat.Options
	if impl == "callback-edge" {
		o.Trigger = iostrat.Edge
	}
	rt, err := Strategy{}.Start(o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rt.Close() })
	if _, err := rt.Serve(ln, proto.Echo{}); err != nil {
		b.Fatal(err)
	}
	return addr, rt
}

// BenchmarkIdleConns holds idleConns idle connections to the callback
// strategy serving HTTP and reports the server's live heap per connection
// (MemStats.HeapAlloc after a GC, with every connection open and idle,
// minus the same before the first connection). The clients run in a child
// process so their own memory and fds are not counted (and the fd limit
// holds both sides).
func BenchmarkIdleConns(b *testing.B) {
	b.Run(fmt.Sprintf("impl=callback/conns=%d", idleConns), func(b *testing.B) {
		rt, err := Strategy{}.Start(iostrat.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer rt.Close()
		var perConn, goroutines float64
		for b.Loop() {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			svc, err := rt.Serve(ln, proto.HTTP{})
			if err != nil {
				b.Fatal(err)
			}
			g0 := runtime.NumGoroutine()
			h0 := liveHeap()
			client := startIdleClients(b, svc.Addr().String(), idleConns)
			waitFor(b, "all connections open", func() bool { return svc.Conns() == idleConns })
			h1 := liveHeap()
			perConn = float64(int64(h1)-int64(h0)) / idleConns
			goroutines = float64(runtime.NumGoroutine()-g0) / idleConns
			client.stop()
			svc.Close()
		}
		b.ReportMetric(perConn, "B/conn")
		b.ReportMetric(goroutines, "goroutines/conn")
	})
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

type idleClient struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startIdleClients runs TestIdleClientHelper in a child process that opens
// n connections to addr and holds them until its stdin closes.
func startIdleClients(b *testing.B, addr string, n int) *idleClient {
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleClientHelper$")
	cmd.Env = append(os.Environ(), "CALLBACK_IDLE_CLIENT="+addr+","+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if sc.Text() == "ready" {
			return &idleClient{cmd: cmd, stdin: stdin}
		}
	}
	cmd.Wait()
	b.Fatal("idle client exited before connecting")
	return nil
}

func (c *idleClient) stop() {
	c.stdin.Close()
	c.cmd.Wait()
}

// TestIdleClientHelper is the child process of BenchmarkIdleConns.
func TestIdleClientHelper(t *testing.T) {
	spec := os.Getenv("CALLBACK_IDLE_CLIENT")
	if spec == "" {
		t.Skip("child process of BenchmarkIdleConns")
	}
	var addr string
	var n int
	for i := len(spec) - 1; i >= 0; i-- {
		if spec[i] == ',' {
			addr = spec[:i]
			n, _ = strconv.Atoi(spec[i+1:])
			break
		}
	}
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}

// BenchmarkWorkloads runs the contract's dispatch and wake workloads
// through the adapter, with the batch sizes the shared harness uses, and
// reports the time per unit. The cross-strategy comparison is bench/'s;
// this is the strategy's own view, with its syscall counts.
func BenchmarkWorkloads(b *testing.B) {
	rt, err := Strategy{}.Start(iostrat.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	cases := []struct {
		name  string
		units float64
		unit  string
		run   func() error
	}{
		{"spawn/n=10000", 10000, "task", func() error { _, err := rt.Spawn(10000); return err }},
		{"chain/depth=1000", 1000, "task", func() error { _, err := rt.Chain(1000); return err }},
		{"inject/producers=4/n=10000", 10000, "task", func() error { _, err := rt.Inject(4, 10000); return err }},
		{"yield/tasks=200/yields=1000", 200 * 1000, "yield", func() error { _, err := rt.Yield(200, 1000); return err }},
		{"pingpong/mode=same", 1000, "round", func() error { _, err := rt.PingPong(1000, iostrat.SameThread); return err }},
		{"pingpong/mode=cross", 1000, "round", func() error { _, err := rt.PingPong(1000, iostrat.CrossThread); return err }},
		{"pingpong/mode=hog", 1000, "round", func() error { _, err := rt.PingPong(1000, iostrat.Hog); return err }},
		{"wake-external/rounds=1000", 1000, "wake", func() error { _, err := rt.WakeExternal(1000); return err }},
		{"fanout/waiters=64/rounds=100", 6400, "wake", func() error { _, err := rt.FanOut(64, 100); return err }},
		{"timers/count=10000/cancel=2", 10000, "timer", func() error {
			_, err := rt.Timers(iostrat.TimerSpec{Count: 10000, Horizon: 10 * time.Millisecond, CancelEvery: 2})
			return err
		}},
	}
	for _, c := range cases {
		b.Run("impl=callback/"+c.name, func(b *testing.B) {
			before := rt.Stats()
			b.ReportAllocs()
			for b.Loop() {
				if err := c.run(); err != nil {
					b.Fatal(err)
				}
			}
			units := float64(b.N) * c.units
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/units, "ns/"+c.unit)
			reportSyscalls(b, rt.Stats().Sub(before), units, c.unit)
		})
	}
}
