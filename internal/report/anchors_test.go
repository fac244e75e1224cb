package report

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"iostrat/internal/report/internal/reporttest"
	"iostrat/internal/report/raw"
	"iostrat/internal/report/runner"
)

// anchorRun is a binary with BenchmarkSpawn, where thread's calls are
// most of a pass, and anchors: the Rust program builds and runs, the C
// one does not build.
func anchorRun() *reporttest.FakeRunner {
	return &reporttest.FakeRunner{
		Benches: []string{"BenchmarkSpawn"},
		Output: map[string]string{
			"BenchmarkSpawn": "BenchmarkSpawn/impl=x/tasks=10 \t 10 \t 100 ns/op \t 10.0 ns/task \t 1 cpus \t 1 gomaxprocs\n" +
				"BenchmarkSpawn/impl=thread/tasks=10 \t 10 \t 100000 ns/op \t 10000 ns/task \t 1 cpus \t 1 gomaxprocs\n" +
				"BenchmarkSpawn/impl=anchor-go/tasks=10 \t 10 \t 90 ns/op \t 9.0 ns/task \t 1 cpus \t 1 gomaxprocs\n",
		},
		Git:            map[string]string{"rev-parse": "abc1234\n", "status": ""},
		AnchorBuildErr: map[string]error{"c": errors.New("exit status 1")},
		AnchorOutput: map[string]string{
			"rustanchor -version": "tokio: 1.24.2\nrustc: rustc 1.95.0\n",
			"rustanchor Spawn":    "BenchmarkSpawn/impl=anchor-tokio-ct/tasks=10\t10\t1200 ns/op\t120 ns/task\t119 cpu-ns/task\t0.99 cpu-util\t1 cpus\n",
		},
	}
}

func TestRunWithAnchors(t *testing.T) {
	f := anchorRun()
	o := runOptions(f, t.TempDir(), &bytes.Buffer{})
	o.Anchors = true
	path, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{
		"anchor-go: go go1.26.0 (plain goroutines, in the bench binary)\n",
		"anchor-rust: tokio 1.24.2, rustc 1.95.0\n",
		"anchor-c: n/a: anchors/c/build.sh ", // the reason follows
		"BenchmarkSpawn/impl=anchor-tokio-ct/tasks=10\t10\t1200 ns/op",
		"--- SKIP: BenchmarkSpawn/impl=anchor-pthread\n    anchor c: anchors/c/build.sh",
		"benchtime: Spawn.skip-thread=", " Spawn.only-thread=", " Spawn.anchor-rust=",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("raw file lacks %q:\n%s", want, text)
		}
	}
	file, err := raw.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := file.Provenance.Anchors(); len(got) != 3 || got[2].Anchor != "c" {
		t.Errorf("anchor lines %+v, want go, rust, c", got)
	} else if why, na := got[2].NA(); !na || !strings.Contains(why, "exit status 1") {
		t.Errorf("c's line %q: want n/a with the build's failure", got[2].Value)
	}
	checkAnchorJobs(t, f, o.Count)
}

// checkAnchorJobs checks the order and flags of an anchor run's jobs:
// after the whole benchmark's calibration, thread splits off; every
// repetition runs the others, thread, then the Rust program; the bench
// binary gets the plain-Go floor's flag.
func checkAnchorJobs(t *testing.T, f *reporttest.FakeRunner, count int) {
	t.Helper()
	var cols []string
	for _, args := range f.Args {
		if !slices.Contains(args, runner.AnchorsFlag) {
			t.Errorf("bench binary run without %s: %q", runner.AnchorsFlag, args)
		}
		cols = append(cols, "") // the whole benchmark
		for _, a := range args {
			if strings.HasPrefix(a, runner.ImplsFlag) || strings.HasPrefix(a, runner.SkipImplsFlag) {
				cols[len(cols)-1] = a
			}
		}
	}
	want := []string{""}
	for range count + 1 { // the split's calibration, then every repetition
		want = append(want, runner.SkipImplsFlag+"=thread", runner.ImplsFlag+"=thread")
	}
	if !slices.Equal(cols, want) {
		t.Errorf("bench binary column flags per run %q, want %q", cols, want)
	}
	if got, want := len(f.AnchorRuns), count+1; got != want {
		t.Errorf("%d runs of the Rust program, want %d: %v", got, want, f.AnchorRuns)
	}
}
