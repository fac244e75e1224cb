package summary

import (
	"fmt"
	"testing"
)

func ExampleGroupOf() {
	for _, name := range []string{"Handoff", "Spawn", "PingPong", "Echo", "Latency", "Idle", "SomethingNew"} {
		g := GroupOf(name)
		fmt.Printf("%-12s %-8s %s\n", name, g.ID, g.BenchstatFilter())
	}
	// Output:
	// Handoff      handoff  .name:(Handoff)
	// Spawn        dispatch .name:(Spawn OR Chain OR Inject OR Yield)
	// PingPong     wake     .name:(PingPong OR WakeExternal OR FanOut)
	// Echo         io       .name:(Echo OR Pump OR HTTP OR Churn)
	// Latency      latency  .name:(Latency)
	// Idle         memory   .name:(Idle)
	// SomethingNew other    -.name:(Handoff OR Spawn OR Chain OR Inject OR Yield OR Nop OR PingPong OR WakeExternal OR FanOut OR Timers OR Echo OR Pump OR HTTP OR Churn OR Latency OR Idle OR Harness)
}

func TestGroupOf(t *testing.T) {
	for name, want := range map[string]string{
		"Spawn": "dispatch", "Yield": "dispatch", "PingPong": "wake", "FanOut": "wake",
		"Timers": "timers", "Echo": "io", "HTTP": "io", "Churn": "io", "Latency": "latency",
		"Idle": "memory", "Harness": "harness", "Handoff": "handoff",
		"Dispatch": "other", "Brand New": "other", "spawn": "other",
	} {
		if got := GroupOf(name).ID; got != want {
			t.Errorf("GroupOf(%q) = %s, want %s", name, got, want)
		}
	}
}

func TestGroupTableIsConsistent(t *testing.T) {
	seen := make(map[string]string)
	ids := make(map[string]bool)
	for _, g := range Groups() {
		if ids[g.ID] {
			t.Errorf("group ID %s twice", g.ID)
		}
		ids[g.ID] = true
		if len(g.Headline) == 0 {
			t.Errorf("group %s has no headline units", g.ID)
		}
		for _, b := range g.Benchmarks {
			if other, ok := seen[b]; ok {
				t.Errorf("%s is in groups %s and %s", b, other, g.ID)
			}
			seen[b] = g.ID
		}
	}
	if last := Groups()[len(Groups())-1]; last.ID != "other" {
		t.Errorf("last group %s, want other", last.ID)
	}
}

func TestBenchstatFilter(t *testing.T) {
	if got := GroupOf("Spawn").BenchstatFilter(); got != ".name:(Spawn OR Chain OR Inject OR Yield)" {
		t.Errorf("dispatch filter %q", got)
	}
	if got := otherGroup.BenchstatFilter(); got != "-.name:(Handoff OR Spawn OR Chain OR Inject OR Yield OR Nop OR PingPong OR WakeExternal OR FanOut OR Timers OR Echo OR Pump OR HTTP OR Churn OR Latency OR Idle OR Harness)" {
		t.Errorf("other filter %q", got)
	}
}

func TestHeadlineOf(t *testing.T) {
	io, latency, dispatch := GroupOf("Echo"), GroupOf("Latency"), GroupOf("Spawn")
	for _, tt := range []struct {
		g     Group
		units []string
		want  string
	}{
		{dispatch, []string{"allocs/task", "sec/task", "wakes/task"}, "sec/task"},
		{dispatch, []string{"sec/op", "allocs/op"}, ""},
		{io, []string{"allocs/req", "sec/req", "req/s"}, "req/s"},
		{io, []string{"B/s", "sec/msg"}, "B/s"},
		{io, []string{"sec/msg"}, "sec/msg"},
		{latency, []string{"p50-sec", "p99-sec", "sec/req"}, "p99-sec"},
	} {
		if got := tt.g.headlineOf(tt.units); got != tt.want {
			t.Errorf("%s.headlineOf(%q) = %q, want %q", tt.g.ID, tt.units, got, tt.want)
		}
	}
}
