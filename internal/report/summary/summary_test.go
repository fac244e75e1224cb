package summary

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"iostrat/internal/golden"
	"iostrat/internal/report/internal/reporttest"
)

// dumpSummary prints a summary in full, for the golden file.
func dumpSummary(s *Summary) string {
	var b strings.Builder
	for _, g := range s.Groups {
		fmt.Fprintf(&b, "group %s columns=%s\n", g.Group.ID, strings.Join(g.Strategies, ","))
		for _, r := range g.Rows {
			fmt.Fprintf(&b, "  row %s cpus=%d base=%s headline=%s beside=%s verdict=%s leaders=%v next=%d p=%.3g\n", r.Name, r.CPUs, r.Base, r.Headline, r.Beside, r.Verdict.Text(g.Strategies), r.Verdict.Leaders, r.Verdict.Next, r.Verdict.P)
			for i, why := range r.Over {
				if len(why) > 0 {
					fmt.Fprintf(&b, "    over budget: %s: %s\n", g.Strategies[i], strings.Join(why, "; "))
				}
			}
			for _, m := range append([]Metric{r.PerCall}, r.Metrics...) {
				fmt.Fprintf(&b, "    %s:", m.Unit)
				for i, c := range m.Cells {
					if !c.OK() {
						fmt.Fprintf(&b, " %s=n/a(%s)", g.Strategies[i], c.Skip)
						continue
					}
					fmt.Fprintf(&b, " %s=%.4g[%.4g,%.4g]n=%d,drift=%.2g", g.Strategies[i], c.Summary.Center, c.Summary.Lo, c.Summary.Hi, len(c.Sample.Values), c.Drift)
				}
				b.WriteString("\n")
			}
		}
		for _, w := range g.Warnings {
			fmt.Fprintf(&b, "  warning: %s\n", w)
		}
	}
	fmt.Fprintf(&b, "tests %d\nplacement %s\n", s.Tests, s.Placement)
	return b.String()
}

func TestSummarizeSampleGolden(t *testing.T) {
	golden.Check(t, reporttest.GoldenPath("sample.summary.golden"), []byte(dumpSummary(Summarize(reporttest.ReadSample(t)))))
}

func TestSummarizeSampleShape(t *testing.T) {
	s := Summarize(reporttest.ReadSample(t))
	var ids []string
	for _, g := range s.Groups {
		ids = append(ids, g.Group.ID)
		for _, r := range g.Rows {
			if r.Headline == "" {
				t.Errorf("%s has no headline", r.Name)
			}
			if strings.Contains(r.Name, "impl=") || strings.HasSuffix(r.Name, "-2") {
				t.Errorf("row name %q keeps the strategy or the GOMAXPROCS suffix", r.Name)
			}
		}
	}
	if want := []string{"handoff", "dispatch", "wake", "timers", "io", "latency", "memory", "harness"}; !slices.Equal(ids, want) {
		t.Errorf("groups %v, want %v", ids, want)
	}
}

// twoStrategies is a header knowing strategies a, b and c.
var twoStrategies = reporttest.Header(false, "2026-01-02T00:00:00Z", "a", "b", "c")

func rowOf(t *testing.T, s *Summary, name string) (*GroupSummary, *Row) {
	t.Helper()
	for gi := range s.Groups {
		for ri := range s.Groups[gi].Rows {
			if s.Groups[gi].Rows[ri].Name == name {
				return &s.Groups[gi], &s.Groups[gi].Rows[ri]
			}
		}
	}
	t.Fatalf("no row %s", name)
	return nil, nil
}

func TestWinnerWhenSignificant(t *testing.T) {
	raw := reporttest.Parse(t, twoStrategies+
		reporttest.Results("Spawn/impl=a/tasks=10", "ns/task", reporttest.Spread(100, 10)...)+
		reporttest.Results("Spawn/impl=b/tasks=10", "ns/task", reporttest.Spread(250, 10)...))
	s := Summarize(raw)
	g, r := rowOf(t, s, "Spawn/tasks=10")
	if r.Verdict.Kind != Winner || g.Strategies[r.Verdict.Best] != "a" {
		t.Fatalf("verdict %+v, want a wins", r.Verdict)
	}
	if math.Abs(r.Verdict.Factor-2.5) > 0.01 || r.Verdict.P >= Alpha || s.Tests != 1 {
		t.Errorf("factor %v p %v after %d tests, want 2.5 and p < %v after 1", r.Verdict.Factor, r.Verdict.P, s.Tests, Alpha)
	}
	if got := r.Verdict.Text(g.Strategies); got != "a (2.50× over b)" {
		t.Errorf("verdict text %q", got)
	}
}

func TestNoWinnerWhenNotSignificant(t *testing.T) {
	a := []float64{100, 103, 98, 101, 99, 102, 97, 104, 100, 101}
	b := []float64{101, 99, 103, 98, 100, 102, 97, 100, 104, 99}
	raw := reporttest.Parse(t, twoStrategies+reporttest.Results("Spawn/impl=a", "ns/task", a...)+reporttest.Results("Spawn/impl=b", "ns/task", b...))
	g, r := rowOf(t, Summarize(raw), "Spawn")
	if r.Verdict.Kind != NoDifference || r.Verdict.Text(g.Strategies) != "~" {
		t.Errorf("verdict %+v (%s), want ~", r.Verdict, r.Verdict.Text(g.Strategies))
	}
}

func TestWinnerMustBeatEveryStrategy(t *testing.T) {
	// a beats c clearly but not b: no winner.
	raw := reporttest.Parse(t, twoStrategies+
		reporttest.Results("Spawn/impl=a", "ns/task", reporttest.Spread(100, 10)...)+
		reporttest.Results("Spawn/impl=b", "ns/task", []float64{99, 101, 100, 102, 98, 103, 97, 100, 101, 99}...)+
		reporttest.Results("Spawn/impl=c", "ns/task", reporttest.Spread(300, 10)...))
	_, r := rowOf(t, Summarize(raw), "Spawn")
	if r.Verdict.Kind != NoDifference {
		t.Errorf("verdict %+v, want no difference", r.Verdict)
	}
}

func TestLeadingGroupOfTiedVariants(t *testing.T) {
	// a and b tie (two variants of one strategy), far ahead of c: no
	// single winner, but the row still shows a and b leading, 93× ahead.
	raw := reporttest.Parse(t, twoStrategies+
		reporttest.Results("Spawn/impl=a", "ns/task", reporttest.Spread(100, 10)...)+
		reporttest.Results("Spawn/impl=b", "ns/task", []float64{99, 101, 100, 102, 98, 103, 97, 100, 101, 99}...)+
		reporttest.Results("Spawn/impl=c", "ns/task", reporttest.Spread(9300, 10)...))
	g, r := rowOf(t, Summarize(raw), "Spawn")
	if r.Verdict.Kind != NoDifference || !r.Verdict.Split() {
		t.Fatalf("verdict %+v, want no single winner but a split", r.Verdict)
	}
	var leaders []string
	for _, i := range r.Verdict.Leaders {
		leaders = append(leaders, g.Strategies[i])
	}
	slices.Sort(leaders)
	if !slices.Equal(leaders, []string{"a", "b"}) || g.Strategies[r.Verdict.Next] != "c" {
		t.Errorf("leaders %v next %d, want a and b ahead of c", leaders, r.Verdict.Next)
	}
	if math.Abs(r.Verdict.Margin-93) > 1 || !r.Verdict.Leads(r.Verdict.Best) || r.Verdict.Leads(r.Verdict.Next) {
		t.Errorf("margin %v, want about 93", r.Verdict.Margin)
	}
	if got := r.Verdict.Text(g.Strategies); !strings.HasSuffix(got, "(93.0× over c)") {
		t.Errorf("verdict text %q, want the margin over c", got)
	}
}

func TestHolmCorrectsForThePage(t *testing.T) {
	// Five runs each, completely separated: p = 2/C(10,5) ≈ 0.008 for
	// every row. One such row is decided; among ten, Holm's first
	// threshold is 0.005 and none is.
	row := func(name string) string {
		return reporttest.Results(name+"/impl=a", "ns/task", reporttest.Mixed(reporttest.Spread(100, 5))...) +
			reporttest.Results(name+"/impl=b", "ns/task", reporttest.Mixed(reporttest.Spread(200, 5))...)
	}
	one := Summarize(reporttest.Parse(t, twoStrategies+row("Spawn/k=0")))
	if _, r := rowOf(t, one, "Spawn/k=0"); r.Verdict.Kind != Winner || math.Abs(r.Verdict.P-2.0/252) > 1e-6 {
		t.Errorf("one row: verdict %+v, want a winner at p = 2/252", r.Verdict)
	}
	text := twoStrategies
	for i := range 10 {
		text += row(fmt.Sprintf("Spawn/k=%d", i))
	}
	ten := Summarize(reporttest.Parse(t, text))
	if ten.Tests != 10 {
		t.Errorf("%d tests, want 10", ten.Tests)
	}
	for i := range 10 {
		if _, r := rowOf(t, ten, fmt.Sprintf("Spawn/k=%d", i)); r.Verdict.Kind != NoDifference || math.Abs(r.Verdict.P-10*2.0/252) > 1e-6 {
			t.Errorf("row %d of 10: verdict %+v, want no difference at Holm-adjusted p = 10 × 2/252", i, r.Verdict)
		}
	}
}

func TestHolm(t *testing.T) {
	got := holm([]float64{0.01, 0.04, 0.03, 0.005})
	want := []float64{0.03, 0.06, 0.06, 0.02} // sorted: 4×0.005, 3×0.01, 2×0.03, then max(0.06, 1×0.04)
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("holm = %v, want %v", got, want)
			break
		}
	}
	if len(holm(nil)) != 0 {
		t.Error("holm of nothing is not empty")
	}
}

func TestDrift(t *testing.T) {
	for _, tt := range []struct {
		values []float64
		want   float64
	}{
		{[]float64{1, 2, 3, 4}, 0.8},       // halves 1.5 and 3.5 around 2.5
		{[]float64{10, 10, 99, 10, 10}, 0}, // the middle value of an odd count is left out
		{[]float64{10, 12, 10, 12}, 0},     // alternating: both halves alike
		{[]float64{1, 2, 3}, math.Inf(1)},  // too few to split
	} {
		if got := drift(tt.values); math.Abs(got-tt.want) > 1e-12 && got != tt.want {
			t.Errorf("drift(%v) = %v, want %v", tt.values, got, tt.want)
		}
	}
	if got := MinRunsFor(Alpha); got != 4 {
		t.Errorf("MinRunsFor(0.05) = %d, want 4 (benchmath's own figure)", got)
	}
}

func TestWithinDrift(t *testing.T) {
	// a is 10% faster than b in every run, but both slowed by a third
	// during the run: significant, not beyond the drift.
	slowing := func(center float64) []float64 {
		vs := make([]float64, 10)
		for i := range vs {
			vs[i] = center * (1 + 0.04*float64(i))
		}
		return vs
	}
	raw := reporttest.Parse(t, twoStrategies+reporttest.Results("Spawn/impl=a", "ns/task", slowing(90)...)+reporttest.Results("Spawn/impl=b", "ns/task", slowing(100)...))
	g, r := rowOf(t, Summarize(raw), "Spawn")
	if r.Verdict.Kind != WithinDrift || r.Verdict.Text(g.Strategies) != "within drift" {
		t.Errorf("verdict %+v, want within drift", r.Verdict)
	}
	if d := r.Metrics[0].Cells[0].Drift; d < 0.1 {
		t.Errorf("drift %v, want the run's slowdown", d)
	}
}

func TestOverBudgetIsFlagged(t *testing.T) {
	raw := reporttest.Parse(t, twoStrategies+
		reporttest.Placed("PingPong/impl=a/mode=cross", 1, 1, "ns/round", "", reporttest.Mixed(reporttest.Spread(100, 10))...)+
		reporttest.Placed("PingPong/impl=b/mode=cross", 1, 2, "ns/round", "", reporttest.Mixed(reporttest.Spread(300, 10))...)+
		reporttest.Placed("PingPong/impl=a/mode=cross", 2, 2, "ns/round", "", reporttest.Mixed(reporttest.Spread(100, 10))...)+
		reporttest.Placed("PingPong/impl=b/mode=cross", 2, 2, "ns/round", "", reporttest.Mixed(reporttest.Spread(300, 10))...)+
		reporttest.Placed("Echo/impl=a/conns=1", 1, 1, "ns/msg", "1 client-cpus \t 1 client-gomaxprocs \t 1 shared-cpus", reporttest.Mixed(reporttest.Spread(100, 10))...)+
		reporttest.Placed("Echo/impl=b/conns=1", 1, 1, "ns/msg", "1 client-cpus \t 1 client-gomaxprocs \t 0 shared-cpus", reporttest.Mixed(reporttest.Spread(300, 10))...))
	s := Summarize(raw)
	var flagged, cpus2 *Row
	g, _ := rowOf(t, s, "PingPong/mode=cross")
	for ri := range g.Rows {
		switch g.Rows[ri].CPUs {
		case 1:
			flagged = &g.Rows[ri]
		case 2:
			cpus2 = &g.Rows[ri]
		}
	}
	if flagged == nil || cpus2 == nil {
		t.Fatalf("rows %+v, want PingPong/mode=cross at cpus=1 and at cpus=2 apart", g.Rows)
	}
	if flagged.Verdict.Kind != Flagged || !slices.Equal(flagged.Over[1], []string{"GOMAXPROCS 2 with a budget of 1"}) || flagged.Over[0] != nil {
		t.Errorf("cpus=1 row: verdict %+v, over %q; want b flagged for its GOMAXPROCS", flagged.Verdict, flagged.Over)
	}
	if cpus2.Verdict.Kind != Winner {
		t.Errorf("cpus=2 row: verdict %+v, want a winner", cpus2.Verdict)
	}
	if _, echo := rowOf(t, s, "Echo/conns=1"); echo.Verdict.Kind != Flagged || !slices.Equal(echo.Over[0], []string{"sharing 1 CPU with the client"}) {
		t.Errorf("echo row: verdict %+v, over %q; want a flagged for sharing its CPU", echo.Verdict, echo.Over)
	}
	if s.Tests != 1 {
		t.Errorf("%d tests, want 1: flagged rows are not tested", s.Tests)
	}
	for _, want := range []string{
		"Wake results: process on 2 CPUs with GOMAXPROCS 2, CPU time at most 0.90× wall time (30 results); process on 1 CPU with GOMAXPROCS 1, CPU time at most 0.90× wall time (10 results); 10 of 40 over their budget: PingPong/impl=b/mode=cross",
		"I/O results: server on 1 CPU with GOMAXPROCS 1, client on 1 CPU with GOMAXPROCS 1, 1 CPU shared, CPU time at most 0.90× wall time (10 results); server on 1 CPU with GOMAXPROCS 1, client on 1 other CPU with GOMAXPROCS 1, no CPU shared, CPU time at most 0.90× wall time (10 results); 10 of 20 over their budget: Echo/impl=a/conns=1",
	} {
		if !strings.Contains(s.Placement, want) {
			t.Errorf("placement lacks %q:\n%s", want, s.Placement)
		}
	}
}

func TestCPUUtilOverBudget(t *testing.T) {
	// 100 calls of 1 ms: 0.3 s of CPU over the budget.
	over := placementOf(reporttest.Parse(t, "BenchmarkSpawn/impl=a \t 100 \t 1000000 ns/op \t 5 ns/task \t 1 cpus \t 1 gomaxprocs \t 1.3 cpu-util\n").Results[0], 1)
	if got := over.overBudget(); !slices.Equal(got, []string{"CPU time 1.30× wall time with a budget of 1"}) {
		t.Errorf("overBudget = %q", got)
	}
	// One call of 5 µs: 1.5 µs over, well inside the kernel's accounting
	// slack, so not evidence of anything.
	short := placementOf(reporttest.Parse(t, "BenchmarkSpawn/impl=a \t 1 \t 5000 ns/op \t 5 ns/task \t 1 cpus \t 1 gomaxprocs \t 1.3 cpu-util\n").Results[0], 1)
	if got := short.overBudget(); got != nil {
		t.Errorf("a 5 µs loop 30%% over: overBudget = %q, want nothing (accounting slack)", got)
	}
	within := placementOf(reporttest.Parse(t, "BenchmarkSpawn/impl=a-2 \t 1 \t 5 ns/task \t 2 cpus \t 2 gomaxprocs \t 1.9 cpu-util\n").Results[0], 2)
	if got := within.overBudget(); got != nil {
		t.Errorf("1.9 CPUs of 2: overBudget = %q", got)
	}
	if got := DescribePlacement(reporttest.Parse(t, reporttest.Results("Harness/impl=none", "ns/call", 1, 2)).Results); got != "Harness results: no placement read back, in all 2 results" {
		t.Errorf("placement without metrics: %q", got)
	}
}

func TestHigherIsBetterForRates(t *testing.T) {
	raw := reporttest.Parse(t, twoStrategies+
		reporttest.Results("HTTP/impl=a/conns=16", "req/s", reporttest.Spread(10000, 10)...)+
		reporttest.Results("HTTP/impl=b/conns=16", "req/s", reporttest.Spread(30000, 10)...))
	g, r := rowOf(t, Summarize(raw), "HTTP/conns=16")
	if r.Headline != "req/s" || r.Verdict.Kind != Winner || g.Strategies[r.Verdict.Best] != "b" {
		t.Errorf("headline %s verdict %+v, want req/s won by b", r.Headline, r.Verdict)
	}
}

func TestTooFewSamplesNeverWin(t *testing.T) {
	raw := reporttest.Parse(t, twoStrategies+
		reporttest.Results("Spawn/impl=a", "ns/task", 100, 101, 102)+
		reporttest.Results("Spawn/impl=b", "ns/task", 500, 501, 502))
	g, r := rowOf(t, Summarize(raw), "Spawn")
	if r.Verdict.Kind != NoDifference {
		t.Errorf("verdict %+v with 3 samples each, want no difference", r.Verdict)
	}
	if !slices.ContainsFunc(g.Warnings, func(w string) bool { return strings.Contains(w, "need >= 6 samples") }) ||
		!slices.ContainsFunc(g.Warnings, func(w string) bool { return strings.Contains(w, "to detect a difference") }) {
		t.Errorf("warnings %q, want the interval and the test warnings", g.Warnings)
	}
}

func TestNotApplicableCells(t *testing.T) {
	raw := reporttest.Parse(t, twoStrategies+
		reporttest.Results("Spawn/impl=a/tasks=10", "ns/task", reporttest.Spread(100, 6)...)+
		"--- SKIP: BenchmarkSpawn/impl=c\n    dispatch_test.go:30: unsupported: no ring here\n    and a second line\n"+
		reporttest.Results("PingPong/impl=a/mode=same", "ns/round", reporttest.Spread(100, 6)...)+
		"--- SKIP: BenchmarkPingPong/impl=b/mode=same\n    wake_test.go:9: unsupported: mode same\n")
	s := Summarize(raw)
	g, r := rowOf(t, s, "Spawn/tasks=10")
	// b neither ran nor skipped anything in the dispatch group (as an
	// I/O-only variant does): no column. c skipped: a column of n/a.
	if !slices.Equal(g.Strategies, []string{"a", "c"}) {
		t.Fatalf("columns %v, want a and the skipping c", g.Strategies)
	}
	if r.Verdict.Kind != Alone || r.Verdict.Text(g.Strategies) != "—" {
		t.Errorf("verdict %+v, want alone", r.Verdict)
	}
	cells := r.Metrics[0].Cells
	if cells[1].OK() || cells[1].Skip != "unsupported: no ring here; and a second line" {
		t.Errorf("c: skip %q, want the reason of the strategy-level skip", cells[1].Skip)
	}
	gp, pp := rowOf(t, s, "PingPong/mode=same")
	if !slices.Equal(gp.Strategies, []string{"a", "b"}) {
		t.Fatalf("wake columns %v, want a and the skipping b", gp.Strategies)
	}
	if got := pp.Metrics[0].Cells[1].Skip; got != "unsupported: mode same" {
		t.Errorf("leaf-level skip reason %q", got)
	}
}

func TestUnknownBenchmarkGoesToOther(t *testing.T) {
	raw := reporttest.Parse(t, twoStrategies+reporttest.Results("BrandNew/impl=a/k=1", "ns/thing", reporttest.Spread(5, 6)...)+reporttest.Results("Spawn/impl=a", "ns/task", 1))
	s := Summarize(raw)
	g, r := rowOf(t, s, "BrandNew/k=1")
	if g.Group.ID != "other" || r.Headline != "sec/thing" {
		t.Errorf("BrandNew in %s with headline %s, want other and sec/thing", g.Group.ID, r.Headline)
	}
	if last := s.Groups[len(s.Groups)-1]; last.Group.ID != "other" {
		t.Errorf("other is not the last group: %s", last.Group.ID)
	}
}

func TestRowNames(t *testing.T) {
	raw := reporttest.Parse(t, twoStrategies+
		reporttest.Results("Inject/impl=a/producers=4/tasks=1280", "ns/task", 1)+
		"BenchmarkSpawn/impl=a/tasks=10-4 \t 1 \t 5 ns/task\n"+
		reporttest.Results("Harness/impl=none", "ns/call", 40))
	s := Summarize(raw)
	_, r := rowOf(t, s, "Inject/producers=4/tasks=1280")
	if want := []KeyValue{{"producers", "4"}, {"tasks", "1280"}}; !slices.Equal(r.Keys, want) || r.Key("producers") != "4" {
		t.Errorf("keys %v", r.Keys)
	}
	if _, r := rowOf(t, s, "Spawn/tasks=10"); r.CPUs != 4 || r.Label() != "Spawn/tasks=10 at cpus=4" {
		t.Errorf("the -4 suffix gave budget %d, label %q", r.CPUs, r.Label())
	}
	g, r := rowOf(t, s, "Harness")
	if !slices.Equal(g.Strategies, []string{"none"}) || r.CPUs != 1 {
		t.Errorf("harness columns %v at cpus=%d, want only none at 1", g.Strategies, r.CPUs)
	}
	names := newNames()
	for in, want := range map[string]string{"Spawn/impl=a/tasks=10-2": "Spawn/impl=a/tasks=10-2", "Spawn/tasks=10/impl=a": "Spawn/impl=a/tasks=10", "Harness/impl=none": "Harness/impl=none"} {
		if got := names.ofName(in).full(); got != want {
			t.Errorf("names.ofName(%q).full() = %q, want %q", in, got, want)
		}
	}
}

// TestRemotePlacement checks that a result whose server ran in an agent
// is described as remote, never as sharing or not sharing a CPU with its
// client, and that remote-server stays out of the counter tables.
func TestRemotePlacement(t *testing.T) {
	raw := reporttest.Parse(t, twoStrategies+
		reporttest.Placed("Echo/impl=a/conns=1", 1, 1, "ns/msg", "1 client-cpus \t 1 client-gomaxprocs \t 1 remote-server", reporttest.Mixed(reporttest.Spread(100, 10))...)+
		reporttest.Placed("Echo/impl=b/conns=1", 1, 1, "ns/msg", "1 client-cpus \t 1 client-gomaxprocs \t 1 remote-server", reporttest.Mixed(reporttest.Spread(300, 10))...))
	got := DescribePlacement(raw.Results)
	want := "I/O results: server remote on 1 CPU with GOMAXPROCS 1, client here on 1 CPU with GOMAXPROCS 1, CPU time at most 0.90× wall time, in all 20 results; none over its budget"
	if got != want {
		t.Errorf("placement:\n%s\nwant:\n%s", got, want)
	}
	_, echo := rowOf(t, Summarize(raw), "Echo/conns=1")
	if echo.Verdict.Kind == Flagged {
		t.Errorf("echo row flagged: %q", echo.Over)
	}
	for _, m := range echo.Metrics {
		if m.Unit == UnitRemoteServer {
			t.Error("remote-server shown as a metric of the row")
		}
	}
}
