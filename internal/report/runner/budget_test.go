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
	var ids []string
	for _, j := range JobsFor([]string{"BenchmarkSpawn", "BenchmarkWakeExternal"}, 2) {
		ids = append(ids, j.ID())
		if base, cpus := ParseJobID(j.ID()); "Benchmark"+base != j.Bench || cpus != j.CPUs {
			t.Errorf("ParseJobID(%q) = %s, %d; want %s, %d", j.ID(), base, cpus, j.Bench, j.CPUs)
		}
	}
	if want := []string{"Spawn", "WakeExternal", "WakeExternal-2"}; !slices.Equal(ids, want) {
		t.Errorf("job ids %v, want %v", ids, want)
	}
	if got := BudgetLine([]string{"BenchmarkSpawn", "BenchmarkFanOut"}, 2); got[:len("Spawn=1 FanOut=1,2 (")] != "Spawn=1 FanOut=1,2 (" {
		t.Errorf("budgetLine = %q", got)
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
