package futures

import (
	"fmt"
	"testing"

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
			r := rt.(*strategyRuntime)
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
