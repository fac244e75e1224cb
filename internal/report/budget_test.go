package report

import (
	"slices"
	"testing"
	"time"
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
	for _, j := range jobsFor([]string{"BenchmarkSpawn", "BenchmarkWakeExternal"}, 2) {
		ids = append(ids, j.id())
		if base, cpus := parseJobID(j.id()); "Benchmark"+base != j.bench || cpus != j.cpus {
			t.Errorf("parseJobID(%q) = %s, %d; want %s, %d", j.id(), base, cpus, j.bench, j.cpus)
		}
	}
	if want := []string{"Spawn", "WakeExternal", "WakeExternal-2"}; !slices.Equal(ids, want) {
		t.Errorf("job ids %v, want %v", ids, want)
	}
	if got := budgetLine([]string{"BenchmarkSpawn", "BenchmarkFanOut"}, 2); got[:len("Spawn=1 FanOut=1,2 (")] != "Spawn=1 FanOut=1,2 (" {
		t.Errorf("budgetLine = %q", got)
	}
}

func TestShuffleSeeds(t *testing.T) {
	if got := repetitionSeed(41, 0); got != 42 {
		t.Errorf("first repetition's seed %d, want base+1", got)
	}
	for _, now := range []time.Time{time.Unix(0, 0), time.Unix(0, 1<<31-2), runStart} {
		if s := clockSeed(now); s < 1 || s > MaxSeed {
			t.Errorf("clockSeed(%v) = %d, want in [1, MaxSeed]", now, s)
		}
	}
	prov := Provenance{Lines: []ConfigLine{{KeyShuffle, shuffleLine(123)}}}
	if seed, ok := shuffleSeed(prov); !ok || seed != 123 {
		t.Errorf("shuffleSeed(%q) = %d, %v", shuffleLine(123), seed, ok)
	}
	if _, ok := shuffleSeed(Provenance{}); ok {
		t.Error("a run without a shuffle line has a seed")
	}
}
