// Package reporttest holds what the tests of internal/report and its
// packages share: synthetic raw files, the sample run, a fake command
// runner and fake strategies. Only tests import it.
package reporttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"iostrat"
	"iostrat/internal/report/raw"
)

// dir is this file's directory.
func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// ModuleDir is the iostrat module root, where `go tool benchstat` runs.
func ModuleDir() string { return filepath.Join(dir(), "..", "..", "..", "..") }

// SamplePath is a real quick run of the catalogue (go test -bench .
// -short -count 3 -benchtime 20x ./bench) headed by the report's
// provenance: internal/report/testdata/sample.txt.
func SamplePath() string { return filepath.Join(dir(), "..", "..", "testdata", "sample.txt") }

// GoldenPath is a golden file in internal/report/testdata.
func GoldenPath(name string) string { return filepath.Join(dir(), "..", "..", "testdata", name) }

// ReadSample reads the sample raw file.
func ReadSample(t testing.TB) *raw.File {
	t.Helper()
	f, err := raw.Read(SamplePath())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// NeedGo skips a test that runs the go tool when there is none.
func NeedGo(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain in PATH:", err)
	}
}

// Header is a provenance header for synthetic raw files.
func Header(quick bool, date string, strategies ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "date: %s\ngoos: linux\ngoarch: amd64\ncpu: Test CPU\nkernel: 6.1.0\ngo: go1.26.0\ncommit: abc1234\ngomaxprocs: 2\niouring: unknown\ncount: 10\nbenchtime: Spawn=1s (test)\nquick: %v\n", date, quick)
	for _, s := range strategies {
		fmt.Fprintf(&b, "knobs-%s: backend=test\n", s)
	}
	return b.String()
}

// Results returns one result line per value: name (at cpus=1, so
// without a GOMAXPROCS suffix) measured in unit.
func Results(name, unit string, values ...float64) string {
	var b strings.Builder
	for _, v := range values {
		fmt.Fprintf(&b, "Benchmark%s \t 100 \t %g %s\n", name, v, unit)
	}
	return b.String()
}

// Placed returns one result line per value, like Results, at a budget
// of cpus, with the placement metrics of a process that ran with
// GOMAXPROCS gomaxprocs on as many CPUs; extra is appended to each line.
func Placed(name string, cpus, gomaxprocs int, unit string, extra string, values ...float64) string {
	var b strings.Builder
	suffix := ""
	if cpus != 1 {
		suffix = fmt.Sprintf("-%d", cpus)
	}
	for _, v := range values {
		fmt.Fprintf(&b, "Benchmark%s%s \t 100 \t %g %s \t %d cpus \t %d gomaxprocs \t 0.9 cpu-util", name, suffix, v, unit, gomaxprocs, gomaxprocs)
		if extra != "" {
			b.WriteString(" \t " + extra)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Mixed reorders spread-out values so that neither half of the run is
// higher: a run without drift.
func Mixed(values []float64) []float64 {
	out := make([]float64, 0, len(values))
	for i, j := 0, len(values)-1; i <= j; i, j = i+1, j-1 {
		out = append(out, values[i])
		if i != j {
			out = append(out, values[j])
		}
	}
	return out
}

// Spread returns n values around center, each a little different, as
// repeated measurements are.
func Spread(center float64, n int) []float64 {
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = center * (1 + 0.01*float64(i-n/2))
	}
	return vs
}

// Parse parses a synthetic raw file.
func Parse(t testing.TB, text string) *raw.File {
	t.Helper()
	f, err := raw.Parse([]byte(text), "synthetic.txt")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// WriteRaw writes a synthetic raw file into dir and returns its path.
func WriteRaw(t testing.TB, dir, name, text string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// FakeRunner plays the go tool, git, benchstat and a benchmark binary.
type FakeRunner struct {
	mu      sync.Mutex
	Benches []string          // what -test.list prints
	Output  map[string]string // a top-level benchmark's output, go test -v style; "BenchmarkX-2" at -test.cpu 2
	// Calibration, if set for a benchmark, is its output at -benchtime 1x.
	Calibration map[string]string
	ExitErr     map[string]error // a top-level benchmark's exit status
	BuildErr    error
	BuildOut    string
	Git         map[string]string // git subcommand → stdout
	GitErr      error
	// Benchstat returns what `go tool benchstat args` prints.
	Benchstat func(args []string) (stdout, stderr string)

	Runs []string   // "BenchmarkX@benchtime" per benchmark binary run, in order
	Args [][]string // the binary's arguments per run, in order

	// AnchorBuildErr fails the build of an anchor, by name ("rust").
	AnchorBuildErr map[string]error
	// AnchorOutput is what an anchor program prints: "rustanchor
	// -version", or "rustanchor Spawn" for a run of its Spawn job.
	AnchorOutput map[string]string
	// AnchorRuns are "rustanchor Spawn@50x" per anchor program run.
	AnchorRuns []string
}

// Run implements process.Runner.
func (f *FakeRunner) Run(_ context.Context, _ string, stdout, stderr io.Writer, name string, args ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case name == "git":
		if f.GitErr != nil {
			return f.GitErr
		}
		io.WriteString(stdout, f.Git[args[0]])
	case name == "go" && args[0] == "env":
		io.WriteString(stdout, "go1.26.0\n")
	case name == "go" && args[0] == "test":
		io.WriteString(stdout, f.BuildOut)
		return f.BuildErr
	case name == "go" && args[0] == "tool" && args[1] == "-n":
		return errors.New("FakeRunner: no tool binary; run it through go tool")
	case name == "go" && args[0] == "tool":
		if f.Benchstat == nil {
			return errors.New("no benchstat in this test")
		}
		out, errOut := f.Benchstat(args[2:])
		io.WriteString(stdout, out)
		io.WriteString(stderr, errOut)
	case strings.HasSuffix(name, "bench.test"):
		return f.runBinary(stdout, args)
	case strings.HasSuffix(name, "/build.sh") || (name == "go" && args[0] == "build"):
		return f.AnchorBuildErr[anchorOf(append([]string{name}, args...))]
	case f.AnchorOutput != nil:
		return f.runAnchor(stdout, filepath.Base(name), args)
	default:
		return errors.New("FakeRunner: unexpected command " + name)
	}
	return nil
}

// runBinary plays the benchmark binary.
func (f *FakeRunner) runBinary(stdout io.Writer, args []string) error {
	if args[0] == "-test.list" {
		io.WriteString(stdout, strings.Join(f.Benches, "\n")+"\n")
		return nil
	}
	pattern := ArgValue(args, "-test.bench")
	top, _, _ := strings.Cut(strings.TrimPrefix(pattern, "^"), "$")
	f.Runs = append(f.Runs, top+"@"+ArgValue(args, "-test.benchtime"))
	f.Args = append(f.Args, args)
	io.WriteString(stdout, "goos: linux\ngoarch: amd64\npkg: iostrat/bench\ncpu: Fake CPU   \n")
	out, ok := f.Output[top+"-"+ArgValue(args, "-test.cpu")] // a budget's own output
	if !ok {
		out = f.Output[top]
	}
	if cal, ok := f.Calibration[top]; ok && ArgValue(args, "-test.benchtime") == "1x" {
		out = cal
	}
	io.WriteString(stdout, out)
	if f.ExitErr[top] != nil {
		io.WriteString(stdout, "FAIL\n")
		return f.ExitErr[top]
	}
	io.WriteString(stdout, "PASS\n")
	return nil
}

// anchorOf is the anchor a build command builds: the directory after
// "anchors/" in its arguments.
func anchorOf(cmd []string) string {
	for _, arg := range cmd {
		if _, rest, ok := strings.Cut(arg, "anchors/"); ok {
			name, _, _ := strings.Cut(rest, "/")
			return name
		}
	}
	return ""
}

// runAnchor plays an anchor program.
func (f *FakeRunner) runAnchor(stdout io.Writer, prog string, args []string) error {
	key := prog + " " + args[0]
	if args[0] == "-bench" {
		key = prog + " " + args[1]
		f.AnchorRuns = append(f.AnchorRuns, key+"@"+ArgValue(args, "-benchtime"))
	}
	out, ok := f.AnchorOutput[key]
	if !ok {
		return errors.New("FakeRunner: unexpected anchor run " + prog + " " + strings.Join(args, " "))
	}
	io.WriteString(stdout, out)
	return nil
}

// ArgValue is the value after flag in args, or "".
func ArgValue(args []string, flag string) string {
	if i := slices.Index(args, flag); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

// FakeStrategy starts a runtime that only describes itself, or fails.
type FakeStrategy struct {
	Label string
	Info  iostrat.Info
	Err   error
}

func (s FakeStrategy) Name() string { return s.Label }

func (s FakeStrategy) Start(iostrat.Options) (iostrat.Runtime, error) {
	if s.Err != nil {
		return nil, s.Err
	}
	return &FakeRuntime{info: s.Info}, nil
}

// FakeRuntime implements only Info and Close; the embedded nil Runtime
// makes any workload call panic, which the report must never make.
type FakeRuntime struct {
	iostrat.Runtime
	info iostrat.Info
}

func (r *FakeRuntime) Info() iostrat.Info { return r.info }
func (r *FakeRuntime) Close() error       { return nil }
