package callback

import (
	"errors"
	"fmt"
	"testing"

	"iostrat"
)

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

// TestParkOption: Options.Park reaches every loop and is published as the
// knob "park"; a mode the callback loop does not know is refused.
func TestParkOption(t *testing.T) {
	for _, park := range []iostrat.Park{iostrat.ParkNetpoll, iostrat.ParkThread} {
		rt, err := Strategy{}.Start(iostrat.Options{Loops: 2, Park: park})
		if err != nil {
			t.Fatal(err)
		}
		if got := rt.Info().Knob("park"); got != park.String() {
			t.Errorf("Park %v: knob park=%q", park, got)
		}
		for i, l := range rt.(*strategyRuntime).loops {
			if (l.parker != nil) != (park == iostrat.ParkNetpoll) {
				t.Errorf("Park %v: loop %d parker %v", park, i, l.parker)
			}
		}
		// The mode is the loops': a spare loop gets it too.
		if _, err := rt.PingPong(10, iostrat.CrossThread); err != nil {
			t.Error(err)
		}
		rt.Close()
	}
	if rt, err := (Strategy{}).Start(iostrat.Options{Park: 7}); err == nil {
		rt.Close()
		t.Fatal("Start with an unknown park mode succeeded")
	}
}

// TestStatsNamesEveryCounter: each field of a loop's Counters is added to
// its own iostrat counter, and those ten are all the runtime keeps.
func TestStatsNamesEveryCounter(t *testing.T) {
	c := Counters{
		Callbacks: 1, SpuriousWakes: 2, Parks: 3, EpollWaits: 4, EpollCtls: 5,
		Reads: 6, Writes: 7, Accepts: 8, EventfdWrites: 9, EventfdReads: 10,
	}
	want := map[iostrat.Counter]uint64{
		iostrat.CallbacksRun: 2, iostrat.SpuriousWakes: 4, iostrat.Parks: 6,
		iostrat.SysEpollWait: 8, iostrat.SysEpollCtl: 10, iostrat.SysRead: 12,
		iostrat.SysWrite: 14, iostrat.SysAccept: 16, iostrat.SysEventfdWrite: 18,
		iostrat.SysEventfdRead: 20,
	}
	var s iostrat.Stats
	addCounters(&s, c)
	addCounters(&s, c) // two loops
	for _, k := range iostrat.Counters() {
		v, kept := s.Get(k)
		if w, ok := want[k]; kept != ok || v != w {
			t.Errorf("%v = %d (kept %v), want %d (kept %v)", k, v, kept, w, ok)
		}
	}
}

// TestTriggerOption: Options.Trigger reaches the server's config and is
// published as the knob "trigger".
func TestTriggerOption(t *testing.T) {
	for _, trig := range []iostrat.Trigger{iostrat.Level, iostrat.Edge} {
		rt, err := Strategy{}.Start(iostrat.Options{Loops: 1, Trigger: trig})
		if err != nil {
			t.Fatal(err)
		}
		if got := rt.(*strategyRuntime).scfg.Trigger.String(); got != trig.String() {
			t.Errorf("Trigger %v: server trigger %v", trig, got)
		}
		if got := rt.Info().Knob("trigger"); got != trig.String() {
			t.Errorf("Trigger %v: knob trigger=%q", trig, got)
		}
		rt.Close()
	}
}

// TestClosedErrors: the library's ErrClosed reads as iostrat.ErrClosed
// through the adapter, and other errors pass through unchanged.
func TestClosedErrors(t *testing.T) {
	err := closedErr(fmt.Errorf("posting: %w", ErrClosed))
	if !errors.Is(err, iostrat.ErrClosed) || !errors.Is(err, ErrClosed) {
		t.Errorf("closedErr(ErrClosed) = %v: not both ErrClosed", err)
	}
	other := errors.New("other")
	if got := closedErr(other); got != other || errors.Is(got, iostrat.ErrClosed) {
		t.Errorf("closedErr(other) = %v", got)
	}
	rt, err := Strategy{}.Start(iostrat.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	l := rt.(*strategyRuntime).loops[0]
	l.Close() // the loop stops under the runtime
	if err := rt.(*strategyRuntime).run(l, func() {}); !errors.Is(err, iostrat.ErrClosed) {
		t.Errorf("a workload on a stopped loop: %v, want iostrat.ErrClosed", err)
	}
	rt.Close()
}
