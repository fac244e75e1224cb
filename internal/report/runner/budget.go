package runner

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

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

// A Job is one top-level benchmark at one budget: one run of the binary.
type Job struct {
	Bench string // "BenchmarkPingPong"
	CPUs  int
}

// JobsFor lists the jobs of the top-level benchmarks names on a machine
// with cpus CPUs: each benchmark at each of its budgets, in order.
func JobsFor(names []string, cpus int) []Job {
	var jobs []Job
	for _, name := range names {
		for _, n := range budgetsFor(strings.TrimPrefix(name, "Benchmark"), cpus) {
			jobs = append(jobs, Job{name, n})
		}
	}
	return jobs
}

// Budgets lists the budgets of jobs, each once, smallest first.
func Budgets(jobs []Job) []int {
	var bs []int
	for _, j := range jobs {
		bs = append(bs, j.CPUs)
	}
	slices.Sort(bs)
	return slices.Compact(bs)
}

// ID names a job as go test names its results: "PingPong" at cpus=1,
// "PingPong-2" at cpus=2. The benchtime line uses it.
func (j Job) ID() string {
	base := strings.TrimPrefix(j.Bench, "Benchmark")
	if j.CPUs == 1 {
		return base
	}
	return fmt.Sprintf("%s-%d", base, j.CPUs)
}

// String names a job in progress lines and errors: "BenchmarkPingPong
// at cpus=2".
func (j Job) String() string { return fmt.Sprintf("%s at cpus=%d", j.Bench, j.CPUs) }

// ParseJobID takes an id apart; cpus is 1 without a suffix.
func ParseJobID(id string) (base string, cpus int) {
	if i := strings.LastIndexByte(id, '-'); i > 0 {
		if n, err := strconv.Atoi(id[i+1:]); err == nil && n > 0 {
			return id[:i], n
		}
	}
	return id, 1
}

// CPUList formats budgets as the budget line lists them: "1,2".
func CPUList(budgets []int) string {
	parts := make([]string, len(budgets))
	for i, n := range budgets {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

// BudgetLine is the budget config value: each benchmark's budgets, in
// run order, and what they mean.
func BudgetLine(names []string, cpus int) string {
	var b strings.Builder
	for _, name := range names {
		base := strings.TrimPrefix(name, "Benchmark")
		fmt.Fprintf(&b, "%s=%s ", base, CPUList(budgetsFor(base, cpus)))
	}
	b.WriteString("(CPU budgets per benchmark, one run of the binary with -test.cpu N each: GOMAXPROCS, and the CPUs the harness pins the process to; the -N suffix of a result name, none for 1)")
	return b.String()
}

// A NamedValue is one benchmark's entry in a benchtime or budget line.
type NamedValue struct{ Name, Value string }

// NamedValues reads a config value of the form "A=x B=y (comment)": the
// benchtime and budget lines. It returns nil if a field before the
// comment is not name=value.
func NamedValues(line string) []NamedValue {
	line, _, _ = strings.Cut(line, "(")
	var vs []NamedValue
	for _, f := range strings.Fields(line) {
		name, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil
		}
		vs = append(vs, NamedValue{name, v})
	}
	return vs
}
