package runner

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"iostrat/internal/report/process"
)

const (
	benchTimeout     = "15m" // -test.timeout of one benchmark binary run: a hang fails the report
	failureTailLines = 40    // lines of a failing binary's output shown in the error
)

// A Binary is the benchmark binary of one run: built once from ./bench,
// then listed and run job by job.
type Binary struct {
	Runner    process.Runner
	ModuleDir string // the iostrat module root, where ./bench is; the binary runs there
	Path      string // where the binary is built
	Bench     string // the -bench pattern selecting benchmarks; "" for all
	Quick     bool   // run with -test.short
	Remote    Remote // the agent of a remote run's socket benchmarks; zero for a local run
	// Anchors are the flags of the anchors the binary runs or starts
	// (BenchFlags); none for a run without anchors.
	Anchors []string
}

// Build builds the binary (go test -c ./bench). A failure carries the
// tail of the compiler's output.
func (b *Binary) Build(ctx context.Context) error {
	out, err := process.Combined(ctx, b.Runner, b.ModuleDir, "go", "test", "-c", "-o", b.Path, "./bench")
	if err != nil {
		return fmt.Errorf("building the benchmarks (go test -c ./bench) failed: %w%s", err, process.Tail(out, failureTailLines))
	}
	return nil
}

// List asks the binary for its top-level benchmarks and keeps those the
// Bench pattern selects; none is an error.
func (b *Binary) List(ctx context.Context) ([]string, error) {
	out, err := process.Combined(ctx, b.Runner, b.ModuleDir, b.Path, "-test.list", "Benchmark.*")
	if err != nil {
		return nil, fmt.Errorf("listing the benchmarks failed: %w%s", err, process.Tail(out, failureTailLines))
	}
	var all []string
	for line := range strings.Lines(string(out)) {
		if name := strings.TrimSpace(line); strings.HasPrefix(name, "Benchmark") {
			all = append(all, name)
		}
	}
	sel, err := selectBenchmarks(all, b.Bench)
	if err != nil {
		return nil, err
	}
	if len(sel) == 0 {
		return nil, fmt.Errorf("no benchmark matches -bench %q (have %s)", b.Bench, strings.Join(all, ", "))
	}
	return sel, nil
}

// Run runs a job once with the given benchtime, with the strategies in
// the order of shuffle seed (0: registry order), and returns its output
// and wall time. Output with a FAIL, or a non-zero exit, is an error
// carrying the output's tail.
func (b *Binary) Run(ctx context.Context, j Job, benchtime string, seed int64) ([]byte, time.Duration, error) {
	start := time.Now()
	out, err := process.Combined(ctx, b.Runner, b.ModuleDir, b.Path, b.args(j, benchtime, seed)...)
	wall := time.Since(start)
	if ctx.Err() != nil {
		return nil, 0, fmt.Errorf("interrupted while running %s: %w", j, ctx.Err())
	}
	if failed := failures(out); err != nil || len(failed) > 0 {
		what := "failed"
		if len(failed) > 0 {
			what = "failed: " + strings.Join(failed, ", ")
		}
		if err == nil {
			err = errors.New("FAIL in output")
		}
		return nil, 0, fmt.Errorf("benchmark %s %s (%v)%s", j, what, err, process.Tail(out, failureTailLines))
	}
	return out, wall, nil
}

// args are the binary's arguments for one run of a job.
func (b *Binary) args(j Job, benchtime string, seed int64) []string {
	args := []string{
		"-test.run", "^$",
		"-test.bench", BenchPattern(j.Bench, b.Bench),
		"-test.count", "1",
		"-test.benchtime", benchtime,
		"-test.cpu", strconv.Itoa(j.CPUs),
		"-test.timeout", benchTimeout,
		"-test.v", // the only way the binary prints why a benchmark skipped
	}
	if b.Quick {
		args = append(args, "-test.short")
	}
	if seed != 0 {
		args = append(args, fmt.Sprintf("%s=%d", ShuffleFlag, seed))
	}
	args = append(args, ColumnFlags(j.Only, j.Skip)...)
	args = append(args, b.Anchors...)
	return append(args, b.Remote.flagsFor(j.Bench)...)
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

// BenchPattern is the -test.bench value that runs the top-level
// benchmark name, narrowed by the sub-benchmark part of the user's
// pattern.
func BenchPattern(name, userPattern string) string {
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
