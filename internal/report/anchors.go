package report

import (
	"context"
	"os"
	"strings"
	"time"

	"iostrat/internal/report/raw"
	"iostrat/internal/report/runner"
)

// buildAnchors builds the anchors of a run with anchors into dir; one
// that cannot be built is n/a with the reason, and the run goes on. It
// sets the bench binary's anchor flags, and adds the builds' time to the
// run's budget.
func (r *run) buildAnchors(ctx context.Context, dir string, names []string) {
	if !r.Anchors {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		r.progressf("warning: anchors: %v", err)
	}
	start := r.Now()
	defer func() { r.Budget += r.Now().Sub(start) }() // builds are not measurement
	for _, a := range runner.Anchors() {
		if len(a.Benchmarks(names)) == 0 {
			continue // no benchmark of this run has its columns
		}
		if cmd := a.BuildCommand(dir); cmd != nil {
			r.progressf("building anchor %s: %s", a.Name, strings.Join(cmd, " "))
		}
		a.Build(ctx, r.Runner, r.ModuleDir, dir)
		if a.NA != "" {
			r.progressf("warning: anchor %s is n/a: %s", a.Name, a.NA)
		}
		r.anchors = append(r.anchors, a)
	}
	r.bin.Anchors = runner.BenchFlags(r.anchors)
}

// runJob runs a job once: the bench binary, or an anchor program. An
// anchor program that fails becomes n/a with the reason, and runJob
// returns no output and no error, so the run goes on without it; an
// anchor already n/a is not run.
func (r *run) runJob(ctx context.Context, j runner.Job, benchtime string, seed int64) ([]byte, time.Duration, error) {
	a := j.Anchor
	if a == nil {
		return r.bin.Run(ctx, j, benchtime, seed)
	}
	if a.NA != "" {
		return nil, 0, nil
	}
	start := time.Now()
	out, err := a.Run(ctx, r.Runner, r.ModuleDir, j, benchtime, r.Quick)
	if ctx.Err() != nil {
		return nil, 0, ctx.Err()
	}
	if err != nil {
		a.NA = "it failed: " + raw.OneLine(err.Error())
		r.progressf("warning: anchor %s is n/a from here on: %v", a.Name, err)
		return nil, 0, nil
	}
	return out, time.Since(start), nil
}

// splitSlow gives a column whose calls make up most of its job's pass a
// job of its own (Calibration.SlowColumn), calibrating the two new jobs,
// and drops the jobs of anchors that failed. A quick run does not split:
// its jobs make one call per leaf or a few either way, and a split would
// only add processes.
func (r *run) splitSlow(ctx context.Context, jobs []runner.Job, cals []runner.Calibration) ([]runner.Job, []runner.Calibration, error) {
	byID := make(map[string]runner.Calibration)
	for _, c := range cals {
		byID[c.Name] = c
	}
	var outJobs []runner.Job
	var outCals []runner.Calibration
	for _, j := range jobs {
		c, ok := byID[j.ID()]
		if !ok || (j.Anchor != nil && j.Anchor.NA != "") {
			continue // an anchor that failed
		}
		slow := ""
		if j.Anchor == nil && !r.Quick {
			slow = c.SlowColumn()
		}
		if slow == "" {
			outJobs, outCals = append(outJobs, j), append(outCals, c)
			continue
		}
		r.progressf("%s: %s makes up most of a pass; it runs as a job of its own", j, slow)
		parts := j.Split(slow)
		partCals, _, err := r.calibrate(ctx, parts)
		if err != nil {
			return nil, nil, err
		}
		outJobs, outCals = append(outJobs, parts...), append(outCals, partCals...)
	}
	return outJobs, outCals, nil
}

// anchorLines are the header's anchor lines: each anchor's versions, or
// n/a and why. The plain-Go floor is built with the bench binary, by the
// toolchain goVersion.
func (r *run) anchorLines(goVersion string) []raw.ConfigLine {
	var lines []raw.ConfigLine
	for _, a := range r.anchors {
		if a.Kind == runner.AnchorInBench && a.NA == "" {
			a.Version = "go " + goVersion + " (plain goroutines, in the bench binary)"
		}
		lines = append(lines, raw.ConfigLine{Key: a.Key(), Value: a.HeaderValue()})
	}
	return lines
}

// anchorSkips are the skip records of the anchors that could not be built
// or run, so their columns read n/a with the reason.
func (r *run) anchorSkips() string {
	var b strings.Builder
	for _, a := range r.anchors {
		if a.NA != "" {
			b.WriteString(a.SkipRecords(r.benchNames, r.CPUs))
		}
	}
	return b.String()
}
