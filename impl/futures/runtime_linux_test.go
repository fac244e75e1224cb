package futures

import (
	"fmt"
	"testing"
	"time"

	"iostrat"
)

// With two loops, Inject, Yield and FanOut put work on both: each loop's
// own counters show its share, published by the time the call returns.
// With one loop everything runs on loop 0.
func TestSpreadOverLoops(t *testing.T) {
	for _, loops := range []int{1, 2} {
		t.Run(fmt.Sprintf("loops=%d", loops), func(t *testing.T) {
			rt, err := Strategy{}.Start(iostrat.Options{Loops: loops})
			if err != nil {
				t.Fatal(err)
			}
			defer rt.Close()
			r := rt.(*runtimeImpl)
			type counts struct{ spawned, wakes uint64 }
			snapshot := func() []counts {
				var cs []counts
				for _, lp := range r.loops {
					st := lp.e.Stats()
					cs = append(cs, counts{st.Spawned, st.Wakes})
				}
				return cs
			}
			const perLoop = 100
			for _, c := range []struct {
				what  string
				call  func() (uint64, error)
				want  uint64
				moved func(before, after counts) uint64
			}{
				{"Inject(3, 200)", func() (uint64, error) { return rt.Inject(3, 2*perLoop) }, 2 * perLoop * (2*perLoop + 1) / 2,
					func(b, a counts) uint64 { return a.spawned - b.spawned }},
				{"Yield(200, 3)", func() (uint64, error) { return rt.Yield(2*perLoop, 3) }, 2 * perLoop * 3,
					func(b, a counts) uint64 { return a.spawned - b.spawned }},
				{"FanOut(200, 2)", func() (uint64, error) { return rt.FanOut(2*perLoop, 2) }, 2 * perLoop * 2,
					func(b, a counts) uint64 { return a.wakes - b.wakes }},
			} {
				before := snapshot()
				got, err := c.call()
				if err != nil {
					t.Fatal(err)
				}
				if got != c.want {
					t.Fatalf("%s = %d, want %d", c.what, got, c.want)
				}
				after := snapshot()
				for k := range r.loops {
					// Each loop's share of 2*perLoop units is 2*perLoop/loops.
					if m := c.moved(before[k], after[k]); m < 2*perLoop/uint64(loops) {
						t.Errorf("%s: loop %d of %d counted %d, want its share, %d", c.what, k, loops, m, 2*perLoop/loops)
					}
				}
			}
		})
	}
}

// A SharedBroadcast wakes waiters on two executors from a task of one of
// them: its own waiters through the waker's owner path, the other's
// through the remote path, posted to that executor's inbox.
func TestSharedBroadcastAcrossExecutors(t *testing.T) {
	e0, e1 := newTestExecutor(t), newTestExecutor(t)
	for _, e := range []*Executor{e0, e1} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.Run()
		}()
		t.Cleanup(func() { // before newTestExecutor's Close: cleanups run last first
			e.Stop()
			<-done
		})
	}
	const waiters = 4
	b := NewSharedBroadcast()
	registered := make(chan struct{}, 2*waiters)
	woken := make(chan *Executor, 2*waiters)
	for _, e := range []*Executor{e0, e1} {
		for range waiters {
			w := b.Wait(0)
			waiting := false
			SpawnDetached(e, &taskFunc[struct{}]{poll: func(cx *Context) Poll[struct{}] {
				if !w.Poll(cx).IsReady() {
					if !waiting {
						waiting = true
						registered <- struct{}{}
					}
					return Pending[struct{}]()
				}
				woken <- cx.Executor()
				return Ready(struct{}{})
			}})
		}
	}
	for range 2 * waiters {
		<-registered
	}
	SpawnDetached(e0, &taskFunc[struct{}]{poll: func(*Context) Poll[struct{}] {
		b.NotifyAll()
		return Ready(struct{}{})
	}})
	on := map[*Executor]int{}
	for range 2 * waiters {
		select {
		case e := <-woken:
			on[e]++
		case <-time.After(time.Minute):
			t.Fatalf("woken so far: %d on e0, %d on e1: a lost wake-up", on[e0], on[e1])
		}
	}
	if on[e0] != waiters || on[e1] != waiters {
		t.Fatalf("woken: %d on e0, %d on e1, want %d each", on[e0], on[e1], waiters)
	}
}
