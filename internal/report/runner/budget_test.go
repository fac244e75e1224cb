package runner

import (
	"slices"
	"testing"
	"time"

	"iostrat/internal/report/raw"
)

func TestBudgets(t *testing.T) {
	for _, tt := range []struct {
		base string
		cpus int
		want []int
	}{
		{"PingPong", 2, []int{1, 2}}, {"Inject", 8, []int{1, 2}}, {"FanOut", 1, []int{1}},
		{"Spawn", 2, []int{1}}, {"Echo", 2, []int{1}}, {"Handoff", 2, []int{1}}, {"BrandNew", 2, []int{1}},
	} {
		if got := budgetsFor(tt.base, tt.cpus); !slices.Equal(got, tt.want) {
			t.Errorf("budgetsFor(%s, %d CPUs) = %v, want %v", tt.base, tt.cpus, got, tt.want)
		}
	}
	rust := &Anchor{Name: "rust", Kind: AnchorProgram, Columns: columns("anchor-tokio-ct", "WakeExternal")}
	broken := &Anchor{Name: "c", Kind: AnchorProgram, Columns: columns("anchor-futex", "WakeExternal"), NA: "no gcc"}
	jobs := JobsFor([]string{"BenchmarkSpawn", "BenchmarkWakeExternal"}, 2, rust, broken)
	jobs = append(jobs, jobs[0].Split("thread")...)
	var ids []string
	for _, j := range jobs {
		ids = append(ids, j.ID())
		got := ParseJobID(j.ID())
		anchor := ""
		if j.Anchor != nil {
			anchor = j.Anchor.Name
		}
		if "Benchmark"+got.Base != j.Bench || got.CPUs != j.CPUs || got.Anchor != anchor || !slices.Equal(got.Only, j.Only) || !slices.Equal(got.Skip, j.Skip) {
			t.Errorf("ParseJobID(%q) = %+v; want the job %+v", j.ID(), got, j)
		}
	}
	want := []string{"Spawn", "WakeExternal", "WakeExternal.anchor-rust", "WakeExternal-2", "WakeExternal.anchor-rust-2", "Spawn.skip-thread", "Spawn.only-thread"}
	if !slices.Equal(ids, want) {
		t.Errorf("job ids %v, want %v", ids, want)
	}
	if got := BudgetLine([]string{"BenchmarkSpawn", "BenchmarkFanOut"}, 2); got[:len("Spawn=1 FanOut=1,2 (")] != "Spawn=1 FanOut=1,2 (" {
		t.Errorf("budgetLine = %q", got)
	}
}

func TestSlowColumn(t *testing.T) {
	ms := time.Millisecond
	for _, tt := range []struct {
		calls []time.Duration
		impls []string
		want  string
	}{
		{[]time.Duration{ms, ms, 300 * ms, 300 * ms}, []string{"futures", "callback", "thread", "thread"}, "thread"},
		{[]time.Duration{ms, ms, 15 * ms}, []string{"futures", "callback", "thread"}, ""}, // 88%: not enough to split
		{[]time.Duration{ms, 9 * ms}, []string{"none", "none"}, ""},                       // one column
	} {
		c := Calibration{Name: "Spawn", Calls: tt.calls, Impls: tt.impls}
		if got := c.SlowColumn(); got != tt.want {
			t.Errorf("SlowColumn of %v %v = %q, want %q", tt.impls, tt.calls, got, tt.want)
		}
	}
	for name, want := range map[string]string{
		"BenchmarkSpawn/impl=thread/tasks=10": "thread", "BenchmarkHarness/impl=none-2": "none", "BenchmarkX/y=1": "",
	} {
		if got := implOf(name); got != want {
			t.Errorf("implOf(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestShuffleSeeds(t *testing.T) {
	if got := RepetitionSeed(41, 0); got != 42 {
		t.Errorf("first repetition's seed %d, want base+1", got)
	}
	for _, now := range []time.Time{time.Unix(0, 0), time.Unix(0, 1<<31-2), time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)} {
		if s := ClockSeed(now); s < 1 || s > MaxSeed {
			t.Errorf("ClockSeed(%v) = %d, want in [1, MaxSeed]", now, s)
		}
	}
	prov := raw.Provenance{Lines: []raw.ConfigLine{{Key: raw.KeyShuffle, Value: ShuffleLine(123)}}}
	if seed, ok := ShuffleSeed(prov); !ok || seed != 123 {
		t.Errorf("ShuffleSeed(%q) = %d, %v", ShuffleLine(123), seed, ok)
	}
	if _, ok := ShuffleSeed(raw.Provenance{}); ok {
		t.Error("a run without a shuffle line has a seed")
	}
}
