package report

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// moduleDir is the iostrat module root, where `go tool benchstat` runs.
const moduleDir = "../.."

// sampleRaw is a real quick run of the catalogue (go test -bench . -short
// -count 3 -benchtime 20x ./bench) headed by this package's provenance.
const sampleRaw = "testdata/sample.txt"

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update to accept):\n%s", name, firstDifference(string(want), string(got)))
	}
}

// firstDifference shows the first line where want and got differ.
func firstDifference(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nwant: %q\ngot:  %q", i+1, w, g)
		}
	}
	return "(no line differs; line endings?)"
}

// readSample reads the sample raw file.
func readSample(t *testing.T) *Raw {
	t.Helper()
	raw, err := ReadRaw(sampleRaw)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// needGo skips a test that runs the go tool when there is none.
func needGo(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain in PATH:", err)
	}
}

// header is a provenance header for synthetic raw files.
func header(quick bool, date string, strategies ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "date: %s\ngoos: linux\ngoarch: amd64\ncpu: Test CPU\nkernel: 6.1.0\ngo: go1.26.0\ncommit: abc1234\ngomaxprocs: 2\niouring: unknown\ncount: 10\nbenchtime: Spawn=1s (test)\nquick: %v\n", date, quick)
	for _, s := range strategies {
		fmt.Fprintf(&b, "knobs-%s: backend=test\n", s)
	}
	return b.String()
}

// results returns one result line per value: name (at cpus=1, so
// without a GOMAXPROCS suffix) measured in unit.
func results(name, unit string, values ...float64) string {
	var b strings.Builder
	for _, v := range values {
		fmt.Fprintf(&b, "Benchmark%s \t 100 \t %g %s\n", name, v, unit)
	}
	return b.String()
}

// placed returns one result line per value, like results, at a budget
// of cpus, with the placement metrics of a process that ran with
// GOMAXPROCS gomaxprocs on as many CPUs; extra is appended to each line.
func placed(name string, cpus, gomaxprocs int, unit string, extra string, values ...float64) string {
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

// mixed reorders spread-out values so that neither half of the run is
// higher: a run without drift.
func mixed(values []float64) []float64 {
	out := make([]float64, 0, len(values))
	for i, j := 0, len(values)-1; i <= j; i, j = i+1, j-1 {
		out = append(out, values[i])
		if i != j {
			out = append(out, values[j])
		}
	}
	return out
}

// spread returns n values around center, each a little different, as
// repeated measurements are.
func spread(center float64, n int) []float64 {
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = center * (1 + 0.01*float64(i-n/2))
	}
	return vs
}

// parse parses a synthetic raw file.
func parse(t *testing.T, text string) *Raw {
	t.Helper()
	raw, err := ParseRaw([]byte(text), "synthetic.txt")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
