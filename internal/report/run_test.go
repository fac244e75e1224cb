package report

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"iostrat"
	"iostrat/internal/report/internal/reporttest"
	"iostrat/internal/report/raw"
	"iostrat/internal/report/runner"
)

// twoBenchmarks is a binary with BenchmarkA (one leaf ran, one skipped)
// and BenchmarkB.
func twoBenchmarks() *reporttest.FakeRunner {
	return &reporttest.FakeRunner{
		Benches: []string{"BenchmarkA", "BenchmarkB"},
		Output: map[string]string{
			"BenchmarkA": "BenchmarkA\nBenchmarkA/impl=x\nBenchmarkA/impl=x-2 \t 10 \t 100 ns/op \t 10.0 ns/task \t 2.000 wakes/task\n" +
				"BenchmarkA/impl=y\n    a_test.go:5: unsupported: no ring here\n--- SKIP: BenchmarkA/impl=y\n",
			"BenchmarkB": "BenchmarkB\nBenchmarkB/impl=x-2 \t 10 \t 200 ns/op \t 20.0 ns/round\n",
		},
		Git: map[string]string{"rev-parse": "abc1234\n", "status": ""},
	}
}

var runStart = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

func runOptions(f *reporttest.FakeRunner, out string, progress io.Writer) RunOptions {
	return RunOptions{
		ModuleDir:  ".",
		OutDir:     out,
		Count:      3,
		Strategies: []iostrat.Strategy{reporttest.FakeStrategy{Label: "x", Info: iostrat.Info{Name: "x", Backend: "test"}}, reporttest.FakeStrategy{Label: "y", Err: iostrat.Unsupported("no ring here")}},
		IOURing:    func() string { return "backend=io_uring features=test" },
		Runner:     f,
		Progress:   progress,
		Now:        func() time.Time { return runStart },
	}
}

func TestRunInterleavesAndWritesRaw(t *testing.T) {
	f := twoBenchmarks()
	out := t.TempDir()
	var progress bytes.Buffer
	path, err := Run(t.Context(), runOptions(f, out, &progress))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(out, "raw", "2026-01-02-abc1234.txt"); path != want {
		t.Errorf("raw file %s, want %s", path, want)
	}
	// Calibration first, then the repetitions interleaved: the outer loop
	// is the repetition.
	var order []string
	for _, r := range f.Runs {
		name, _, _ := strings.Cut(r, "@")
		order = append(order, name)
	}
	want := []string{"BenchmarkA", "BenchmarkB", "BenchmarkA", "BenchmarkB", "BenchmarkA", "BenchmarkB", "BenchmarkA", "BenchmarkB"}
	if !slices.Equal(order, want) {
		t.Errorf("runs %v, want %v", order, want)
	}
	if !strings.HasSuffix(f.Runs[0], "@1x") {
		t.Errorf("first run %s is not the 1x calibration", f.Runs[0])
	}
	checkRunArgs(t, f.Args)
	checkRawText(t, path)
	file, err := raw.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(file.Results) != 6 || len(file.Warnings) != 0 {
		t.Errorf("%d results and warnings %v, want 6 results, no warnings", len(file.Results), file.Warnings)
	}
	if got := file.Skips["A/impl=y"]; got != "unsupported: no ring here" {
		t.Errorf("skip reason %q", got)
	}
	for _, s := range []string{"building the benchmarks", "calibrating BenchmarkA at cpus=1 (1/2)", "run 2/3 BenchmarkB at cpus=1 (4/6)", "left", "wrote " + path} {
		if !strings.Contains(progress.String(), s) {
			t.Errorf("progress lacks %q:\n%s", s, progress.String())
		}
	}
}

// checkRunArgs checks the binary's arguments in a full run: one
// repetition per run, verbose, no tests, no -short.
func checkRunArgs(t *testing.T, runs [][]string) {
	t.Helper()
	for _, args := range runs {
		if reporttest.ArgValue(args, "-test.count") != "1" || reporttest.ArgValue(args, "-test.run") != "^$" || !slices.Contains(args, "-test.v") {
			t.Errorf("benchmark run with %q: want -test.run '^$' -test.count 1 -test.v", args)
		}
		if slices.Contains(args, "-test.short") {
			t.Errorf("full run passed -test.short: %q", args)
		}
	}
}

// checkRawText checks the text of the raw file twoBenchmarks makes: its
// header, its skip record, and nothing of the binary's chatter.
func checkRawText(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, line := range []string{
		"date: 2026-01-02T15:04:05Z\n", "commit: abc1234\n", "go: go1.26.0\n", "count: 3\n", "quick: false\n",
		"iouring: backend=io_uring features=test\n", "knobs-x: backend=test\n", "knobs-y: unavailable: unsupported: no ring here\n",
		"(brand: Fake CPU)\n", "benchtime: A=", "--- SKIP: BenchmarkA/impl=y\n    a_test.go:5: unsupported: no ring here\n",
	} {
		if !strings.Contains(text, line) {
			t.Errorf("raw file lacks %q:\n%s", line, text)
		}
	}
	// go test's own config lines are not repeated after the header, so
	// benchstat sees one configuration.
	for key, n := range map[string]int{"goos:": 1, "cpu:": 1, "pkg:": 1} {
		if got := strings.Count(text, "\n"+key) + boolInt(strings.HasPrefix(text, key)); got != n {
			t.Errorf("%d %q lines, want %d", got, key, n)
		}
	}
	if strings.Contains(text, "PASS") || strings.Contains(text, "\nBenchmarkA\n") {
		t.Errorf("raw file keeps binary chatter:\n%s", text)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestRunNeverOverwrites(t *testing.T) {
	out := t.TempDir()
	var paths []string
	for range 3 {
		path, err := Run(t.Context(), runOptions(twoBenchmarks(), out, io.Discard))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, filepath.Base(path))
	}
	o := runOptions(twoBenchmarks(), out, io.Discard)
	o.Quick = true
	quick, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, filepath.Base(quick))
	want := []string{"2026-01-02-abc1234.txt", "2026-01-02-abc1234-150405.txt", "2026-01-02-abc1234-150405-2.txt", "2026-01-02-abc1234-quick.txt"}
	if !slices.Equal(paths, want) {
		t.Errorf("raw files %v, want %v", paths, want)
	}
}

func TestRunQuick(t *testing.T) {
	f := twoBenchmarks()
	o := runOptions(f, t.TempDir(), io.Discard)
	o.Quick, o.Count = true, 0
	path, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range f.Args {
		if !slices.Contains(args, "-test.short") {
			t.Errorf("quick run without -test.short: %q", args)
		}
	}
	file, err := raw.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !file.Provenance.Quick() || file.Provenance.Get(raw.KeyCount) != "6" {
		t.Errorf("quick run header: quick=%q count=%q, want true and 6", file.Provenance.Get(raw.KeyQuick), file.Provenance.Get(raw.KeyCount))
	}
}

func TestRunFailingBenchmark(t *testing.T) {
	f := twoBenchmarks()
	f.Output["BenchmarkB"] = "BenchmarkB\nBenchmarkB/impl=x\n    b_test.go:9: Spawn(1000) = 12, want 500500\n--- FAIL: BenchmarkB/impl=x\n--- FAIL: BenchmarkB\n"
	f.ExitErr = map[string]error{"BenchmarkB": errors.New("exit status 1")}
	out := t.TempDir()
	_, err := Run(t.Context(), runOptions(f, out, io.Discard))
	if err == nil {
		t.Fatal("Run succeeded with a failing benchmark")
	}
	for _, s := range []string{"benchmark BenchmarkB at cpus=1 failed: BenchmarkB/impl=x", "exit status 1", "Spawn(1000) = 12, want 500500"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q:\n%v", s, err)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(out, "raw")); len(entries) != 0 {
		t.Errorf("a failed run left raw files: %v", entries)
	}
}

func TestRunFailLineWithoutExitStatus(t *testing.T) {
	f := twoBenchmarks()
	f.Output["BenchmarkA"] += "--- FAIL: BenchmarkA/impl=z\n"
	if _, err := Run(t.Context(), runOptions(f, t.TempDir(), io.Discard)); err == nil || !strings.Contains(err.Error(), "BenchmarkA/impl=z") {
		t.Errorf("Run with a FAIL line = %v, want an error naming it", err)
	}
}

func TestRunBuildFailure(t *testing.T) {
	f := twoBenchmarks()
	f.BuildErr = errors.New("exit status 1")
	f.BuildOut = "# iostrat/bench\nbench/x_test.go:3:1: syntax error\n"
	_, err := Run(t.Context(), runOptions(f, t.TempDir(), io.Discard))
	if err == nil || !strings.Contains(err.Error(), "building the benchmarks") || !strings.Contains(err.Error(), "syntax error") {
		t.Errorf("Run with a broken build = %v, want the build error and its output", err)
	}
}

func TestRunBenchSubset(t *testing.T) {
	f := twoBenchmarks()
	o := runOptions(f, t.TempDir(), io.Discard)
	o.Bench = "^BenchmarkA$/impl=x"
	path, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if file, err := raw.Read(path); err != nil || file.Provenance.Get(raw.KeyBench) != o.Bench {
		t.Errorf("subset run's header has bench %q (%v), want %q", file.Provenance.Get(raw.KeyBench), err, o.Bench)
	}
	for _, args := range f.Args {
		if got := reporttest.ArgValue(args, "-test.bench"); got != "^BenchmarkA$/impl=x" {
			t.Errorf("-test.bench %q, want ^BenchmarkA$/impl=x", got)
		}
	}
	o.Bench = "Nothing"
	if _, err := Run(t.Context(), o); err == nil || !strings.Contains(err.Error(), "no benchmark matches") {
		t.Errorf("Run -bench Nothing = %v, want no benchmark matches", err)
	}
	o.Bench = "("
	if _, err := Run(t.Context(), o); err == nil {
		t.Error("Run with a bad -bench regexp succeeded")
	}
}

// steppingClock is a clock that moves on by step each time it is read.
func steppingClock(start time.Time, step time.Duration) func() time.Time {
	var mu sync.Mutex
	now := start
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(step)
		return now
	}
}

func TestRunStopsAtBudgetWithDefaultCount(t *testing.T) {
	var progress bytes.Buffer
	o := runOptions(twoBenchmarks(), t.TempDir(), &progress)
	o.Count, o.Budget, o.Now = 0, time.Minute, steppingClock(runStart, 3*time.Second)
	path, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	file, err := raw.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	count := file.Provenance.Get(raw.KeyCount)
	if count == "10" || count == "0" || !strings.Contains(progress.String(), "warning: "+count+" runs instead of 10") {
		t.Errorf("count %s, progress:\n%s\nwant fewer than 10 runs and a warning", count, progress.String())
	}
	if n, err := strconv.Atoi(count); err != nil || len(file.Results) != 2*n {
		t.Errorf("%d results for %s runs of two benchmarks", len(file.Results), count)
	}

	// An explicit -count is kept whatever the clock says.
	o = runOptions(twoBenchmarks(), t.TempDir(), io.Discard)
	o.Count, o.Budget, o.Now = 10, time.Minute, steppingClock(runStart, 3*time.Second)
	path, err = Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if file, err = raw.Read(path); err != nil || file.Provenance.Get(raw.KeyCount) != "10" {
		t.Errorf("explicit count became %q (%v)", file.Provenance.Get(raw.KeyCount), err)
	}
}

func TestRunDefaultCountGrowsToFit(t *testing.T) {
	// A calibration that looks slow cuts a quick run's count; runs that
	// turn out faster bring it back up to the default, never beyond.
	var progress bytes.Buffer
	f := twoBenchmarks()
	f.Calibration = map[string]string{"BenchmarkA": "BenchmarkA/impl=x-2 \t 1 \t 20000000000 ns/op\n"} // one call: 20s
	o := runOptions(f, t.TempDir(), &progress)
	o.Quick, o.Count, o.Budget = true, 0, time.Minute
	path, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	file, err := raw.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := file.Provenance.Get(raw.KeyCount); got != "6" || !strings.Contains(progress.String(), "plan: 3 runs") ||
		!strings.Contains(progress.String(), "the runs are faster than calibrated: 6 runs instead of 3") {
		t.Errorf("count %s, progress:\n%s\nwant a plan of 3 runs grown to the quick default of 6", got, progress.String())
	}
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	out := t.TempDir()
	_, err := Run(ctx, runOptions(twoBenchmarks(), out, io.Discard))
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Errorf("Run after cancel = %v, want interrupted", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(out, "raw")); len(entries) != 0 {
		t.Errorf("an interrupted run left raw files: %v", entries)
	}
}

// budgetsRunner is a binary with PingPong, at budgets 1 and 2, and
// Echo, at 1, whose results read back their placement.
func budgetsRunner() *reporttest.FakeRunner {
	return &reporttest.FakeRunner{
		Benches: []string{"BenchmarkPingPong", "BenchmarkEcho"},
		Output: map[string]string{
			"BenchmarkPingPong":   "BenchmarkPingPong/impl=x/mode=cross \t 10 \t 100 ns/op \t 10.0 ns/round \t 1 cpus \t 1 gomaxprocs \t 0.98 cpu-util\n",
			"BenchmarkPingPong-2": "BenchmarkPingPong/impl=x/mode=cross-2 \t 10 \t 100 ns/op \t 10.0 ns/round \t 2 cpus \t 2 gomaxprocs \t 1.5 cpu-util\n",
			"BenchmarkEcho":       "BenchmarkEcho/impl=x/conns=1 \t 10 \t 100 ns/op \t 10.0 ns/msg \t 1 cpus \t 1 gomaxprocs \t 0.5 cpu-util \t 1 client-cpus \t 1 client-gomaxprocs \t 0 shared-cpus\n",
		},
		Git: map[string]string{"rev-parse": "abc1234\n", "status": ""},
	}
}

// runsBySeed names each binary run "benchmark@cpu#seed", and fails on a
// pin flag the binary no longer has.
func runsBySeed(t *testing.T, runs [][]string) []string {
	t.Helper()
	var names []string
	for _, args := range runs {
		top := strings.TrimSuffix(strings.TrimPrefix(reporttest.ArgValue(args, "-test.bench"), "^"), "$")
		run := top + "@" + reporttest.ArgValue(args, "-test.cpu")
		for _, a := range args {
			if strings.HasPrefix(a, "-iostrat.pin") {
				t.Errorf("%s ran with %s, a flag the binary no longer has", top, a)
			}
			if seed, ok := strings.CutPrefix(a, runner.ShuffleFlag+"="); ok {
				run += "#" + seed
			}
		}
		names = append(names, run)
	}
	return names
}

func TestRunBudgetsAndShuffle(t *testing.T) {
	f := budgetsRunner()
	o := runOptions(f, t.TempDir(), io.Discard)
	o.CPUs, o.Seed = 2, 41
	path, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	// One binary run per benchmark and budget: the binary takes one
	// -test.cpu value at a time.
	runs := runsBySeed(t, f.Args)
	want := []string{
		"BenchmarkPingPong@1", "BenchmarkPingPong@2", "BenchmarkEcho@1", // calibration, unshuffled
		"BenchmarkPingPong@1#42", "BenchmarkPingPong@2#42", "BenchmarkEcho@1#42", // repetition r runs with 41+r
		"BenchmarkPingPong@1#43", "BenchmarkPingPong@2#43", "BenchmarkEcho@1#43",
		"BenchmarkPingPong@1#44", "BenchmarkPingPong@2#44", "BenchmarkEcho@1#44",
	}
	if !slices.Equal(runs, want) {
		t.Errorf("runs (benchmark@cpu#seed)\n%v\nwant\n%v", runs, want)
	}
	file, err := raw.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := file.Provenance.Get(raw.KeyBudget); !strings.HasPrefix(got, "PingPong=1,2 Echo=1 (") {
		t.Errorf("budget line %q", got)
	}
	if got := file.Provenance.Get(raw.KeyBenchtime); !strings.HasPrefix(got, "PingPong=") || !strings.Contains(got, " PingPong-2=") || !strings.Contains(got, " Echo=") {
		t.Errorf("benchtime line %q, want one entry per benchmark and budget", got)
	}
	if seed, ok := runner.ShuffleSeed(file.Provenance); !ok || seed != 41 {
		t.Errorf("shuffle line %q: seed %d, %v; want 41", file.Provenance.Get(raw.KeyShuffle), seed, ok)
	}
	// The pinning line is what the results observed, not what was asked:
	// the cpus=2 PingPong results used 1.5 CPUs of 2 (within budget).
	pinning := file.Provenance.Get(raw.KeyPinning)
	for _, s := range []string{
		"Wake results: process on 1 CPU with GOMAXPROCS 1, CPU time at most 0.98× wall time (3 results); process on 2 CPUs with GOMAXPROCS 2, CPU time at most 1.50× wall time (3 results); none over its budget",
		"I/O results: server on 1 CPU with GOMAXPROCS 1, client on 1 other CPU with GOMAXPROCS 1, no CPU shared, CPU time at most 0.50× wall time, in all 3 results; none over its budget",
	} {
		if !strings.Contains(pinning, s) {
			t.Errorf("pinning line lacks %q:\n%s", s, pinning)
		}
	}

	// One CPU: every budget is 1.
	f.Args = nil
	o.CPUs = 1
	if _, err := Run(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	for _, args := range f.Args {
		if got := reporttest.ArgValue(args, "-test.cpu"); got != "1" {
			t.Errorf("one CPU: -test.cpu %q, want 1", got)
		}
	}
}

func TestRunSeedFromClock(t *testing.T) {
	f := twoBenchmarks()
	path, err := Run(t.Context(), runOptions(f, t.TempDir(), io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	file, err := raw.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	seed, ok := runner.ShuffleSeed(file.Provenance)
	if !ok || seed != runner.ClockSeed(runStart) || seed == 0 {
		t.Errorf("shuffle line %q, want the clock's seed %d", file.Provenance.Get(raw.KeyShuffle), runner.ClockSeed(runStart))
	}
	o := runOptions(f, t.TempDir(), io.Discard)
	o.Seed = -1
	if _, err := Run(t.Context(), o); err == nil || !strings.Contains(err.Error(), "seed -1 out of range") {
		t.Errorf("Run with seed -1 = %v", err)
	}
}
