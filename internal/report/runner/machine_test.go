package runner

import (
	"errors"
	"fmt"
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
