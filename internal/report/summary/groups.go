package summary

import (
	"slices"
	"strings"
)

// A Group is a set of top-level benchmarks that answer one question and
// share a table, a chart and a benchstat run.
type Group struct {
	// ID names the group in file names (dispatch.svg) and anchors.
	ID string
	// Title is the group's heading.
	Title string
	// Question says in one line what the group measures.
	Question string
	// Benchmarks are the top-level benchmark names without the
	// "Benchmark" prefix, as benchstat's .name key sees them.
	Benchmarks []string
	// Headline lists, in order of preference, the units that can stand
	// for a row in the summary table; a row takes the first one its data
	// has. Units are tidied (benchfmt rewrites ns as sec and MB as B);
	// "sec/*" stands for any time per unit of work except sec/op.
	Headline []string
	// Beside lists, in order of preference, the units a row shows beside
	// its headline: the I/O group's throughput next to the server's CPU
	// per unit.
	Beside []string
	// Chart is the kind of chart drawn for the group.
	Chart ChartKind
	// Handoff: the group's table also shows each strategy's Handoff
	// figure (park=netpoll), which every call of its workloads includes
	// once.
	Handoff bool
}

// ChartKind selects how a group is drawn.
type ChartKind uint8

const (
	// NoChart: the group is not drawn (a single baseline figure says nothing).
	NoChart ChartKind = iota
	// DotChart: a dot plot, one line per row with its full name, one
	// point per strategy with the 95% confidence interval as a bar; a row
	// headed by a percentile is drawn as a PercentileChart instead.
	DotChart
	// RateChart: latency percentiles against the offered rate (the rate=
	// name key), one line per strategy and percentile.
	RateChart
	// PercentileChart: the p50 and p99 of each strategy, one line each,
	// for rows headed by a percentile (timer lateness).
	PercentileChart
	// ScatterChart: the overview's dispatch cost against its wake cost,
	// one labelled point per strategy.
	ScatterChart
)

// Headline patterns: "time per unit of work" and "CPU time per unit".
const (
	timePerUnit = "sec/*"
	cpuPerUnit  = "cpu-sec/*"
)

// groups is the one table of groups and their members, in page order.
// A benchmark in none of them lands in the "other" group.
var groups = []Group{
	{
		ID: "handoff", Title: "Handoff",
		Question:   "What does it cost to hand one empty call into a parked runtime and get the signal back? Every workload call pays it once.",
		Benchmarks: []string{"Handoff"},
		Headline:   []string{timePerUnit},
		Chart:      DotChart,
	},
	{
		ID: "dispatch", Title: "Dispatch",
		Question:   "What does it cost to start a unit of work and run it once?",
		Benchmarks: []string{"Spawn", "Chain", "Inject", "Yield"},
		Headline:   []string{timePerUnit},
		Chart:      DotChart,
		Handoff:    true,
	},
	{
		ID: "port", Title: "Completion port",
		Question:   "What does one no-op cost through iocp_style's completion port itself, below the strategy interface, set against the same loop on liburing?",
		Benchmarks: []string{"Nop"},
		Headline:   []string{timePerUnit},
		Chart:      DotChart,
	},
	{
		ID: "wake", Title: "Wake",
		Question:   "What does it cost to wake a waiting task, on the same thread, across threads and from outside?",
		Benchmarks: []string{"PingPong", "WakeExternal", "FanOut"},
		Headline:   []string{timePerUnit},
		Chart:      DotChart,
		Handoff:    true,
	},
	{
		ID: "timers", Title: "Timers",
		Question:   "What does a timer cost to arm and cancel, and how late does it fire?",
		Benchmarks: []string{"Timers"},
		// A fire row's time per timer is mostly its horizon divided by its
		// count, the same for every strategy; its lateness is what differs.
		Headline: []string{"p99-sec", timePerUnit},
		Chart:    DotChart,
		Handoff:  true,
	},
	{
		ID: "io", Title: "I/O",
		Question:   "How do dispatch and wake costs show up in real socket I/O? The server's CPU time per unit of work, with its throughput beside it.",
		Benchmarks: []string{"Echo", "Pump", "HTTP", "Churn"},
		// The client runs in another process on one CPU of its own and is
		// as often the limit as the server, so throughput separates the
		// strategies little; the server's own CPU per unit (measured in
		// the server process alone) is what they spend, and leads.
		Headline: []string{cpuPerUnit, "req/s", "B/s", "conns/s", timePerUnit},
		Beside:   []string{"req/s", "B/s", "conns/s"},
		Chart:    DotChart,
	},
	{
		ID: "latency", Title: "Latency",
		Question:   "What is the tail latency under open-loop load at fixed offered rates?",
		Benchmarks: []string{"Latency"},
		Headline:   []string{"p99-sec", timePerUnit},
		Chart:      RateChart,
	},
	{
		ID: "memory", Title: "Memory",
		Question:   "What does an idle connection cost in memory?",
		Benchmarks: []string{"Idle"},
		Headline:   []string{"B/conn", timePerUnit},
		Chart:      DotChart,
	},
	{
		ID: "harness", Title: "Harness",
		Question:   "What does the measurement loop itself cost per call?",
		Benchmarks: []string{"Harness"},
		Headline:   []string{timePerUnit},
		Chart:      NoChart,
	},
}

// otherGroup holds every benchmark no group claims, so none is dropped.
var otherGroup = Group{
	ID: "other", Title: "Other",
	Question: "Benchmarks no group claims yet.",
	Headline: []string{timePerUnit},
	Chart:    DotChart,
}

// Groups returns the group table followed by the "other" group.
func Groups() []Group {
	return append(slices.Clone(groups), otherGroup)
}

// GroupOf returns the group a top-level benchmark belongs to; name is
// benchstat's .name, without the "Benchmark" prefix.
func GroupOf(name string) Group {
	for _, g := range groups {
		if slices.Contains(g.Benchmarks, name) {
			return g
		}
	}
	return otherGroup
}

// BenchstatFilter returns the benchstat -filter expression that selects
// the group's benchmarks; for "other" it excludes every named group.
func (g Group) BenchstatFilter() string {
	if g.ID == otherGroup.ID {
		var all []string
		for _, g := range groups {
			all = append(all, g.Benchmarks...)
		}
		return "-.name:(" + strings.Join(all, " OR ") + ")"
	}
	return ".name:(" + strings.Join(g.Benchmarks, " OR ") + ")"
}

// headlineOf returns the first of the group's headline units that units
// satisfies, or "" when none does.
func (g Group) headlineOf(units []string) string {
	for _, want := range g.Headline {
		for _, u := range units {
			if unitMatches(want, u) {
				return u
			}
		}
	}
	return ""
}

// unitMatches reports whether the tidied unit u satisfies the headline
// pattern want.
func unitMatches(want, u string) bool {
	switch want {
	case timePerUnit:
		return strings.HasPrefix(u, "sec/") && u != "sec/op"
	case cpuPerUnit:
		return strings.HasPrefix(u, "cpu-sec/")
	}
	return want == u
}

// besideOf returns the first of the group's Beside units that units has,
// other than the headline, or "".
func (g Group) besideOf(units []string, headline string) string {
	for _, want := range g.Beside {
		if want != headline && slices.Contains(units, want) {
			return want
		}
	}
	return ""
}

// IsTimePerUnit reports whether a tidied unit is a time per unit of
// work ("sec/task"; not sec/op): the headlines a group's bar chart draws
// together.
func IsTimePerUnit(unit string) bool { return unitMatches(timePerUnit, unit) }
