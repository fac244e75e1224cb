package iocpstyle

import (
	"errors"
	"fmt"
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Benchmarks of the port itself; echo, idle memory and every workload
// through the adapter are measured for all strategies by bench/. The
// C floor for BenchmarkNop is liburing's no-op submit+reap at batch 1 and
// 32 (io_uring_prep_nop, then io_uring_submit_and_wait): run a C loop of it
// side by side with this benchmark and compare ns/op.

var (
	nopBatches  = []int{1, 32}               // the C probe's batch sizes
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
// floor is Go's. fd=registered enters through the ring's registered index
// (IORING_REGISTER_RING_FDS, as every port does), fd=plain through its
// file descriptor, which makes each io_uring_enter look the fd up (fdget)
// and take a reference: the two side by side are what registering saves.
func BenchmarkRingNop(b *testing.B) {
	for _, fd := range []string{"registered", "plain"} {
		for _, batch := range nopBatches {
			b.Run(fmt.Sprintf("fd=%s/batch=%d", fd, batch), func(b *testing.B) {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				r, err := newRing(ringWant{sqEntries: defaultEntries, cqEntries: cqPerSQ * defaultEntries,
					flags: setupSubmitAll | setupCoopTaskrun | setupTaskrunFlag | setupSingleIssuer | setupDeferTaskrun | setupNoSQArray}, nil)
				if err != nil {
					b.Skip(err)
				}
				defer r.close()
				if r.enterFlags&enterRegisteredRing == 0 {
					b.Skip("the kernel would not register the ring fd")
				}
				if fd == "plain" {
					up := &rsrcUpdate{offset: uint32(r.enterFD)}
					if _, err := r.register(unregisterRingFDs, unsafe.Pointer(up), 1); err != nil {
						b.Fatal(err)
					}
					r.enterFD, r.enterFlags = r.fd, 0
				}
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
}

// BenchmarkPostToSelf measures one hop of a chain of self-posts, the
// loop of Chain and of a same-thread ping-pong: Wait returns the post,
// whose handler posts the next. post=user goes through the port's ready
// queue, entering the ring every eventInterval completions; post=kernel
// (Config.PostKernel) makes every hop a NOP SQE and so an io_uring_enter;
// the emulated backend always posts in user space.
func BenchmarkPostToSelf(b *testing.B) {
	for _, m := range portModes {
		post := "user"
		if m.postKernel {
			post = "kernel"
		}
		b.Run(fmt.Sprintf("backend=%s/post=%s", backendKey(m.backend), post), func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			p, err := NewPort(Config{Backend: m.backend, PostKernel: m.postKernel})
			if errors.Is(err, errors.ErrUnsupported) {
				b.Skip(err)
			}
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			cs := make([]Completion, 128)
			if err := p.PostTo(p, 0, 0); err != nil {
				b.Fatal(err)
			}
			before := p.Counters()
			hops := 0
			b.ReportAllocs()
			cpu0 := threadCPU()
			for b.Loop() {
				n, err := p.Wait(cs, 1)
				if err != nil || n != 1 {
					b.Fatalf("Wait: %d, %v", n, err)
				}
				if err := p.PostTo(p, cs[0].Token+1, 0); err != nil {
					b.Fatal(err)
				}
				hops++
			}
			cpu := threadCPU() - cpu0
			reap(b, p, cs, 1)
			after := p.Counters()
			b.ReportMetric(float64(after.Enters-before.Enters)/float64(hops), "enters/op")
			b.ReportMetric(float64(cpu)/float64(hops), "cpu-ns/op")
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
