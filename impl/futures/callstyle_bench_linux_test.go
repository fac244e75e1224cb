package futures

import (
	"os"
	"testing"
	"unsafe"
)

// Call styles: five ways to call "tick" on a counter, and what each costs
// per call (BenchmarkCallStyle), then the waker's own calls through its
// vtable (BenchmarkWakerVTable). Both price single calls; the suite's
// Dispatch group (bench/) prices starting and running a unit of work, and
// is another matter. Every target is marked noinline, and every indirect
// target is chosen at run time from a value the compiler cannot see
// (len(os.Args), through a package variable), so the compiler can neither
// inline the direct call nor devirtualize the indirect ones: the numbers
// are the costs of the calls themselves.
//
//	call=direct   a static call
//	call=iface    an interface method: load the itab, load the method, call
//	call=func     a func value (a top-level function): load the code
//	              pointer from the closure object, call
//	call=vtable   a hand-made vtable (a struct of func values) reached
//	              through a pointer, as RawWakerVTable is: one more load
//	call=generic  a method on a type parameter; generic code is compiled
//	              once per GC shape, and the method is found through the
//	              instantiation's dictionary: an indirect call as well
//
// In a loop like these the branch predictor learns the one target, and an
// indirect call costs about what a direct one does. What dynamic dispatch
// costs in real code is what it prevents (inlining, and the optimisations
// inlining enables) and the mispredictions when the targets vary.

type ticker interface{ tick() }

type counter struct{ n uint64 }

//go:noinline
func (c *counter) tick() { c.n++ }

//go:noinline
func tickCounter(p unsafe.Pointer) {
	// Safety: p is the *counter stored in vtTicker's data, tickTarget,
	// alive for the benchmark.
	(*counter)(p).n++
}

type otherCounter struct{ n uint64 }

//go:noinline
func (c *otherCounter) tick() { c.n += 2 }

//go:noinline
func tickGlobal() { tickTarget.n++ }

//go:noinline
func tickOtherGlobal() { tickTarget.n += 2 }

//go:noinline
func tickOther(p unsafe.Pointer) {
	// Safety: as tickCounter; never called, it only makes the choice real.
	(*otherCounter)(p).n += 2
}

type tickVTable struct {
	tick func(unsafe.Pointer)
}

type rawTicker struct {
	data   unsafe.Pointer
	vtable *tickVTable
}

var (
	tickVTables = [...]tickVTable{{tick: tickCounter}, {tick: tickOther}}
	// Chosen in init from len(os.Args), which is 1 or more at run time
	// but unknown to the compiler.
	pick       = min(len(os.Args), 1) - 1
	tickTarget = &counter{}
	tickers    = [...]ticker{tickTarget, &otherCounter{}}
	// Top-level functions, not method values: a method value is a closure
	// that calls the method, two calls instead of one.
	tickFuncs   = [...]func(){tickGlobal, tickOtherGlobal}
	ifaceTicker ticker
	funcTicker  func()
	vtTicker    rawTicker
)

func init() {
	ifaceTicker = tickers[pick]
	funcTicker = tickFuncs[pick]
	// Safety: tickTarget is a package-level pointer, alive forever.
	vtTicker = rawTicker{data: unsafe.Pointer(tickTarget), vtable: &tickVTables[pick]}
}

// loopGeneric runs the benchmark loop inside generic code, so that each
// iteration is one call of t.tick through the dictionary and nothing else.
func loopGeneric[T ticker](b *testing.B, t T) {
	for b.Loop() {
		t.tick()
	}
}

// BenchmarkCallStyle measures one call of tick per op, in each of the five
// styles above (call=direct|iface|func|vtable|generic).
func BenchmarkCallStyle(b *testing.B) {
	if pick != 0 {
		b.Fatal("expected the counter to be picked")
	}
	b.Run("call=direct", func(b *testing.B) {
		c := tickTarget
		clock := startCPU(b)
		for b.Loop() {
			c.tick()
		}
		clock.perOp(b)
	})
	b.Run("call=iface", func(b *testing.B) {
		t := ifaceTicker
		clock := startCPU(b)
		for b.Loop() {
			t.tick()
		}
		clock.perOp(b)
	})
	b.Run("call=func", func(b *testing.B) {
		f := funcTicker
		clock := startCPU(b)
		for b.Loop() {
			f()
		}
		clock.perOp(b)
	})
	b.Run("call=vtable", func(b *testing.B) {
		r := vtTicker
		clock := startCPU(b)
		for b.Loop() {
			r.vtable.tick(r.data)
		}
		clock.perOp(b)
	})
	b.Run("call=generic", func(b *testing.B) {
		// loopGeneric[*counter] and loopGeneric[*otherCounter] share one
		// body (all pointers have one GC shape); t.tick is looked up in
		// the dictionary passed to it.
		clock := startCPU(b)
		if pick == 0 {
			loopGeneric(b, tickTarget)
		} else {
			loopGeneric(b, &otherCounter{})
		}
		clock.perOp(b)
	})
	if tickTarget.n == 0 {
		b.Fatal("nothing was called")
	}
}

// BenchmarkWakerVTable measures the waker operations through the vtable,
// on the executor's goroutine (the owner path, plain fields):
//
//	waker=task/op=clone-drop    Clone then Drop: two vtable calls, refs++ and refs--
//	waker=task/op=wake          Clone then Wake (by value) on an already queued task
//	waker=task/op=wake-by-ref   WakeByRef on an already queued task: the dedup check
//	waker=noop/op=...           the same calls into the no-op vtable: the bare cost
//	                            of the indirect calls
func BenchmarkWakerVTable(b *testing.B) {
	e := benchExecutor(b)
	// A task that is queued and never runs: every wake finds it notified.
	// Each sub-benchmark runs on its own goroutine, which makes itself the
	// executor's owner, as a task polled by the executor would be.
	var h JoinHandle[struct{}]
	owned(b, e, func() { h = Spawn(e, &YieldFuture{}) })
	task := &h.core.waker
	noop := NoopWaker()
	for _, wk := range []struct {
		name string
		w    *Waker
	}{{"task", task}, {"noop", &noop}} {
		w := wk.w
		b.Run("waker="+wk.name+"/op=clone-drop", func(b *testing.B) {
			owned(b, e, func() {
				b.ReportAllocs()
				clock := startCPU(b)
				for b.Loop() {
					c := w.Clone()
					c.Drop()
				}
				clock.perOp(b)
			})
		})
		b.Run("waker="+wk.name+"/op=wake", func(b *testing.B) {
			owned(b, e, func() {
				b.ReportAllocs()
				clock := startCPU(b)
				for b.Loop() {
					c := w.Clone()
					c.Wake()
				}
				clock.perOp(b)
			})
		})
		b.Run("waker="+wk.name+"/op=wake-by-ref", func(b *testing.B) {
			owned(b, e, func() {
				b.ReportAllocs()
				clock := startCPU(b)
				for b.Loop() {
					w.WakeByRef()
				}
				clock.perOp(b)
			})
		})
	}
	owned(b, e, func() {
		h.Abort()
		h.Drop()
	})
}

// owned runs f with the calling goroutine as e's owner, as if f ran inside
// one of e's tasks.
func owned(tb testing.TB, e *Executor, f func()) {
	tb.Helper()
	if err := e.enter(); err != nil {
		tb.Fatal(err)
	}
	defer e.exit()
	f()
}
