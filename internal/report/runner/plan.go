package runner

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"
)

// Choosing -test.benchtime.
//
// A report must finish within its time budget, whatever the catalogue
// holds. So the run first calibrates: it runs every job (a top-level
// benchmark at one CPU budget; a benchmark with two budgets is two jobs,
// each with its own leaves, process and cost) once with -benchtime 1x, which gives the
// duration of one call of each leaf and the fixed cost of the process,
// the runtimes and the client processes. Then each job gets an
// iteration count, -benchtime Nx: every leaf makes
// exactly N calls per repetition, so a repetition's cost is predictable
// (fixed cost + N × one pass over its leaves) and no leaf is cut short by
// a time limit meant for its slowest sibling. N is one time target
// divided by the job's pass, within [1, maxIters]; the target is the
// largest for which Count repetitions are estimated to fit the budget. A
// job whose single pass already outlasts the target (open-loop
// latency, idle connections) makes one call per leaf per repetition, so
// repetitions, not iterations, carry its statistics.
const (
	DefaultCount      = 10 // repetitions of a full run
	DefaultQuickCount = 6  // repetitions of a quick run: the fewest with a finite 95% CI of the median

	maxIters      = 100_000 // most calls per leaf per repetition
	minQuickCount = 3       // a quick run cut to fit its budget keeps at least this many runs
	noiseMargin   = 1.25    // estimates are scaled by this: a shared machine runs slower than its calibration
)

// A Calibration is what one 1x run of a job told.
type Calibration struct {
	Name  string          // the job's id: "Spawn", "PingPong-2"
	Wall  time.Duration   // the whole process
	Calls []time.Duration // one call of each leaf that ran
	Impls []string        // the column (impl=) of each call's leaf; "" for none
}

// calibrate reads a 1x run's output.
func Calibrate(name string, out []byte, wall time.Duration) Calibration {
	c := Calibration{Name: name, Wall: wall}
	r := benchfmt.NewReader(bytes.NewReader(out), name)
	for r.Scan() {
		res, ok := r.Result().(*benchfmt.Result)
		if !ok || res.Iters <= 0 {
			continue
		}
		if sec, ok := res.Value("sec/op"); ok {
			c.Calls = append(c.Calls, time.Duration(sec*1e9*float64(res.Iters)))
			c.Impls = append(c.Impls, implOf(string(res.Name)))
		}
	}
	return c
}

// pass is one call of every leaf.
func (c Calibration) pass() time.Duration {
	var p time.Duration
	for _, d := range c.Calls {
		p += d
	}
	return p
}

// overhead is the Calibration's wall time not spent in calls: process
// start, runtime start and close, client processes, printing.
func (c Calibration) overhead() time.Duration { return max(c.Wall-c.pass(), 0) }

// itersFor is the iteration count c gets for the time target.
func (c Calibration) itersFor(target time.Duration) int {
	p := c.pass()
	if p <= 0 {
		return maxIters
	}
	return int(min(max(int64(target/p), 1), maxIters))
}

// perRun estimates one run of c with iters calls per leaf.
func (c Calibration) perRun(iters int) time.Duration {
	return c.overhead() + time.Duration(iters)*c.pass()
}

// A Plan is the chosen iteration counts and what they are expected
// to cost.
type Plan struct {
	Names    []string                 // job ids in run order
	Iters    map[string]int           // -benchtime Nx per job
	PerRun   map[string]time.Duration // estimated wall time of one run
	Target   time.Duration            // the time target the counts divide
	Count    int
	Estimate time.Duration // all Count repetitions
	Budget   time.Duration
	Fits     bool
}

// PlanBenchtime chooses the iteration counts for count repetitions
// within budget: the largest time target that fits. If even one call per
// leaf does not fit, a quick run whose count was not given is cut to
// fewer repetitions (not below minQuickCount); a full run keeps its count
// and the plan says it does not fit.
func PlanBenchtime(cals []Calibration, count int, budget time.Duration, quick, countFixed bool) Plan {
	p := makePlan(cals, count, 0, budget)
	if !p.Fits {
		if quick && !countFixed {
			for p.Count > minQuickCount && !p.Fits {
				p = makePlan(cals, p.Count-1, 0, budget)
			}
		}
		return p
	}
	// The estimate grows with the target; find the largest that fits.
	lo, hi := time.Duration(0), budget
	for hi-lo > time.Millisecond {
		mid := lo + (hi-lo)/2
		if makePlan(cals, count, mid, budget).Fits {
			lo = mid
		} else {
			hi = mid
		}
	}
	return makePlan(cals, count, lo, budget)
}

func makePlan(cals []Calibration, count int, target, budget time.Duration) Plan {
	p := Plan{
		Iters:  make(map[string]int),
		PerRun: make(map[string]time.Duration),
		Target: target, Count: count, Budget: budget,
	}
	var rep time.Duration
	for _, c := range cals {
		n := c.itersFor(target)
		p.Names = append(p.Names, c.Name)
		p.Iters[c.Name] = n
		p.PerRun[c.Name] = time.Duration(noiseMargin * float64(c.perRun(n)))
		rep += p.PerRun[c.Name]
	}
	p.Estimate = time.Duration(count) * rep
	p.Fits = p.Estimate <= budget
	return p
}

// String is the benchtime config value: each benchmark's -test.benchtime
// and the rule that chose it.
func (p Plan) String() string {
	var b strings.Builder
	for _, name := range p.Names {
		fmt.Fprintf(&b, "%s=%s ", strings.TrimPrefix(name, "Benchmark"), FormatBenchtime(p.Iters[name]))
	}
	fmt.Fprintf(&b, "(calls per leaf: %v divided by one call of every leaf, within [1, %d], calibrated by a 1x run)", p.Target.Round(time.Millisecond), maxIters)
	return b.String()
}

// FormatBenchtime is an iteration count as -test.benchtime takes it.
func FormatBenchtime(iters int) string { return fmt.Sprintf("%dx", iters) }

// remaining estimates the wall time of the runs from repetition rep,
// benchmark index i on: each benchmark's mean so far, or its planned
// estimate before it has run.
func Remaining(names []string, p Plan, took map[string][]time.Duration, rep, i, count int) time.Duration {
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
