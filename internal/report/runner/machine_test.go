package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"iostrat"
	"iostrat/internal/report/internal/reporttest"
	"iostrat/internal/report/raw"
)

func TestCPUModel(t *testing.T) {
	cpuinfo := "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC  7B13\nflags\t\t: fpu hypervisor\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n"
	if got := cpuModelFrom([]byte(cpuinfo)); got != "AMD EPYC 7B13" {
		t.Errorf("cpuModelFrom = %q", got)
	}
	if got := cpuModelFrom([]byte("processor: 0\n")); got != "unknown" {
		t.Errorf("cpuModelFrom(no model) = %q, want unknown", got)
	}
	for _, tt := range []struct{ model, brand, want string }{
		{"AMD EPYC", "Oxide Virtual Turin-like Processor   ", "AMD EPYC (brand: Oxide Virtual Turin-like Processor)"},
		{"Intel Xeon", "Intel Xeon", "Intel Xeon"},
		{"Intel Xeon", "", "Intel Xeon"},
	} {
		if got := WithBrand(tt.model, tt.brand); got != tt.want {
			t.Errorf("WithBrand(%q, %q) = %q, want %q", tt.model, tt.brand, got, tt.want)
		}
	}
}

func TestDescribeStrategies(t *testing.T) {
	got := DescribeStrategies([]iostrat.Strategy{
		reporttest.FakeStrategy{Label: "loop", Info: iostrat.Info{Name: "loop", Backend: "epoll", Knobs: []iostrat.Knob{{Key: "loops", Value: "2"}, {Key: "trigger", Value: "level"}, {Key: "note", Value: "two words"}}}},
		reporttest.FakeStrategy{Label: "ring", Err: fmt.Errorf("start: %w", iostrat.Unsupported("io_uring disabled"))},
	})
	want := []raw.StrategyKnobs{
		{Strategy: "loop", Knobs: `backend=epoll loops=2 trigger=level note="two words"`},
		{Strategy: "ring", Knobs: "unavailable: start: unsupported: io_uring disabled"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("DescribeStrategies:\n%q\nwant\n%q", got, want)
	}
}

// loopsStrategy has one loop per GOMAXPROCS, as the real ones do.
type loopsStrategy struct{}

func (loopsStrategy) Name() string { return "loops" }
func (loopsStrategy) Start(o iostrat.Options) (iostrat.Runtime, error) {
	n := fmt.Sprint(runtime.GOMAXPROCS(0))
	return reporttest.FakeStrategy{Label: "loops", Info: iostrat.Info{Backend: "epoll", Knobs: []iostrat.Knob{{Key: "loops", Value: n}, {Key: "trigger", Value: "level"}}}}.Start(o)
}

func TestDescribeStrategiesPerBudget(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	got := DescribeStrategies([]iostrat.Strategy{loopsStrategy{}, reporttest.FakeStrategy{Label: "fixed", Info: iostrat.Info{Backend: "x"}}}, 1, 2)
	want := []raw.StrategyKnobs{{Strategy: "loops", Knobs: "backend=epoll loops=1 trigger=level; at cpus=2: loops=2"}, {Strategy: "fixed", Knobs: "backend=x"}}
	if !slices.Equal(got, want) {
		t.Errorf("DescribeStrategies at budgets 1 and 2:\n%q\nwant\n%q", got, want)
	}
	if after := runtime.GOMAXPROCS(0); after != before {
		t.Errorf("GOMAXPROCS %d after describing, was %d", after, before)
	}
}

func TestGitCommit(t *testing.T) {
	for _, tt := range []struct {
		status string
		want   string
	}{
		{"", "abc1234"},
		{" M bench/x.go\n", "abc1234-dirty"},
	} {
		r := &reporttest.FakeRunner{Git: map[string]string{"rev-parse": "abc1234\n", "status": tt.status}}
		if got := gitCommit(t.Context(), r, "."); got != tt.want {
			t.Errorf("gitCommit with status %q = %q, want %q", tt.status, got, tt.want)
		}
	}
	r := &reporttest.FakeRunner{GitErr: errors.New("not a git repository")}
	if got := gitCommit(t.Context(), r, "."); got != "unknown" {
		t.Errorf("gitCommit outside git = %q, want unknown", got)
	}
}

func TestOnlineCPUsAndVirtualization(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	if n := onlineCPUs(write("online", "0-3,8,10-11\n")); n != 7 {
		t.Errorf("onlineCPUs(0-3,8,10-11) = %d, want 7", n)
	}
	if n := onlineCPUs(write("bad", "zero\n")); n != runtime.NumCPU() {
		t.Errorf("onlineCPUs of a bad list = %d, want runtime.NumCPU() %d", n, runtime.NumCPU())
	}
	vm := write("vm", "processor\t: 0\nflags\t\t: fpu sse2 hypervisor avx\n")
	metal := write("metal", "processor\t: 0\nflags\t\t: fpu sse2 avx\n")
	vendor := write("vendor", "QEMU\n")
	for _, tt := range []struct{ cpuinfo, vendor, want string }{
		{vm, vendor, "vm (the hypervisor CPU flag is set, system vendor QEMU)"},
		{vm, filepath.Join(dir, "missing"), "vm (the hypervisor CPU flag is set)"},
		{metal, filepath.Join(dir, "missing"), "none seen (no hypervisor CPU flag)"},
		{filepath.Join(dir, "missing"), vendor, "unknown"},
	} {
		if got := virtualization(tt.cpuinfo, tt.vendor); got != tt.want {
			t.Errorf("virtualization(%s, %s) = %q, want %q", tt.cpuinfo, tt.vendor, got, tt.want)
		}
	}
}
