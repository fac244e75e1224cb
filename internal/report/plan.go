package report

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"
)

// Choosing -test.benchtime.
//
// A full report must finish in FullBudget on a 2-core machine, a quick
// one in QuickBudget, whatever the catalogue holds. So the run first
// calibrates: it runs every top-level benchmark once with -benchtime 1x,
// which gives the number of leaves, the duration of one call of each,
// and the fixed cost of the process and of starting each runtime. Then
// each top-level benchmark gets its own benchtime: long enough for
// callsPerLeaf calls of its slowest leaf, within [floor, cap]. The floor
// is the largest of a ladder of values for which Count repetitions are
// estimated to fit the budget. A leaf whose single call outlasts its
// benchtime still runs one call per repetition, so repetitions, not
// iterations, carry its statistics.
var (
	fullFloors  = []time.Duration{time.Second, 500 * time.Millisecond, 300 * time.Millisecond, 200 * time.Millisecond, 100 * time.Millisecond, 50 * time.Millisecond, 20 * time.Millisecond}
	quickFloors = []time.Duration{20 * time.Millisecond, 10 * time.Millisecond, 5 * time.Millisecond}
)

const (
	fullCap       = 2 * time.Second       // longest benchtime of a full run
	quickCap      = 50 * time.Millisecond // longest benchtime of a quick run: a smoke run is dominated by process and setup costs
	callsPerLeaf  = 20                    // calls of the slowest leaf a benchtime aims for
	loopOvershoot = 1.1                   // b.Loop stops past the benchtime by up to a last batch
	minQuickCount = 3                     // a quick run cut to fit its budget keeps at least this many runs
	noiseMargin   = 1.25                  // estimates are scaled by this: a shared machine runs slower than its calibration
)

// A calibration is what one 1x run of a top-level benchmark told.
type calibration struct {
	Name  string          // BenchmarkSpawn
	Wall  time.Duration   // the whole process
	Calls []time.Duration // one call of each leaf that ran
}

// calibrate reads a 1x run's output.
func calibrate(name string, out []byte, wall time.Duration) calibration {
	c := calibration{Name: name, Wall: wall}
	r := benchfmt.NewReader(bytes.NewReader(out), name)
	for r.Scan() {
		res, ok := r.Result().(*benchfmt.Result)
		if !ok || res.Iters <= 0 {
			continue
		}
		if sec, ok := res.Value("sec/op"); ok {
			c.Calls = append(c.Calls, time.Duration(sec*1e9*float64(res.Iters)))
		}
	}
	return c
}

// overhead is the calibration's wall time not spent in calls: process
// start, runtime start and close, printing.
func (c calibration) overhead() time.Duration {
	o := c.Wall
	for _, d := range c.Calls {
		o -= d
	}
	return max(o, 0)
}

// benchtimeFor is the benchtime c gets for a given floor and ceiling.
func (c calibration) benchtimeFor(floor, ceiling time.Duration) time.Duration {
	var slowest time.Duration
	for _, d := range c.Calls {
		slowest = max(slowest, d)
	}
	bt := min(max(callsPerLeaf*slowest, floor), ceiling)
	return roundBenchtime(bt)
}

// roundBenchtime rounds up to two significant digits, so that the
// recorded benchtimes read like choices, not measurements.
func roundBenchtime(d time.Duration) time.Duration {
	unit := time.Millisecond
	for d/unit >= 100 {
		unit *= 10
	}
	return (d + unit - 1) / unit * unit
}

// perRun estimates one run of c at benchtime bt.
func (c calibration) perRun(bt time.Duration) time.Duration {
	est := c.overhead()
	for _, call := range c.Calls {
		est += max(call, time.Duration(loopOvershoot*float64(bt)))
	}
	return est
}

// A benchPlan is the chosen benchtimes and what they are expected to
// cost.
type benchPlan struct {
	Names     []string                 // top-level benchmarks in run order
	Benchtime map[string]time.Duration // per top-level benchmark
	PerRun    map[string]time.Duration // estimated wall time of one run
	Floor     time.Duration
	Cap       time.Duration
	Count     int
	Estimate  time.Duration // all Count repetitions
	Budget    time.Duration
	Fits      bool
}

// planBenchtime chooses the benchtimes for count repetitions within
// budget. A quick run whose count was not given is cut to fewer
// repetitions (not below minQuickCount) before it gives up fitting.
func planBenchtime(cals []calibration, count int, budget time.Duration, quick, countFixed bool) benchPlan {
	floors, ceiling := fullFloors, fullCap
	if quick {
		floors, ceiling = quickFloors, quickCap
	}
	var p benchPlan
	for _, floor := range floors {
		p = makePlan(cals, count, floor, ceiling, budget)
		if p.Fits {
			return p
		}
	}
	if quick && !countFixed {
		for p.Count > minQuickCount && !p.Fits {
			p = makePlan(cals, p.Count-1, p.Floor, ceiling, budget)
		}
	}
	return p
}

func makePlan(cals []calibration, count int, floor, ceiling, budget time.Duration) benchPlan {
	p := benchPlan{
		Benchtime: make(map[string]time.Duration),
		PerRun:    make(map[string]time.Duration),
		Floor:     floor, Cap: ceiling, Count: count, Budget: budget,
	}
	var rep time.Duration
	for _, c := range cals {
		bt := c.benchtimeFor(floor, ceiling)
		p.Names = append(p.Names, c.Name)
		p.Benchtime[c.Name] = bt
		p.PerRun[c.Name] = time.Duration(noiseMargin * float64(c.perRun(bt)))
		rep += p.PerRun[c.Name]
	}
	p.Estimate = time.Duration(count) * rep
	p.Fits = p.Estimate <= budget
	return p
}

// String is the benchtime config value: each benchmark's -test.benchtime
// and the rule that chose it.
func (p benchPlan) String() string {
	var b strings.Builder
	for _, name := range p.Names {
		fmt.Fprintf(&b, "%s=%s ", strings.TrimPrefix(name, "Benchmark"), formatBenchtime(p.Benchtime[name]))
	}
	fmt.Fprintf(&b, "(%d calls of the slowest leaf within [%v, %v], calibrated by a 1x run)", callsPerLeaf, p.Floor, p.Cap)
	return b.String()
}

// formatBenchtime is d as -test.benchtime takes it.
func formatBenchtime(d time.Duration) string { return d.String() }

// remaining estimates the wall time of the runs from repetition rep,
// benchmark index i on: each benchmark's mean so far, or its planned
// estimate before it has run.
func remaining(names []string, p benchPlan, took map[string][]time.Duration, rep, i, count int) time.Duration {
	var left time.Duration
	for r := rep; r < count; r++ {
		for j, name := range names {
			if r == rep && j < i {
				continue
			}
			left += meanOr(took[name], p.PerRun[name])
		}
	}
	return left
}

func meanOr(ds []time.Duration, fallback time.Duration) time.Duration {
	if len(ds) == 0 {
		return fallback
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}
