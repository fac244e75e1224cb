package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"iostrat/internal/golden"
)

// reportSample is a real quick run with the report's provenance header;
// internal/report's tests use it too.
const reportSample = "../../internal/report/testdata/sample.txt"

// resultsDir lays out a results directory holding the sample as its only
// raw file, and returns the directory and the raw file's path.
func resultsDir(t *testing.T) (string, string) {
	t.Helper()
	data, err := os.ReadFile(reportSample)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := os.MkdirAll(filepath.Join(out, "raw"), 0o755); err != nil {
		t.Fatal(err)
	}
	raw := filepath.Join(out, "raw", "2026-12-02-72db8c2-dirty-quick.txt")
	if err := os.WriteFile(raw, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return out, raw
}

func TestReportRerendersRawFile(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain:", err)
	}
	out, raw := resultsDir(t)
	var stdout, stderr bytes.Buffer
	if err := runReport(&stdout, &stderr, []string{"-raw", raw, "-out", out}); err != nil {
		t.Fatalf("report -raw: %v\n%s", err, stderr.String())
	}
	clean := func(b *bytes.Buffer) []byte { return []byte(strings.ReplaceAll(b.String(), out, "OUT")) }
	golden.Check(t, filepath.Join("testdata", "report-raw-stdout.golden"), clean(&stdout))
	golden.Check(t, filepath.Join("testdata", "report-raw-stderr.golden"), clean(&stderr))
	readme, err := os.ReadFile(filepath.Join(out, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, []byte("**Quick run.**")) || !bytes.Contains(readme, []byte("](raw/2026-12-02-72db8c2-dirty-quick.txt)")) {
		t.Error("README is not the sample's page")
	}
	svgs, _ := filepath.Glob(filepath.Join(out, "*.svg"))
	if len(svgs) != 11 { // one per group with a chart, Timers two (arm-cancel time, fire lateness), plus summary.svg
		t.Errorf("%d charts, want 10", len(svgs))
	}
}

func TestReportFlagErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"extra"}, `report takes no arguments, got ["extra"]`},
		{[]string{"-count", "-1"}, "-count must be >= 0"},
		{[]string{"-seed", "-1"}, "-seed must be in [0, 4611686018427387904], got -1"},
		{[]string{"-raw", "x.txt", "-seed", "7"}, "-raw renders an existing run; -seed only apply to a new run"},
		{[]string{"-raw", "x.txt", "-quick", "-count", "3"}, "-raw renders an existing run; -count, -quick only apply to a new run"},
		{[]string{"-nope"}, "flag provided but not defined: -nope"},
		{[]string{"-remote", "host:7070"}, "-remote and -token-file go together"},
		{[]string{"-token-file", "tok"}, "-remote and -token-file go together"},
		{[]string{"-raw", "a.txt", "-raw", "b.txt", "-remote", "host:7070", "-token-file", "tok"}, "-raw renders an existing run; -remote, -token-file only apply to a new run"},
	} {
		err := runReport(&bytes.Buffer{}, &bytes.Buffer{}, tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("report %q = %v, want an error with %q", tt.args, err, tt.want)
		}
	}
}

func TestReportHelp(t *testing.T) {
	var stdout bytes.Buffer
	if err := runReport(&stdout, &bytes.Buffer{}, []string{"-h"}); err != nil {
		t.Errorf("report -h = %v, want nil", err)
	}
	for _, s := range []string{"usage: iostrat report", "-quick", "-count", "-bench", "-seed", "-out", "-raw", "-remote", "-token-file"} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("usage lacks %q:\n%s", s, stdout.String())
		}
	}
}

func TestReportMissingRawFile(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain:", err)
	}
	missing := filepath.Join(t.TempDir(), "missing.txt")
	err := runReport(&bytes.Buffer{}, &bytes.Buffer{}, []string{"-raw", missing, "-out", t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("report -raw missing = %v, want an error naming the file", err)
	}
}

func TestReportOutsideModule(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain:", err)
	}
	t.Chdir(t.TempDir())
	err := runReport(&bytes.Buffer{}, &bytes.Buffer{}, []string{"-raw", "x.txt"})
	if err == nil || !strings.Contains(err.Error(), "not inside the iostrat module") {
		t.Errorf("report outside the module = %v", err)
	}
}

func TestReportWithoutGo(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := runReport(&bytes.Buffer{}, &bytes.Buffer{}, []string{"-quick", "-out", t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "no go toolchain") {
		t.Errorf("report without go = %v, want a clear error", err)
	}
}

// TestReportMergesMachines renders two raw files from different machines
// onto one page, each machine's summary table under its machine line.
func TestReportMergesMachines(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain:", err)
	}
	out := t.TempDir()
	var args []string
	for _, name := range []string{"machine-client.txt", "machine-laptop.txt"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "internal", "report", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(out, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-raw", path)
	}
	var stdout, stderr bytes.Buffer
	if err := runReport(&stdout, &stderr, append(args, "-out", out)); err != nil {
		t.Fatalf("report %q: %v\n%s", args, err, stderr.String())
	}
	readme, err := os.ReadFile(filepath.Join(out, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"### Machine 1: client\n\n**Machine:** `client`, 16 CPUs",
		"### Machine 2: laptop\n\n**Machine:** `laptop`, 8 CPUs",
		"**Remote server:** the socket benchmarks (Echo) ran their server on `bigbox`",
	} {
		if !bytes.Contains(readme, []byte(want)) {
			t.Errorf("README lacks %q", want)
		}
	}
}
