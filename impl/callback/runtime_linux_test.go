package callback

import (
	"testing"

	"iostrat"
)

// TestCrossThreadWithOneLoop: with Options.Loops 1, CrossThread ping-pong
// runs between loop 0 and a spare loop on another OS thread.
func TestCrossThreadWithOneLoop(t *testing.T) {
	rt, err := Strategy{}.Start(iostrat.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if n, err := rt.PingPong(100, iostrat.CrossThread); err != nil || n != 100 {
		t.Fatalf("PingPong = %d, %v", n, err)
	}
	r := rt.(*cbRuntime)
	if r.spare == nil || r.spare.tid == r.loops[0].tid {
		t.Fatal("cross-thread ping-pong did not use a second thread")
	}
	// Every round crosses threads twice, through Post.
	st := rt.Stats()
	if cb, _ := st.Get(iostrat.CallbacksRun); cb < 200 {
		t.Fatalf("%d callbacks for 100 cross-thread rounds", cb)
	}
}

// TestStatsAfterWorkload: a workload's counters are visible as soon as it
// returns, summed over loops.
func TestStatsAfterWorkload(t *testing.T) {
	rt, err := Strategy{}.Start(iostrat.Options{Loops: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	before := rt.Stats()
	if _, err := rt.Yield(10, 100); err != nil {
		t.Fatal(err)
	}
	d := rt.Stats().Sub(before)
	if cb, _ := d.Get(iostrat.CallbacksRun); cb < 10*100 {
		t.Fatalf("Yield(10, 100) moved callbacks by %d", cb)
	}
	if _, kept := d.Get(iostrat.Polls); kept {
		t.Fatal("the callback runtime claims a Polls counter it does not keep")
	}
}
