package report

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"iostrat"
	"iostrat/internal/report/process"
	"iostrat/internal/report/raw"
	"iostrat/internal/report/runner"
	"iostrat/internal/report/summary"
)

// Time budgets of a run, build to page.
const (
	FullBudget  = 19 * time.Minute // wall time a full report may take
	QuickBudget = 75 * time.Second // wall time a quick report may take
	// With anchors a run has more jobs (the anchor programs, and the
	// anchor columns in the bench binary), and the anchors' builds do
	// not count: the budget grows by the time they took.
	FullAnchorsBudget  = 25 * time.Minute
	QuickAnchorsBudget = 4 * time.Minute
	publishReserve     = 10 * time.Second // kept for benchstat, charts and the page
)

// RunOptions configure a run of the benchmark catalogue.
type RunOptions struct {
	// ModuleDir is the root of the iostrat module, where ./bench is.
	ModuleDir string
	// OutDir is the results directory; the raw file goes to OutDir/raw.
	OutDir string
	// Count is the number of repetitions; 0 means runner.DefaultCount,
	// or runner.DefaultQuickCount for a quick run, cut or grown to fit
	// the budget.
	Count int
	// Quick asks for a smoke run: -short parameters, short benchtimes,
	// QuickBudget.
	Quick bool
	// Bench selects benchmarks like go test -bench; "" means all.
	Bench string
	// Budget is the wall time the whole report may take, anchors' builds
	// aside; 0 means FullBudget or QuickBudget (with Anchors,
	// FullAnchorsBudget or QuickAnchorsBudget).
	Budget time.Duration
	// Strategies are the registered strategies, described in the header.
	Strategies []iostrat.Strategy
	// IOURing reports the io_uring features, or why io_uring is
	// unavailable; nil gives "unknown".
	IOURing func() string
	// Runner runs commands; nil means process.Exec.
	Runner process.Runner
	// Progress receives one line per step; nil discards them.
	Progress io.Writer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// CPUs is the number of CPUs the benchmarks may use; 0 means
	// runtime.NumCPU(). Budgets above it are not run.
	CPUs int
	// Seed is the base seed of the strategies' order: repetition r runs
	// with -iostrat.shuffle=Seed+r. 0 takes one from the clock; either
	// way the shuffle config line records it.
	Seed int64
	// Remote is the agent the socket benchmarks' server runs on (their
	// client runs here); zero runs everything here. The other benchmarks
	// run here either way.
	Remote runner.Remote
	// Anchors asks for the anchors (runner.Anchors) to be built and run
	// beside the strategies.
	Anchors bool
}

// A run is the state of one [Run].
type run struct {
	RunOptions
	countFixed bool // Count was given, not defaulted
	wanted     int  // the count asked for, or the default
	start      time.Time
	bin        *runner.Binary
	remote     raw.RemoteMachine // the agent's machine of a remote run
	anchors    []*runner.Anchor  // the run's anchors; none without Anchors
	benchNames []string          // the top-level benchmarks the run selects
}

// Run builds the benchmark binary, runs the catalogue Count times,
// interleaved (the outer loop is the repetition, the inner loop the
// jobs, so slow drift of the machine does not favour one benchmark), and
// writes the raw Go benchmark format, headed by the run's provenance, to
// a new file under OutDir/raw. It returns that file's path. A benchmark
// that fails (not one that skips) fails the run with the tail of the
// binary's output, and nothing is written.
func Run(ctx context.Context, o RunOptions) (rawPath string, err error) {
	r, err := newRun(o)
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp("", "iostrat-report-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	names, err := r.build(ctx, filepath.Join(tmp, "bench.test"))
	if err != nil {
		return "", err
	}
	if err := r.probeRemote(ctx, names); err != nil {
		return "", err
	}
	r.buildAnchors(ctx, filepath.Join(tmp, "anchors"), names)
	jobs := runner.JobsFor(names, r.CPUs, r.anchors...)
	cals, brand, err := r.calibrate(ctx, jobs)
	if err != nil {
		return "", err
	}
	if jobs, cals, err = r.splitSlow(ctx, jobs, cals); err != nil {
		return "", err
	}
	plan := r.plan(cals, names, jobs)
	machine, settings := r.provenance(ctx, brand, names, jobs, plan)
	body, err := r.repeat(ctx, jobs, plan, raw.NewProvenance(machine, settings))
	if err != nil {
		return "", err
	}
	return r.write(body, machine, settings)
}

// newRun fills in the defaults of o.
func newRun(o RunOptions) (*run, error) {
	r := &run{RunOptions: o, countFixed: o.Count > 0}
	if r.Runner == nil {
		r.Runner = process.Exec{}
	}
	if r.Progress == nil {
		r.Progress = io.Discard
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.CPUs == 0 {
		r.CPUs = runtime.NumCPU()
	}
	if r.Seed < 0 || r.Seed > runner.MaxSeed {
		return nil, fmt.Errorf("seed %d out of range [0, %d]", r.Seed, int64(runner.MaxSeed))
	}
	if r.Seed == 0 {
		r.Seed = runner.ClockSeed(r.Now())
	}
	if !r.countFixed {
		r.Count = runner.DefaultCount
		if r.Quick {
			r.Count = runner.DefaultQuickCount
		}
	}
	r.wanted = r.Count
	if r.Budget <= 0 {
		r.Budget = defaultBudget(r.Quick, r.Anchors)
	}
	r.start = r.Now()
	return r, nil
}

// defaultBudget is the wall time a run may take when none was given.
func defaultBudget(quick, anchors bool) time.Duration {
	switch {
	case quick && anchors:
		return QuickAnchorsBudget
	case quick:
		return QuickBudget
	case anchors:
		return FullAnchorsBudget
	}
	return FullBudget
}

func (r *run) progressf(format string, args ...any) {
	fmt.Fprintf(r.Progress, "report: "+format+"\n", args...)
}

// build builds the benchmark binary at path and lists the top-level
// benchmarks the run selects.
func (r *run) build(ctx context.Context, path string) ([]string, error) {
	r.bin = &runner.Binary{Runner: r.Runner, ModuleDir: r.ModuleDir, Path: path, Bench: r.Bench, Quick: r.Quick, Remote: r.Remote}
	r.progressf("building the benchmarks: go test -c -o %s ./bench", path)
	if err := r.bin.Build(ctx); err != nil {
		return nil, err
	}
	var err error
	r.benchNames, err = r.bin.List(ctx)
	return r.benchNames, err
}

// probeRemote describes the agent's machine and the path to it, before
// any benchmark loads either; nothing for a local run.
func (r *run) probeRemote(ctx context.Context, names []string) error {
	if r.Remote.Addr == "" {
		return nil
	}
	r.progressf("probing the agent at %s: its machine, and the round trip of the path", r.Remote.Addr)
	var err error
	if r.remote, err = runner.ProbeRemote(ctx, r.Remote, names); err != nil {
		return err
	}
	r.progressf("agent: %s (%s), round trip %v; the server of %s runs there",
		r.remote.Hostname, r.remote.CPU, r.remote.RTT.Round(time.Microsecond), strings.Join(r.remote.Benchmarks, ", "))
	return nil
}

// calibrate runs every job once with one call per leaf. It also returns
// the processor's brand as go test printed it.
func (r *run) calibrate(ctx context.Context, jobs []runner.Job) ([]runner.Calibration, string, error) {
	var cals []runner.Calibration
	brand := ""
	for i, j := range jobs {
		r.progressf("calibrating %s (%d/%d): one call per leaf", j, i+1, len(jobs))
		out, wall, err := r.runJob(ctx, j, "1x", 0)
		if err != nil {
			return nil, "", err
		}
		if out == nil {
			continue // an anchor that failed: its jobs are gone
		}
		cals = append(cals, runner.Calibrate(j.ID(), out, wall))
		if brand == "" {
			brand = raw.ConfigValue(out, raw.KeyCPU)
		}
	}
	return cals, brand, nil
}

// plan chooses the benchtimes, and the count when it was not given, for
// what is left of the budget.
func (r *run) plan(cals []runner.Calibration, names []string, jobs []runner.Job) runner.Plan {
	plan := runner.PlanBenchtime(cals, r.Count, r.Budget-r.Now().Sub(r.start)-publishReserve, r.Quick, r.countFixed)
	r.Count = plan.Count
	if !plan.Fits {
		r.progressf("warning: %d runs are estimated to take %v, over the budget of %v; run a subset with -bench or fewer with -count",
			r.Count, plan.Estimate.Round(time.Second), r.Budget)
	}
	r.progressf("plan: %d runs of %d benchmarks (%d binary runs per repetition: one per benchmark and budget), benchtime %s, budgets %s, shuffle seeds %d+r; estimated %v",
		r.Count, len(names), len(jobs), plan, runner.BudgetLine(names, r.CPUs), r.Seed, plan.Estimate.Round(time.Second))
	return plan
}

// provenance probes the machine and describes the run. The count and
// pinning lines are settled once the repetitions are done.
func (r *run) provenance(ctx context.Context, brand string, names []string, jobs []runner.Job, plan runner.Plan) (raw.Machine, raw.RunSettings) {
	machine := runner.ProbeMachine(ctx, r.Runner, r.ModuleDir, r.start)
	machine.CPU = runner.WithBrand(machine.CPU, brand)
	machine.IOURing = "unknown"
	if r.IOURing != nil {
		machine.IOURing = r.IOURing()
	}
	machine.Knobs = runner.DescribeStrategies(r.Strategies, runner.Budgets(jobs)...)
	machine.Remote = r.remote
	machine.Anchors = r.anchorLines(machine.GoVersion)
	settings := raw.RunSettings{
		Count: r.Count, Benchtime: plan.String(), Quick: r.Quick, Bench: r.Bench,
		Budget: runner.BudgetLine(names, r.CPUs), Shuffle: runner.ShuffleLine(r.Seed),
		Pinning: "not yet observed",
	}
	return machine, settings
}

// repeat runs the jobs Count times, interleaved, and returns their
// transcribed output: the raw file's body, under header.
func (r *run) repeat(ctx context.Context, jobs []runner.Job, plan runner.Plan, header raw.Provenance) (*bytes.Buffer, error) {
	var body bytes.Buffer
	tr := raw.NewTranscriber(&body, header)
	took := make(map[string][]time.Duration)
	deadline := r.start.Add(r.Budget - publishReserve)
	repsStart := r.Now()
	for rep := 0; rep < r.Count; rep++ {
		for i, j := range jobs {
			r.progressf("run %d/%d %s (%d/%d), %v elapsed, about %v left",
				rep+1, r.Count, j, rep*len(jobs)+i+1, r.Count*len(jobs), r.Now().Sub(r.start).Round(time.Second),
				runner.Remaining(plan.Names, plan, took, rep, i, r.Count).Round(time.Second))
			out, wall, err := r.runJob(ctx, j, runner.FormatBenchtime(plan.Iters[j.ID()]), runner.RepetitionSeed(r.Seed, rep))
			if err != nil {
				return nil, err
			}
			if out == nil {
				continue // an anchor that failed: it reads n/a from here on
			}
			took[j.ID()] = append(took[j.ID()], wall)
			tr.Transcribe(out)
		}
		if !r.countFixed {
			r.fitCount(rep, repsStart, deadline)
		}
	}
	return &body, nil
}

// fitCount sets a default count after repetition rep by the clock
// rather than the calibration: as many repetitions as the measured ones
// say fit before the deadline, up to the default.
func (r *run) fitCount(rep int, repsStart, deadline time.Time) {
	now := r.Now()
	perRep := now.Sub(repsStart) / time.Duration(rep+1)
	fit := rep + 1 + int(deadline.Sub(now)/max(perRep, time.Nanosecond))
	switch next := max(min(r.wanted, fit), rep+1); {
	case next < r.Count:
		r.progressf("warning: %d runs instead of %d: more would end past the budget of %v", next, r.Count, r.Budget)
		r.Count = next
	case next > r.Count:
		r.progressf("the runs are faster than calibrated: %d runs instead of %d", next, r.Count)
		r.Count = next
	}
}

// write puts the header on top of body, now that the runs are done, so
// that its count says how many were made and its pinning line what the
// results observed, and writes the raw file.
func (r *run) write(body *bytes.Buffer, machine raw.Machine, settings raw.RunSettings) (string, error) {
	body.WriteString(r.anchorSkips())
	machine.Anchors = r.anchorLines(machine.GoVersion) // an anchor may have failed since the header was made
	results, err := raw.Parse(body.Bytes(), "the run's output")
	if err != nil {
		return "", err
	}
	settings.Count, settings.Pinning = r.Count, summary.DescribePlacement(results.Results)
	r.progressf("placement observed: %s", settings.Pinning)
	var file bytes.Buffer
	raw.NewProvenance(machine, settings).WriteTo(&file)
	body.WriteTo(&file)
	rawPath, err := raw.WriteNew(filepath.Join(r.OutDir, "raw"), raw.BaseName(r.start, machine.Commit), r.Quick, r.start, file.Bytes())
	if err != nil {
		return "", err
	}
	r.progressf("wrote %s (%v)", rawPath, r.Now().Sub(r.start).Round(time.Second))
	return rawPath, nil
}
