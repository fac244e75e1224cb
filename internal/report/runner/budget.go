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

// A Job is one top-level benchmark at one budget: one run of the bench
// binary, or of an anchor program. A benchmark's job normally runs every
// column; when calibration finds a strategy whose calls cost most of the
// job's (thread), the job is split into one running only that strategy
// and one running all the others, so that each gets an iteration count
// sized to it (see SplitSlow).
type Job struct {
	Bench  string   // "BenchmarkPingPong"
	CPUs   int      //
	Only   []string // the only columns to run (-iostrat.impls); nil for all
	Skip   []string // the columns not to run (-iostrat.skip-impls)
	Anchor *Anchor  // the anchor program the job runs; nil for the bench binary
}

// The bench binary's column flags.
const (
	ImplsFlag     = "-iostrat.impls"
	SkipImplsFlag = "-iostrat.skip-impls"
)

// JobsFor lists the jobs of the top-level benchmarks names on a machine
// with cpus CPUs: each benchmark at each of its budgets, in order, each
// followed by the same benchmark and budget of every anchor program that
// has columns there and could be built.
func JobsFor(names []string, cpus int, anchors ...*Anchor) []Job {
	var jobs []Job
	for _, name := range names {
		for _, n := range budgetsFor(strings.TrimPrefix(name, "Benchmark"), cpus) {
			jobs = append(jobs, Job{Bench: name, CPUs: n})
			for _, a := range anchors {
				if a.Kind == AnchorProgram && a.NA == "" && len(a.Benchmarks([]string{name})) > 0 {
					jobs = append(jobs, Job{Bench: name, CPUs: n, Anchor: a})
				}
			}
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

// ID names a job: its benchmark as go test names its results
// ("PingPong" at cpus=1, "PingPong-2" at cpus=2), with what narrows it
// before the budget: ".only-thread", ".skip-thread", ".anchor-rust". The
// benchtime line uses it.
func (j Job) ID() string {
	id := strings.TrimPrefix(j.Bench, "Benchmark")
	switch {
	case j.Anchor != nil:
		id += ".anchor-" + j.Anchor.Name
	case j.Only != nil:
		id += ".only-" + strings.Join(j.Only, "+")
	case j.Skip != nil:
		id += ".skip-" + strings.Join(j.Skip, "+")
	}
	if j.CPUs != 1 {
		id += fmt.Sprintf("-%d", j.CPUs)
	}
	return id
}

// String names a job in progress lines and errors: "BenchmarkPingPong
// at cpus=2", "BenchmarkSpawn (thread only) at cpus=1".
func (j Job) String() string {
	what := j.Bench
	switch {
	case j.Anchor != nil:
		what += " (anchor " + j.Anchor.Name + ")"
	case j.Only != nil:
		what += " (" + strings.Join(j.Only, ", ") + " only)"
	case j.Skip != nil:
		what += " (without " + strings.Join(j.Skip, ", ") + ")"
	}
	return fmt.Sprintf("%s at cpus=%d", what, j.CPUs)
}

// A JobID is a job id taken apart (ParseJobID).
type JobID struct {
	Base   string   // the top-level benchmark without "Benchmark"
	CPUs   int      // 1 without a suffix
	Only   []string // see Job
	Skip   []string
	Anchor string // the anchor program's name; "" for the bench binary
}

// ParseJobID takes an id apart.
func ParseJobID(id string) JobID {
	var j JobID
	j.Base, j.CPUs = id, 1
	if i := strings.LastIndexByte(id, '-'); i > 0 {
		if n, err := strconv.Atoi(id[i+1:]); err == nil && n > 0 {
			j.Base, j.CPUs = id[:i], n
		}
	}
	base, narrow, _ := strings.Cut(j.Base, ".")
	j.Base = base
	if v, ok := strings.CutPrefix(narrow, "only-"); ok {
		j.Only = strings.Split(v, "+")
	} else if v, ok := strings.CutPrefix(narrow, "skip-"); ok {
		j.Skip = strings.Split(v, "+")
	} else if v, ok := strings.CutPrefix(narrow, "anchor-"); ok {
		j.Anchor = v
	}
	return j
}

// ColumnFlags are the bench binary's flags that narrow a job to some
// columns; none for a whole benchmark.
func ColumnFlags(only, skip []string) []string {
	switch {
	case only != nil:
		return []string{ImplsFlag + "=" + strings.Join(only, ",")}
	case skip != nil:
		return []string{SkipImplsFlag + "=" + strings.Join(skip, ",")}
	}
	return nil
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
