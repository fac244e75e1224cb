package runner

import (
	"strings"
	"testing"
	"time"
)

const ms = time.Millisecond

func TestCalibrate(t *testing.T) {
	out := []byte("goos: linux\nBenchmarkA/impl=x-2 \t 1 \t 2000000 ns/op\nBenchmarkA/impl=y\n--- SKIP: BenchmarkA/impl=y\nBenchmarkA/impl=z-2 \t 1 \t 5000000 ns/op\n")
	c := Calibrate("BenchmarkA", out, 100*ms)
	if len(c.Calls) != 2 || c.Calls[0] != 2*ms || c.Calls[1] != 5*ms {
		t.Errorf("calls %v, want [2ms 5ms]", c.Calls)
	}
	if c.overhead() != 93*ms {
		t.Errorf("overhead %v, want 93ms", c.overhead())
	}
}

func TestItersPerBenchmark(t *testing.T) {
	fast := Calibration{Name: "BenchmarkFast", Wall: 50 * ms, Calls: []time.Duration{ms / 10}}
	medium := Calibration{Name: "BenchmarkMedium", Wall: 100 * ms, Calls: []time.Duration{30 * ms, 10 * ms}}
	slow := Calibration{Name: "BenchmarkSlow", Wall: 5 * time.Second, Calls: []time.Duration{4 * time.Second}}
	trivial := Calibration{Name: "BenchmarkTrivial", Wall: 10 * ms, Calls: []time.Duration{10}}
	for _, tt := range []struct {
		c    Calibration
		want int
	}{
		{fast, 2000},        // 200ms of 0.1ms calls
		{medium, 5},         // 200ms over a 40ms pass
		{slow, 1},           // one call per leaf, whatever the target
		{trivial, maxIters}, // capped
	} {
		if got := tt.c.itersFor(200 * ms); got != tt.want {
			t.Errorf("%s: %d iterations, want %d", tt.c.Name, got, tt.want)
		}
	}
	if got := medium.perRun(5); got != 60*ms+5*40*ms {
		t.Errorf("perRun(5) = %v, want overhead 60ms + 5 passes of 40ms", got)
	}
}

func TestPlanFitsBudget(t *testing.T) {
	cals := []Calibration{
		{Name: "BenchmarkA", Wall: 200 * ms, Calls: []time.Duration{ms, ms, ms, ms}},
		{Name: "BenchmarkB", Wall: 2 * time.Second, Calls: []time.Duration{time.Second}},
	}
	p := PlanBenchtime(cals, 10, 20*time.Minute, false, false)
	if !p.Fits || p.Count != 10 || p.Estimate > 20*time.Minute || p.Estimate < 15*time.Minute {
		t.Errorf("roomy budget: fits=%v count=%d estimate=%v, want most of 20m used", p.Fits, p.Count, p.Estimate)
	}
	if p.Iters["BenchmarkA"] <= p.Iters["BenchmarkB"] {
		t.Errorf("iterations %v: the faster benchmark should make more calls", p.Iters)
	}
	tight := PlanBenchtime(cals, 10, time.Minute, false, false)
	if !tight.Fits || tight.Target >= p.Target || tight.Estimate > time.Minute {
		t.Errorf("tight budget: fits=%v target=%v estimate=%v, want a smaller target within a minute", tight.Fits, tight.Target, tight.Estimate)
	}
	impossible := PlanBenchtime(cals, 10, time.Second, false, false)
	if impossible.Fits || impossible.Count != 10 || impossible.Iters["BenchmarkB"] != 1 {
		t.Errorf("impossible budget, full run: fits=%v count=%d; want a warning, one call per leaf, not fewer runs", impossible.Fits, impossible.Count)
	}
	quick := PlanBenchtime(cals, 6, 15*time.Second, true, false)
	if quick.Count >= 6 || quick.Count < minQuickCount {
		t.Errorf("quick run over budget kept %d runs, want fewer than 6 and at least %d", quick.Count, minQuickCount)
	}
	fixed := PlanBenchtime(cals, 6, 15*time.Second, true, true)
	if fixed.Count != 6 {
		t.Errorf("quick run with -count 6 cut to %d runs", fixed.Count)
	}
	if s := tight.String(); !strings.HasPrefix(s, "A=") || !strings.Contains(s, "x B=1x (calls per leaf:") {
		t.Errorf("benchtime line %q", s)
	}
}

func TestRemaining(t *testing.T) {
	p := Plan{PerRun: map[string]time.Duration{"A": time.Second, "B": 2 * time.Second}}
	names := []string{"A", "B"}
	if got := Remaining(names, p, nil, 0, 0, 2); got != 6*time.Second {
		t.Errorf("before any run: %v, want 6s from the plan", got)
	}
	took := map[string][]time.Duration{"A": {3 * time.Second}}
	if got := Remaining(names, p, took, 0, 1, 2); got != 2*time.Second+3*time.Second+2*time.Second {
		t.Errorf("after one run: %v, want 7s (measured A, planned B)", got)
	}
}
