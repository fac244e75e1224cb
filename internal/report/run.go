package report

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"iostrat"
)

// A Runner runs the commands a report needs: the go tool, git and the
// benchmark binary. The zero configuration uses [ExecRunner]; tests
// replace it.
type Runner interface {
	// Run runs name with args in dir, writing its standard output and
	// standard error to the given writers (which may be the same). A
	// non-zero exit is an error.
	Run(ctx context.Context, dir string, stdout, stderr io.Writer, name string, args ...string) error
}

// ExecRunner runs commands as child processes.
type ExecRunner struct{}

// Run implements [Runner]. Git runs with optional locks off so that
// reading its status never writes the index.
func (ExecRunner) Run(ctx context.Context, dir string, stdout, stderr io.Writer, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
	err := cmd.Run()
	if errors.Is(err, exec.ErrNotFound) && name == "go" {
		return fmt.Errorf("no go toolchain: %w (install Go and put it in PATH)", err)
	}
	return err
}

// output runs a command and returns its standard output; on failure the
// error carries the tail of its standard error.
func output(ctx context.Context, r Runner, dir, name string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	if err := r.Run(ctx, dir, &stdout, &stderr, name, args...); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s %s: %w%s", name, strings.Join(args, " "), err, indentTail(stderr.Bytes(), 20))
	}
	return stdout.Bytes(), nil
}

// combined runs a command and returns its interleaved output.
func combined(ctx context.Context, r Runner, dir, name string, args ...string) ([]byte, error) {
	var out bytes.Buffer
	err := r.Run(ctx, dir, &out, &out, name, args...)
	return out.Bytes(), err
}

// indentTail returns the last n lines of out, indented, after a newline;
// or "" if out is empty.
func indentTail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return "\n\t" + strings.Join(lines, "\n\t")
}

// Defaults of a run.
const (
	DefaultCount      = 10               // repetitions of a full run
	DefaultQuickCount = 6                // repetitions of a quick run: the fewest with a finite 95% CI of the median
	FullBudget        = 19 * time.Minute // wall time a full report may take, build to page
	QuickBudget       = 75 * time.Second // wall time a quick report may take
	publishReserve    = 10 * time.Second // kept for benchstat, charts and the page
	benchTimeout      = "15m"            // -test.timeout of one benchmark binary run: a hang fails the report
	failureTailLines  = 40               // lines of a failing binary's output shown in the error
)

// RunOptions configure a run of the benchmark catalogue.
type RunOptions struct {
	// ModuleDir is the root of the iostrat module, where ./bench is.
	ModuleDir string
	// OutDir is the results directory; the raw file goes to OutDir/raw.
	OutDir string
	// Count is the number of repetitions; 0 means DefaultCount, or
	// DefaultQuickCount for a quick run.
	Count int
	// Quick asks for a smoke run: -short parameters, short benchtimes,
	// QuickBudget.
	Quick bool
	// Bench selects benchmarks like go test -bench; "" means all.
	Bench string
	// Budget is the wall time the whole report may take; 0 means
	// FullBudget or QuickBudget.
	Budget time.Duration
	// Strategies are the registered strategies, described in the header.
	Strategies []iostrat.Strategy
	// IOURing reports the io_uring features, or why io_uring is
	// unavailable; nil gives "unknown".
	IOURing func() string
	// Runner runs commands; nil means ExecRunner.
	Runner Runner
	// Progress receives one line per step; nil discards them.
	Progress io.Writer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// CPUs is the number of CPUs the benchmarks may use; 0 means
	// runtime.NumCPU(). Budgets above it are not run (see budget.go).
	CPUs int
	// Seed is the base seed of the strategies' order: repetition r runs
	// with -iostrat.shuffle=Seed+r. 0 takes one from the clock; either
	// way the shuffle config line records it.
	Seed int64
}

// A run is the state of one [Run].
type run struct {
	RunOptions
	start  time.Time
	binary string
}

// Run builds the benchmark binary, runs the catalogue Count times,
// interleaved (the outer loop is the repetition, the inner loop the
// top-level benchmarks, so slow drift of the machine does not favour
// one benchmark), and writes the raw Go benchmark format, headed by the
// run's provenance, to a new file under OutDir/raw. It returns that
// file's path. A benchmark that fails (not one that skips) fails the run
// with the tail of the binary's output, and nothing is written.
func Run(ctx context.Context, o RunOptions) (rawPath string, err error) {
	r := &run{RunOptions: o}
	if r.Runner == nil {
		r.Runner = ExecRunner{}
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
	if r.Seed < 0 || r.Seed > MaxSeed {
		return "", fmt.Errorf("seed %d out of range [0, %d]", r.Seed, int64(MaxSeed))
	}
	if r.Seed == 0 {
		r.Seed = clockSeed(r.Now())
	}
	countFixed := r.Count > 0
	if !countFixed {
		r.Count = DefaultCount
		if r.Quick {
			r.Count = DefaultQuickCount
		}
	}
	wanted := r.Count
	if r.Budget <= 0 {
		r.Budget = FullBudget
		if r.Quick {
			r.Budget = QuickBudget
		}
	}
	r.start = r.Now()

	tmp, err := os.MkdirTemp("", "iostrat-report-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	r.binary = filepath.Join(tmp, "bench.test")

	r.progressf("building the benchmarks: go test -c -o %s ./bench", r.binary)
	if out, err := combined(ctx, r.Runner, r.ModuleDir, "go", "test", "-c", "-o", r.binary, "./bench"); err != nil {
		return "", fmt.Errorf("building the benchmarks (go test -c ./bench) failed: %w%s", err, indentTail(out, failureTailLines))
	}
	names, err := r.listBenchmarks(ctx)
	if err != nil {
		return "", err
	}

	jobs := jobsFor(names, r.CPUs)
	cals := make([]calibration, len(jobs))
	brand := ""
	for i, j := range jobs {
		r.progressf("calibrating %s (%d/%d): one call per leaf", j, i+1, len(jobs))
		out, wall, err := r.runBenchmark(ctx, j, "1x", 0)
		if err != nil {
			return "", err
		}
		cals[i] = calibrate(j.id(), out, wall)
		if brand == "" {
			brand = configValue(out, KeyCPU)
		}
	}
	plan := planBenchtime(cals, r.Count, r.Budget-r.Now().Sub(r.start)-publishReserve, r.Quick, countFixed)
	r.Count = plan.Count
	if !plan.Fits {
		r.progressf("warning: %d runs are estimated to take %v, over the budget of %v; run a subset with -bench or fewer with -count",
			r.Count, plan.Estimate.Round(time.Second), r.Budget)
	}
	r.progressf("plan: %d runs of %d benchmarks (%d binary runs per repetition: one per benchmark and budget), benchtime %s, budgets %s, shuffle seeds %d+r; estimated %v",
		r.Count, len(names), len(jobs), plan, budgetLine(names, r.CPUs), r.Seed, plan.Estimate.Round(time.Second))

	machine := ProbeMachine(ctx, r.Runner, r.ModuleDir, r.start)
	machine.CPU = withBrand(machine.CPU, brand)
	machine.IOURing = "unknown"
	if r.IOURing != nil {
		machine.IOURing = r.IOURing()
	}
	machine.Knobs = DescribeStrategies(r.Strategies, sortedBudgets(jobs)...)
	settings := RunSettings{
		Count: r.Count, Benchtime: plan.String(), Quick: r.Quick, Bench: r.Bench,
		Budget: budgetLine(names, r.CPUs), Shuffle: shuffleLine(r.Seed),
		Pinning: "not yet observed",
	}

	// The header goes on top once the runs are done, so that its count
	// says how many were made and its pinning line what the results
	// observed.
	var body bytes.Buffer
	tr := newTranscriber(&body, NewProvenance(machine, settings))
	took := make(map[string][]time.Duration)
	deadline := r.start.Add(r.Budget - publishReserve)
	repsStart := r.Now()
	for rep := 0; rep < r.Count; rep++ {
		total := r.Count * len(jobs)
		for i, j := range jobs {
			done := rep*len(jobs) + i
			r.progressf("run %d/%d %s (%d/%d), %v elapsed, about %v left",
				rep+1, r.Count, j, done+1, total, r.Now().Sub(r.start).Round(time.Second),
				remaining(plan.Names, plan, took, rep, i, r.Count).Round(time.Second))
			out, wall, err := r.runBenchmark(ctx, j, formatBenchtime(plan.Iters[j.id()]), repetitionSeed(r.Seed, rep))
			if err != nil {
				return "", err
			}
			took[j.id()] = append(took[j.id()], wall)
			tr.transcribe(out)
		}
		if countFixed {
			continue
		}
		// A default count follows the clock rather than the calibration:
		// as many repetitions as the measured ones say fit before the
		// deadline, up to the default.
		now := r.Now()
		perRep := now.Sub(repsStart) / time.Duration(rep+1)
		fit := rep + 1 + int(deadline.Sub(now)/max(perRep, time.Nanosecond))
		switch next := max(min(wanted, fit), rep+1); {
		case next < r.Count:
			r.progressf("warning: %d runs instead of %d: more would end past the budget of %v", next, r.Count, r.Budget)
			r.Count = next
		case next > r.Count:
			r.progressf("the runs are faster than calibrated: %d runs instead of %d", next, r.Count)
			r.Count = next
		}
	}
	results, err := ParseRaw(body.Bytes(), "the run's output")
	if err != nil {
		return "", err
	}
	settings.Count, settings.Pinning = r.Count, DescribePlacement(results.Results)
	r.progressf("placement observed: %s", settings.Pinning)
	prov := NewProvenance(machine, settings)
	var raw bytes.Buffer
	prov.WriteTo(&raw)
	body.WriteTo(&raw)

	rawPath, err = writeNew(filepath.Join(r.OutDir, "raw"), rawBaseName(r.start, machine.Commit), r.Quick, r.start, raw.Bytes())
	if err != nil {
		return "", err
	}
	r.progressf("wrote %s (%v)", rawPath, r.Now().Sub(r.start).Round(time.Second))
	return rawPath, nil
}

func (r *run) progressf(format string, args ...any) {
	fmt.Fprintf(r.Progress, "report: "+format+"\n", args...)
}

// listBenchmarks asks the binary for its top-level benchmarks and keeps
// those the Bench pattern selects.
func (r *run) listBenchmarks(ctx context.Context) ([]string, error) {
	out, err := combined(ctx, r.Runner, r.ModuleDir, r.binary, "-test.list", "Benchmark.*")
	if err != nil {
		return nil, fmt.Errorf("listing the benchmarks failed: %w%s", err, indentTail(out, failureTailLines))
	}
	var all []string
	for line := range strings.Lines(string(out)) {
		if name := strings.TrimSpace(line); strings.HasPrefix(name, "Benchmark") {
			all = append(all, name)
		}
	}
	sel, err := selectBenchmarks(all, r.Bench)
	if err != nil {
		return nil, err
	}
	if len(sel) == 0 {
		return nil, fmt.Errorf("no benchmark matches -bench %q (have %s)", r.Bench, strings.Join(all, ", "))
	}
	return sel, nil
}

// selectBenchmarks keeps the names that the first element of pattern
// matches, as go test -bench does; the rest of the pattern (after the
// first unbracketed '/') narrows the sub-benchmarks.
func selectBenchmarks(names []string, pattern string) ([]string, error) {
	if pattern == "" {
		return names, nil
	}
	first, _ := splitBenchPattern(pattern)
	re, err := regexp.Compile(first)
	if err != nil {
		return nil, fmt.Errorf("-bench %q: %w", pattern, err)
	}
	var sel []string
	for _, n := range names {
		if re.MatchString(n) {
			sel = append(sel, n)
		}
	}
	return sel, nil
}

// benchPattern is the -test.bench value that runs the top-level
// benchmark name, narrowed by the sub-benchmark part of the user's
// pattern.
func benchPattern(name, userPattern string) string {
	_, rest := splitBenchPattern(userPattern)
	return "^" + regexp.QuoteMeta(name) + "$" + rest
}

// splitBenchPattern splits a go test -bench pattern at its first '/'
// outside brackets and parentheses; rest keeps the '/'.
func splitBenchPattern(p string) (first, rest string) {
	depth := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '[', '(':
			depth++
		case ']', ')':
			depth--
		case '/':
			if depth == 0 {
				return p[:i], p[i:]
			}
		}
	}
	return p, ""
}

// runBenchmark runs a job (a top-level benchmark at one budget, see
// budget.go) once with the given benchtime, with the strategies in the
// order of shuffle seed (0: registry order), and returns its output and
// wall time. Output with a FAIL, or a non-zero exit, is an error carrying
// the output's tail.
func (r *run) runBenchmark(ctx context.Context, j job, benchtime string, seed int64) ([]byte, time.Duration, error) {
	name := j.String()
	args := []string{
		"-test.run", "^$",
		"-test.bench", benchPattern(j.bench, r.Bench),
		"-test.count", "1",
		"-test.benchtime", benchtime,
		"-test.cpu", strconv.Itoa(j.cpus),
		"-test.timeout", benchTimeout,
		"-test.v", // the only way the binary prints why a benchmark skipped
	}
	if r.Quick {
		args = append(args, "-test.short")
	}
	if seed != 0 {
		args = append(args, fmt.Sprintf("%s=%d", shuffleFlag, seed))
	}
	start := time.Now()
	out, err := combined(ctx, r.Runner, r.ModuleDir, r.binary, args...)
	wall := time.Since(start)
	if ctx.Err() != nil {
		return nil, 0, fmt.Errorf("interrupted while running %s: %w", name, ctx.Err())
	}
	if failed := failures(out); err != nil || len(failed) > 0 {
		what := "failed"
		if len(failed) > 0 {
			what = "failed: " + strings.Join(failed, ", ")
		}
		if err == nil {
			err = errors.New("FAIL in output")
		}
		return nil, 0, fmt.Errorf("benchmark %s %s (%v)%s", name, what, err, indentTail(out, failureTailLines))
	}
	return out, wall, nil
}

// configValue returns the value of the first config line for key in a
// binary's output, or "".
func configValue(out []byte, key string) string {
	for line := range strings.Lines(string(out)) {
		if k, v, ok := parseConfigLine(strings.TrimRight(line, "\n")); ok && k == key {
			return v
		}
	}
	return ""
}

// failures returns the names on "--- FAIL:" lines of a binary's output.
func failures(out []byte) []string {
	var names []string
	for line := range strings.Lines(string(out)) {
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "--- FAIL: "); ok {
			names = append(names, strings.Fields(name)[0])
		}
	}
	return names
}

// A transcriber copies benchmark binary output into the raw file: result
// lines, skip records with their reasons, and config lines the header
// does not already fix (go test prints goos, goarch and cpu itself; the
// header's values stand, so benchstat sees one configuration). Name-only
// progress lines and benchmark logs are dropped.
type transcriber struct {
	w      io.Writer
	header Provenance
	last   map[string]string // last value written per config key
}

func newTranscriber(w io.Writer, header Provenance) *transcriber {
	return &transcriber{w: w, header: header, last: make(map[string]string)}
}

func (t *transcriber) transcribe(out []byte) {
	var logs []string // indented lines since the last unindented one
	s := bufio.NewScanner(bytes.NewReader(out))
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		line := s.Text()
		switch {
		case strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t"):
			logs = append(logs, line)
			continue
		case strings.HasPrefix(line, "--- SKIP: "):
			fmt.Fprintln(t.w, line)
			for _, l := range logs {
				fmt.Fprintln(t.w, l)
			}
		case strings.HasPrefix(line, "Benchmark") && len(strings.Fields(line)) > 1:
			fmt.Fprintln(t.w, line)
		default:
			if key, value, ok := parseConfigLine(line); ok && t.header.Get(key) == "" && t.last[key] != value {
				t.last[key] = value
				fmt.Fprintln(t.w, line)
			}
		}
		logs = logs[:0]
	}
}

// rawBaseName is the raw file's name before any suffix: the run's date
// and commit.
func rawBaseName(start time.Time, commit string) string {
	return start.UTC().Format("2006-01-02") + "-" + commit
}

// writeNew writes data to a new file in dir named base + ".txt", or
// base + "-quick.txt" for a quick run. If that exists it adds the time
// (-HHMMSS) and then a counter; it never overwrites a file.
func writeNew(dir, base string, quick bool, start time.Time, data []byte) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	suffix := ".txt"
	if quick {
		suffix = "-quick.txt"
	}
	stamped := base + "-" + start.UTC().Format("150405")
	candidates := []string{base, stamped}
	for i := 2; i < 100; i++ {
		candidates = append(candidates, fmt.Sprintf("%s-%d", stamped, i))
	}
	for _, c := range candidates {
		path := filepath.Join(dir, c+suffix)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return "", err
		}
		return path, nil
	}
	return "", fmt.Errorf("no free raw file name for %s in %s", base, dir)
}
