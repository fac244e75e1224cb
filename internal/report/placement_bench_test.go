package report

import (
	"context"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"iostrat/internal/report/internal/reporttest"
	"iostrat/internal/report/process"
	"iostrat/internal/report/raw"
	"iostrat/internal/report/summary"
)

// recordingRunner runs commands for real and records the benchmark
// binary's arguments.
type recordingRunner struct {
	process.Exec
	mu   sync.Mutex
	args [][]string
}

func (r *recordingRunner) Run(ctx context.Context, dir string, stdout, stderr io.Writer, name string, args ...string) error {
	if strings.HasSuffix(name, "bench.test") && args[0] != "-test.list" {
		r.mu.Lock()
		r.args = append(r.args, slices.Clone(args))
		r.mu.Unlock()
	}
	return r.Exec.Run(ctx, dir, stdout, stderr, name, args...)
}

// testWriter logs each write.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestRunPlacesSocketBenchmark drives the real report path (go test -c
// ./bench, calibration, runs, raw file) on one small Echo leaf and checks
// that the placement the report asks for reached the binary: the result
// names carry no GOMAXPROCS suffix (budget 1), and the processes read
// back GOMAXPROCS 1 on one CPU for the server and a CPU of its own for
// the client. The pinning line must say what the results observed. An
// earlier report passed a flag the binary never saw for socket
// benchmarks and claimed a pinning that did not happen; this test fails
// if that comes back.
func TestRunPlacesSocketBenchmark(t *testing.T) {
	reporttest.NeedGo(t)
	if testing.Short() {
		t.Skip("-short: builds and runs the benchmark binary")
	}
	if n := runtime.NumCPU(); n < 2 {
		t.Skipf("this machine has %d CPU: the client cannot have a CPU of its own, so there is no separation to check", n)
	}
	runner := &recordingRunner{}
	path, err := Run(t.Context(), RunOptions{
		ModuleDir: reporttest.ModuleDir(),
		OutDir:    t.TempDir(),
		Count:     2,
		Quick:     true,
		Bench:     "^BenchmarkEcho$/^impl=goroutine$/^conns=1$/^size=64B$",
		Budget:    publishReserve + 2*time.Second, // a few calls per run; after a slow build, one

		Runner:   runner,
		Seed:     7,
		Progress: testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range runner.args {
		if got := reporttest.ArgValue(args, "-test.cpu"); got != "1" {
			t.Errorf("binary ran with -test.cpu %q, want 1 (Echo's budget): %q", got, args)
		}
		if slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "-iostrat.pin") }) {
			t.Errorf("binary ran with a pin flag it does not have: %q", args)
		}
	}

	f, err := raw.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Results) != 2 {
		t.Fatalf("%d results, want one per run (2)", len(f.Results))
	}
	checkEchoPlacement(t, f)
	want := "I/O results: server on 1 CPU with GOMAXPROCS 1, client on 1 other CPU with GOMAXPROCS 1, no CPU shared, CPU time at most"
	pinning := f.Provenance.Get(raw.KeyPinning)
	if !strings.HasPrefix(pinning, want) || !strings.HasSuffix(pinning, "in all 2 results; none over its budget") {
		t.Errorf("pinning line %q, want it to say what the results observed: %q…, in all 2 results; none over its budget", pinning, want)
	}
	for _, g := range summary.Summarize(f).Groups {
		for _, r := range g.Rows {
			if r.Flagged() {
				t.Errorf("%s flagged: %q", r.Label(), r.Over)
			}
		}
	}
}

// checkEchoPlacement checks that each result of the Echo leaf carries no
// -N suffix and read back the placement its budget asks for.
func checkEchoPlacement(t *testing.T, f *raw.File) {
	t.Helper()
	for _, res := range f.Results {
		name := string(res.Name)
		if name != "Echo/impl=goroutine/conns=1/size=64B" {
			t.Errorf("result %q: want Echo/impl=goroutine/conns=1/size=64B, no -N suffix (budget 1)", name)
		}
		for unit, want := range map[string]float64{summary.UnitGOMAXPROCS: 1, summary.UnitCPUs: 1, summary.UnitSharedCPUs: 0, summary.UnitClientCPUs: 1} {
			if got, ok := res.Value(unit); !ok || got != want {
				t.Errorf("%s: %s = %v (reported: %v), want %v", name, unit, got, ok, want)
			}
		}
	}
}
