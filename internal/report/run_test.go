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
)

// fakeRunner plays the go tool, git and a benchmark binary.
type fakeRunner struct {
	mu      sync.Mutex
	benches []string          // what -test.list prints
	output  map[string]string // a top-level benchmark's output, go test -v style; "BenchmarkX-2" at -test.cpu 2
	// calibration, if set for a benchmark, is its output at -benchtime 1x.
	calibration map[string]string
	exitErr     map[string]error // a top-level benchmark's exit status
	buildErr    error
	buildOut    string
	git         map[string]string // git subcommand → stdout
	gitErr      error
	// benchstat returns what `go tool benchstat args` prints.
	benchstat func(args []string) (stdout, stderr string)

	runs []string // "BenchmarkX@benchtime" per benchmark binary run, in order
	args [][]string
}

func (f *fakeRunner) Run(_ context.Context, _ string, stdout, stderr io.Writer, name string, args ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case name == "git":
		if f.gitErr != nil {
			return f.gitErr
		}
		io.WriteString(stdout, f.git[args[0]])
	case name == "go" && args[0] == "env":
		io.WriteString(stdout, "go1.26.0\n")
	case name == "go" && args[0] == "test":
		io.WriteString(stdout, f.buildOut)
		return f.buildErr
	case name == "go" && args[0] == "tool" && args[1] == "-n":
		return errors.New("fakeRunner: no tool binary; run it through go tool")
	case name == "go" && args[0] == "tool":
		if f.benchstat == nil {
			return errors.New("no benchstat in this test")
		}
		out, errOut := f.benchstat(args[2:])
		io.WriteString(stdout, out)
		io.WriteString(stderr, errOut)
	case strings.HasSuffix(name, "bench.test"):
		if args[0] == "-test.list" {
			io.WriteString(stdout, strings.Join(f.benches, "\n")+"\n")
			return nil
		}
		pattern := argValue(args, "-test.bench")
		top, _, _ := strings.Cut(strings.TrimPrefix(pattern, "^"), "$")
		f.runs = append(f.runs, top+"@"+argValue(args, "-test.benchtime"))
		f.args = append(f.args, args)
		io.WriteString(stdout, "goos: linux\ngoarch: amd64\npkg: iostrat/bench\ncpu: Fake CPU   \n")
		out, ok := f.output[top+"-"+argValue(args, "-test.cpu")] // a budget's own output
		if !ok {
			out = f.output[top]
		}
		if cal, ok := f.calibration[top]; ok && argValue(args, "-test.benchtime") == "1x" {
			out = cal
		}
		io.WriteString(stdout, out)
		if f.exitErr[top] != nil {
			io.WriteString(stdout, "FAIL\n")
			return f.exitErr[top]
		}
		io.WriteString(stdout, "PASS\n")
	default:
		return errors.New("fakeRunner: unexpected command " + name)
	}
	return nil
}

func argValue(args []string, flag string) string {
	if i := slices.Index(args, flag); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

// twoBenchmarks is a binary with BenchmarkA (one leaf ran, one skipped)
// and BenchmarkB.
func twoBenchmarks() *fakeRunner {
	return &fakeRunner{
		benches: []string{"BenchmarkA", "BenchmarkB"},
		output: map[string]string{
			"BenchmarkA": "BenchmarkA\nBenchmarkA/impl=x\nBenchmarkA/impl=x-2 \t 10 \t 100 ns/op \t 10.0 ns/task \t 2.000 wakes/task\n" +
				"BenchmarkA/impl=y\n    a_test.go:5: unsupported: no ring here\n--- SKIP: BenchmarkA/impl=y\n",
			"BenchmarkB": "BenchmarkB\nBenchmarkB/impl=x-2 \t 10 \t 200 ns/op \t 20.0 ns/round\n",
		},
		git: map[string]string{"rev-parse": "abc1234\n", "status": ""},
	}
}

var runStart = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

func runOptions(f *fakeRunner, out string, progress io.Writer) RunOptions {
	return RunOptions{
		ModuleDir:  ".",
		OutDir:     out,
		Count:      3,
		Strategies: []iostrat.Strategy{fakeStrategy{name: "x", info: iostrat.Info{Name: "x", Backend: "test"}}, fakeStrategy{name: "y", err: iostrat.Unsupported("no ring here")}},
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
	for _, r := range f.runs {
		name, _, _ := strings.Cut(r, "@")
		order = append(order, name)
	}
	want := []string{"BenchmarkA", "BenchmarkB", "BenchmarkA", "BenchmarkB", "BenchmarkA", "BenchmarkB", "BenchmarkA", "BenchmarkB"}
	if !slices.Equal(order, want) {
		t.Errorf("runs %v, want %v", order, want)
	}
	if !strings.HasSuffix(f.runs[0], "@1x") {
		t.Errorf("first run %s is not the 1x calibration", f.runs[0])
	}
	for _, args := range f.args {
		if argValue(args, "-test.count") != "1" || argValue(args, "-test.run") != "^$" || !slices.Contains(args, "-test.v") {
			t.Errorf("benchmark run with %q: want -test.run '^$' -test.count 1 -test.v", args)
		}
		if slices.Contains(args, "-test.short") {
			t.Errorf("full run passed -test.short: %q", args)
		}
	}

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

	raw, err := ReadRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw.Results) != 6 || len(raw.Warnings) != 0 {
		t.Errorf("%d results and warnings %v, want 6 results, no warnings", len(raw.Results), raw.Warnings)
	}
	if got := raw.Skips["A/impl=y"]; got != "unsupported: no ring here" {
		t.Errorf("skip reason %q", got)
	}
	for _, s := range []string{"building the benchmarks", "calibrating BenchmarkA at cpus=1 (1/2)", "run 2/3 BenchmarkB at cpus=1 (4/6)", "left", "wrote " + path} {
		if !strings.Contains(progress.String(), s) {
			t.Errorf("progress lacks %q:\n%s", s, progress.String())
		}
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
	for _, args := range f.args {
		if !slices.Contains(args, "-test.short") {
			t.Errorf("quick run without -test.short: %q", args)
		}
	}
	raw, err := ReadRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	if !raw.Provenance.Quick() || raw.Provenance.Get(KeyCount) != "6" {
		t.Errorf("quick run header: quick=%q count=%q, want true and 6", raw.Provenance.Get(KeyQuick), raw.Provenance.Get(KeyCount))
	}
}

func TestRunFailingBenchmark(t *testing.T) {
	f := twoBenchmarks()
	f.output["BenchmarkB"] = "BenchmarkB\nBenchmarkB/impl=x\n    b_test.go:9: Spawn(1000) = 12, want 500500\n--- FAIL: BenchmarkB/impl=x\n--- FAIL: BenchmarkB\n"
	f.exitErr = map[string]error{"BenchmarkB": errors.New("exit status 1")}
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
	f.output["BenchmarkA"] += "--- FAIL: BenchmarkA/impl=z\n"
	if _, err := Run(t.Context(), runOptions(f, t.TempDir(), io.Discard)); err == nil || !strings.Contains(err.Error(), "BenchmarkA/impl=z") {
		t.Errorf("Run with a FAIL line = %v, want an error naming it", err)
	}
}

func TestRunBuildFailure(t *testing.T) {
	f := twoBenchmarks()
	f.buildErr = errors.New("exit status 1")
	f.buildOut = "# iostrat/bench\nbench/x_test.go:3:1: syntax error\n"
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
	if raw, err := ReadRaw(path); err != nil || raw.Provenance.Get(KeyBench) != o.Bench {
		t.Errorf("subset run's header has bench %q (%v), want %q", raw.Provenance.Get(KeyBench), err, o.Bench)
	}
	for _, args := range f.args {
		if got := argValue(args, "-test.bench"); got != "^BenchmarkA$/impl=x" {
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

func TestSplitBenchPattern(t *testing.T) {
	for _, tt := range []struct{ in, first, rest string }{
		{"Spawn", "Spawn", ""},
		{"Spawn/impl=goroutine", "Spawn", "/impl=goroutine"},
		{"(A|B/C)/x", "(A|B/C)", "/x"},
		{`A\/B/x`, `A\/B`, "/x"},
		{"[/]x/y", "[/]x", "/y"},
	} {
		first, rest := splitBenchPattern(tt.in)
		if first != tt.first || rest != tt.rest {
			t.Errorf("splitBenchPattern(%q) = %q, %q; want %q, %q", tt.in, first, rest, tt.first, tt.rest)
		}
	}
	if got := benchPattern("BenchmarkPingPong", "Ping/mode=cross"); got != "^BenchmarkPingPong$/mode=cross" {
		t.Errorf("benchPattern = %q", got)
	}
}

func TestFailures(t *testing.T) {
	out := []byte("BenchmarkX/impl=a-2 1 1 ns/op\n--- FAIL: BenchmarkX/impl=b (0.00s)\n    x.go:1: boom\n--- SKIP: BenchmarkX/impl=c\n--- FAIL: BenchmarkX\n")
	if got := failures(out); !slices.Equal(got, []string{"BenchmarkX/impl=b", "BenchmarkX"}) {
		t.Errorf("failures = %q", got)
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
	raw, err := ReadRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	count := raw.Provenance.Get(KeyCount)
	if count == "10" || count == "0" || !strings.Contains(progress.String(), "warning: "+count+" runs instead of 10") {
		t.Errorf("count %s, progress:\n%s\nwant fewer than 10 runs and a warning", count, progress.String())
	}
	if n, err := strconv.Atoi(count); err != nil || len(raw.Results) != 2*n {
		t.Errorf("%d results for %s runs of two benchmarks", len(raw.Results), count)
	}

	// An explicit -count is kept whatever the clock says.
	o = runOptions(twoBenchmarks(), t.TempDir(), io.Discard)
	o.Count, o.Budget, o.Now = 10, time.Minute, steppingClock(runStart, 3*time.Second)
	path, err = Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if raw, err = ReadRaw(path); err != nil || raw.Provenance.Get(KeyCount) != "10" {
		t.Errorf("explicit count became %q (%v)", raw.Provenance.Get(KeyCount), err)
	}
}

func TestRunDefaultCountGrowsToFit(t *testing.T) {
	// A calibration that looks slow cuts a quick run's count; runs that
	// turn out faster bring it back up to the default, never beyond.
	var progress bytes.Buffer
	f := twoBenchmarks()
	f.calibration = map[string]string{"BenchmarkA": "BenchmarkA/impl=x-2 \t 1 \t 20000000000 ns/op\n"} // one call: 20s
	o := runOptions(f, t.TempDir(), &progress)
	o.Quick, o.Count, o.Budget = true, 0, time.Minute
	path, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := ReadRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := raw.Provenance.Get(KeyCount); got != "6" || !strings.Contains(progress.String(), "plan: 3 runs") ||
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

func TestRunBudgetsAndShuffle(t *testing.T) {
	f := &fakeRunner{
		benches: []string{"BenchmarkPingPong", "BenchmarkEcho"},
		output: map[string]string{
			"BenchmarkPingPong":   "BenchmarkPingPong/impl=x/mode=cross \t 10 \t 100 ns/op \t 10.0 ns/round \t 1 cpus \t 1 gomaxprocs \t 0.98 cpu-util\n",
			"BenchmarkPingPong-2": "BenchmarkPingPong/impl=x/mode=cross-2 \t 10 \t 100 ns/op \t 10.0 ns/round \t 2 cpus \t 2 gomaxprocs \t 1.5 cpu-util\n",
			"BenchmarkEcho":       "BenchmarkEcho/impl=x/conns=1 \t 10 \t 100 ns/op \t 10.0 ns/msg \t 1 cpus \t 1 gomaxprocs \t 0.5 cpu-util \t 1 client-cpus \t 1 client-gomaxprocs \t 0 shared-cpus\n",
		},
		git: map[string]string{"rev-parse": "abc1234\n", "status": ""},
	}
	o := runOptions(f, t.TempDir(), io.Discard)
	o.CPUs, o.Seed = 2, 41
	path, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	// One binary run per benchmark and budget: the binary takes one
	// -test.cpu value at a time.
	var runs []string
	for _, args := range f.args {
		top := strings.TrimSuffix(strings.TrimPrefix(argValue(args, "-test.bench"), "^"), "$")
		run := top + "@" + argValue(args, "-test.cpu")
		for _, a := range args {
			if strings.HasPrefix(a, "-iostrat.pin") {
				t.Errorf("%s ran with %s, a flag the binary no longer has", top, a)
			}
			if seed, ok := strings.CutPrefix(a, shuffleFlag+"="); ok {
				run += "#" + seed
			}
		}
		runs = append(runs, run)
	}
	want := []string{
		"BenchmarkPingPong@1", "BenchmarkPingPong@2", "BenchmarkEcho@1", // calibration, unshuffled
		"BenchmarkPingPong@1#42", "BenchmarkPingPong@2#42", "BenchmarkEcho@1#42", // repetition r runs with 41+r
		"BenchmarkPingPong@1#43", "BenchmarkPingPong@2#43", "BenchmarkEcho@1#43",
		"BenchmarkPingPong@1#44", "BenchmarkPingPong@2#44", "BenchmarkEcho@1#44",
	}
	if !slices.Equal(runs, want) {
		t.Errorf("runs (benchmark@cpu#seed)\n%v\nwant\n%v", runs, want)
	}
	raw, err := ReadRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := raw.Provenance.Get(KeyBudget); !strings.HasPrefix(got, "PingPong=1,2 Echo=1 (") {
		t.Errorf("budget line %q", got)
	}
	if got := raw.Provenance.Get(KeyBenchtime); !strings.HasPrefix(got, "PingPong=") || !strings.Contains(got, " PingPong-2=") || !strings.Contains(got, " Echo=") {
		t.Errorf("benchtime line %q, want one entry per benchmark and budget", got)
	}
	if seed, ok := shuffleSeed(raw.Provenance); !ok || seed != 41 {
		t.Errorf("shuffle line %q: seed %d, %v; want 41", raw.Provenance.Get(KeyShuffle), seed, ok)
	}
	// The pinning line is what the results observed, not what was asked:
	// the cpus=2 PingPong results used 1.5 CPUs of 2 (within budget).
	pinning := raw.Provenance.Get(KeyPinning)
	for _, s := range []string{
		"Wake results: process on 1 CPU with GOMAXPROCS 1, CPU time at most 0.98× wall time (3 results); process on 2 CPUs with GOMAXPROCS 2, CPU time at most 1.50× wall time (3 results); none over its budget",
		"I/O results: server on 1 CPU with GOMAXPROCS 1, client on 1 other CPU with GOMAXPROCS 1, no CPU shared, CPU time at most 0.50× wall time, in all 3 results; none over its budget",
	} {
		if !strings.Contains(pinning, s) {
			t.Errorf("pinning line lacks %q:\n%s", s, pinning)
		}
	}

	// One CPU: every budget is 1.
	f.args = nil
	o.CPUs = 1
	if _, err := Run(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	for _, args := range f.args {
		if got := argValue(args, "-test.cpu"); got != "1" {
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
	raw, err := ReadRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	seed, ok := shuffleSeed(raw.Provenance)
	if !ok || seed != clockSeed(runStart) || seed == 0 {
		t.Errorf("shuffle line %q, want the clock's seed %d", raw.Provenance.Get(KeyShuffle), clockSeed(runStart))
	}
	o := runOptions(f, t.TempDir(), io.Discard)
	o.Seed = -1
	if _, err := Run(t.Context(), o); err == nil || !strings.Contains(err.Error(), "seed -1 out of range") {
		t.Errorf("Run with seed -1 = %v", err)
	}
}
