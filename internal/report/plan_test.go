package report

import (
	"strings"
	"testing"
	"time"
)

const ms = time.Millisecond

func TestCalibrate(t *testing.T) {
	out := []byte("goos: linux\nBenchmarkA/impl=x-2 \t 1 \t 2000000 ns/op\nBenchmarkA/impl=y\n--- SKIP: BenchmarkA/impl=y\nBenchmarkA/impl=z-2 \t 1 \t 5000000 ns/op\n")
	c := calibrate("BenchmarkA", out, 100*ms)
	if len(c.Calls) != 2 || c.Calls[0] != 2*ms || c.Calls[1] != 5*ms {
		t.Errorf("calls %v, want [2ms 5ms]", c.Calls)
	}
	if c.overhead() != 93*ms {
		t.Errorf("overhead %v, want 93ms", c.overhead())
	}
}

func TestBenchtimePerBenchmark(t *testing.T) {
	fast := calibration{Name: "BenchmarkFast", Wall: 50 * ms, Calls: []time.Duration{ms / 10}}
	medium := calibration{Name: "BenchmarkMedium", Wall: 100 * ms, Calls: []time.Duration{30 * ms, 10 * ms}}
	slow := calibration{Name: "BenchmarkSlow", Wall: 5 * time.Second, Calls: []time.Duration{4 * time.Second}}
	for _, tt := range []struct {
		c    calibration
		want time.Duration
	}{
		{fast, 200 * ms},        // at the floor
		{medium, 600 * ms},      // 20 calls of the slowest leaf
		{slow, 2 * time.Second}, // capped; one call per run
	} {
		if got := tt.c.benchtimeFor(200*ms, 2*time.Second); got != tt.want {
			t.Errorf("%s: benchtime %v, want %v", tt.c.Name, got, tt.want)
		}
	}
}

func TestRoundBenchtime(t *testing.T) {
	for _, tt := range []struct{ in, want time.Duration }{
		{5 * ms, 5 * ms},
		{123*ms + 400*time.Microsecond, 130 * ms},
		{1234 * ms, 1300 * ms},
		{2 * time.Second, 2 * time.Second},
	} {
		if got := roundBenchtime(tt.in); got != tt.want {
			t.Errorf("roundBenchtime(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestPlanFitsBudget(t *testing.T) {
	cals := []calibration{
		{Name: "BenchmarkA", Wall: 200 * ms, Calls: []time.Duration{ms, ms, ms, ms}},
		{Name: "BenchmarkB", Wall: 2 * time.Second, Calls: []time.Duration{time.Second}},
	}
	p := planBenchtime(cals, 10, 20*time.Minute, false, false)
	if !p.Fits || p.Floor != time.Second || p.Count != 10 {
		t.Errorf("roomy budget: fits=%v floor=%v count=%d, want the largest floor", p.Fits, p.Floor, p.Count)
	}
	tight := planBenchtime(cals, 10, time.Minute, false, false)
	if !tight.Fits || tight.Floor >= p.Floor || tight.Estimate > time.Minute {
		t.Errorf("tight budget: fits=%v floor=%v estimate=%v, want a smaller floor within a minute", tight.Fits, tight.Floor, tight.Estimate)
	}
	impossible := planBenchtime(cals, 10, time.Second, false, false)
	if impossible.Fits || impossible.Count != 10 {
		t.Errorf("impossible budget, full run: fits=%v count=%d; want a warning, not fewer runs", impossible.Fits, impossible.Count)
	}
	quick := planBenchtime(cals, 6, 15*time.Second, true, false)
	if quick.Count >= 6 || quick.Count < minQuickCount {
		t.Errorf("quick run over budget kept %d runs, want fewer than 6 and at least %d", quick.Count, minQuickCount)
	}
	fixed := planBenchtime(cals, 6, 15*time.Second, true, true)
	if fixed.Count != 6 {
		t.Errorf("quick run with -count 6 cut to %d runs", fixed.Count)
	}
	if s := p.String(); !strings.HasPrefix(s, "A=1s B=2s (20 calls of the slowest leaf within [1s, 2s]") {
		t.Errorf("benchtime line %q", s)
	}
}

func TestRemaining(t *testing.T) {
	p := benchPlan{PerRun: map[string]time.Duration{"A": time.Second, "B": 2 * time.Second}}
	names := []string{"A", "B"}
	if got := remaining(names, p, nil, 0, 0, 2); got != 6*time.Second {
		t.Errorf("before any run: %v, want 6s from the plan", got)
	}
	took := map[string][]time.Duration{"A": {3 * time.Second}}
	if got := remaining(names, p, took, 0, 1, 2); got != 2*time.Second+3*time.Second+2*time.Second {
		t.Errorf("after one run: %v, want 7s (measured A, planned B)", got)
	}
}
