package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CPU budgets.
//
// A benchmark's budget is its GOMAXPROCS: Go's -test.cpu value, the "-N"
// suffix of a result's name (no suffix means 1). The bench harness pins
// the whole process to that many CPUs at every leaf, and every strategy
// starts with zero Options, so loops follow GOMAXPROCS: one loop at
// cpus=1, two at cpus=2. Socket benchmarks put the server (the benchmark
// process) on its budget and the client process on a CPU of its own.
//
// cpuBudgets is the one table of budgets: the benchmarks whose point is
// to use both CPUs (cross-thread dispatch and wake) run at 1 and 2; every
// other benchmark (dispatch on one loop, timers, Handoff, Harness, the
// socket benchmarks) runs at 1. A budget the machine cannot give is
// dropped, so a 1-CPU machine runs everything at 1.
var cpuBudgets = map[string][]int{
	"Inject":       {1, 2},
	"PingPong":     {1, 2},
	"WakeExternal": {1, 2},
	"FanOut":       {1, 2},
}

// defaultBudget is the budget of every benchmark cpuBudgets does not name.
var defaultBudget = []int{1}

// budgetsFor returns the -test.cpu values of a top-level benchmark (base
// name, without "Benchmark") on a machine with cpus CPUs.
func budgetsFor(base string, cpus int) []int {
	want, ok := cpuBudgets[base]
	if !ok {
		want = defaultBudget
	}
	var fit []int
	for _, n := range want {
		if n <= max(cpus, 1) {
			fit = append(fit, n)
		}
	}
	if len(fit) == 0 {
		return []int{1}
	}
	return fit
}

// A job is one top-level benchmark at one budget: one run of the binary.
// The binary takes one -test.cpu value per run (with b.Loop, the testing
// package would measure every value of a list but the last at the wrong
// GOMAXPROCS), so a benchmark with two budgets is two jobs, calibrated,
// planned and run apart.
type job struct {
	bench string // "BenchmarkPingPong"
	cpus  int
}

// jobsFor lists the jobs of the top-level benchmarks names on a machine
// with cpus CPUs: each benchmark at each of its budgets, in order.
func jobsFor(names []string, cpus int) []job {
	var jobs []job
	for _, name := range names {
		for _, n := range budgetsFor(strings.TrimPrefix(name, "Benchmark"), cpus) {
			jobs = append(jobs, job{name, n})
		}
	}
	return jobs
}

// sortedBudgets lists the budgets of jobs, each once, smallest first.
func sortedBudgets(jobs []job) []int {
	var bs []int
	for _, j := range jobs {
		bs = append(bs, j.cpus)
	}
	slices.Sort(bs)
	return slices.Compact(bs)
}

// id names a job as go test names its results: "PingPong" at cpus=1,
// "PingPong-2" at cpus=2. The benchtime line uses it.
func (j job) id() string {
	base := strings.TrimPrefix(j.bench, "Benchmark")
	if j.cpus == 1 {
		return base
	}
	return fmt.Sprintf("%s-%d", base, j.cpus)
}

// String names a job in progress lines and errors: "BenchmarkPingPong
// at cpus=2".
func (j job) String() string { return fmt.Sprintf("%s at cpus=%d", j.bench, j.cpus) }

// parseJobID takes an id apart; cpus is 1 without a suffix.
func parseJobID(id string) (base string, cpus int) {
	if i := strings.LastIndexByte(id, '-'); i > 0 {
		if n, err := strconv.Atoi(id[i+1:]); err == nil && n > 0 {
			return id[:i], n
		}
	}
	return id, 1
}

// cpuFlag formats budgets as the budget line lists them: "1,2".
func cpuFlag(budgets []int) string {
	parts := make([]string, len(budgets))
	for i, n := range budgets {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

// budgetLine is the budget config value: each benchmark's budgets, in
// run order, and what they mean.
func budgetLine(names []string, cpus int) string {
	var b strings.Builder
	for _, name := range names {
		base := strings.TrimPrefix(name, "Benchmark")
		fmt.Fprintf(&b, "%s=%s ", base, cpuFlag(budgetsFor(base, cpus)))
	}
	b.WriteString("(CPU budgets per benchmark, one run of the binary with -test.cpu N each: GOMAXPROCS, and the CPUs the harness pins the process to; the -N suffix of a result name, none for 1)")
	return b.String()
}

// namedValues reads a config value of the form "A=x B=y (comment)": the
// benchtime and budget lines. It returns nil if a field before the
// comment is not name=value.
func namedValues(line string) []namedValue {
	line, _, _ = strings.Cut(line, "(")
	var vs []namedValue
	for _, f := range strings.Fields(line) {
		name, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil
		}
		vs = append(vs, namedValue{name, v})
	}
	return vs
}

// A namedValue is one benchmark's entry in a benchtime or budget line.
type namedValue struct{ name, value string }

// Shuffling.
//
// The binary runs the strategies of a top-level benchmark in registry
// order unless -iostrat.shuffle gives it a non-zero seed, which permutes
// that order (deterministically per seed and benchmark). A run passes a
// different seed to every repetition, base+r for repetition r = 1…count,
// so no strategy always runs first (on a cold cache) or last (after its
// neighbours warmed the machine). The base seed is recorded in the
// shuffle config line, so a run can be reproduced with -seed.
const shuffleFlag = "-iostrat.shuffle"

// MaxSeed is the largest base seed: base+count stays an int64.
const MaxSeed = 1 << 62

// clockSeed is a base seed taken from the clock, never 0.
func clockSeed(now time.Time) int64 {
	return 1 + now.UnixNano()%(1<<31-1)
}

// repetitionSeed is the shuffle seed of repetition rep (0-based).
func repetitionSeed(base int64, rep int) int64 { return base + int64(rep) + 1 }

// shuffleLine is the shuffle config value.
func shuffleLine(base int64) string {
	return fmt.Sprintf("%d (repetition r = 1…count runs with %s=%d+r: the order of the strategies inside every benchmark)", base, shuffleFlag, base)
}

// shuffleSeed reads the base seed of a shuffle line; ok is false for runs
// made before shuffling.
func shuffleSeed(prov Provenance) (int64, bool) {
	field, _, _ := strings.Cut(prov.Get(KeyShuffle), " ")
	seed, err := strconv.ParseInt(field, 10, 64)
	return seed, err == nil
}
