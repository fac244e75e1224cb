package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// dumpSummary prints a summary in full, for the golden file.
func dumpSummary(s *Summary) string {
	var b strings.Builder
	for _, g := range s.Groups {
		fmt.Fprintf(&b, "group %s columns=%s\n", g.Group.ID, strings.Join(g.Strategies, ","))
		for _, r := range g.Rows {
			fmt.Fprintf(&b, "  row %s base=%s headline=%s verdict=%s\n", r.Name, r.Base, r.Headline, verdictText(r.Verdict, g.Strategies))
			for _, m := range append([]Metric{r.PerCall}, r.Metrics...) {
				fmt.Fprintf(&b, "    %s:", m.Unit)
				for i, c := range m.Cells {
					if !c.OK() {
						fmt.Fprintf(&b, " %s=n/a(%s)", g.Strategies[i], c.Skip)
						continue
					}
					fmt.Fprintf(&b, " %s=%.4g[%.4g,%.4g]n=%d", g.Strategies[i], c.Summary.Center, c.Summary.Lo, c.Summary.Hi, len(c.Sample.Values))
				}
				b.WriteString("\n")
			}
		}
		for _, w := range g.Warnings {
			fmt.Fprintf(&b, "  warning: %s\n", w)
		}
	}
	return b.String()
}

func TestSummarizeSampleGolden(t *testing.T) {
	golden(t, "sample.summary.golden", []byte(dumpSummary(Summarize(readSample(t)))))
}

func TestSummarizeSampleShape(t *testing.T) {
	s := Summarize(readSample(t))
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
	if want := []string{"dispatch", "wake", "timers", "io", "latency", "memory", "harness"}; !slices.Equal(ids, want) {
		t.Errorf("groups %v, want %v", ids, want)
	}
}

// twoStrategies is a header knowing strategies a, b and c.
var twoStrategies = header(false, "2026-01-02T00:00:00Z", "a", "b", "c")

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
	raw := parse(t, twoStrategies+
		results("Spawn/impl=a/tasks=10", "ns/task", spread(100, 10)...)+
		results("Spawn/impl=b/tasks=10", "ns/task", spread(250, 10)...))
	g, r := rowOf(t, Summarize(raw), "Spawn/tasks=10")
	if r.Verdict.Kind != Winner || g.Strategies[r.Verdict.Best] != "a" {
		t.Fatalf("verdict %+v, want a wins", r.Verdict)
	}
	if math.Abs(r.Verdict.Factor-2.5) > 0.01 || r.Verdict.P >= Alpha {
		t.Errorf("factor %v p %v, want 2.5 and p < %v", r.Verdict.Factor, r.Verdict.P, Alpha)
	}
	if got := verdictText(r.Verdict, g.Strategies); got != "a (2.50×)" {
		t.Errorf("verdict text %q", got)
	}
}

func TestNoWinnerWhenNotSignificant(t *testing.T) {
	a := []float64{100, 103, 98, 101, 99, 102, 97, 104, 100, 101}
	b := []float64{101, 99, 103, 98, 100, 102, 97, 100, 104, 99}
	raw := parse(t, twoStrategies+results("Spawn/impl=a", "ns/task", a...)+results("Spawn/impl=b", "ns/task", b...))
	g, r := rowOf(t, Summarize(raw), "Spawn")
	if r.Verdict.Kind != NoDifference || verdictText(r.Verdict, g.Strategies) != "~" {
		t.Errorf("verdict %+v (%s), want ~", r.Verdict, verdictText(r.Verdict, g.Strategies))
	}
}

func TestWinnerMustBeatEveryStrategy(t *testing.T) {
	// a beats c clearly but not b: no winner.
	raw := parse(t, twoStrategies+
		results("Spawn/impl=a", "ns/task", spread(100, 10)...)+
		results("Spawn/impl=b", "ns/task", []float64{99, 101, 100, 102, 98, 103, 97, 100, 101, 99}...)+
		results("Spawn/impl=c", "ns/task", spread(300, 10)...))
	_, r := rowOf(t, Summarize(raw), "Spawn")
	if r.Verdict.Kind != NoDifference {
		t.Errorf("verdict %+v, want no difference", r.Verdict)
	}
}

func TestHigherIsBetterForRates(t *testing.T) {
	raw := parse(t, twoStrategies+
		results("HTTP/impl=a/conns=16", "req/s", spread(10000, 10)...)+
		results("HTTP/impl=b/conns=16", "req/s", spread(30000, 10)...))
	g, r := rowOf(t, Summarize(raw), "HTTP/conns=16")
	if r.Headline != "req/s" || r.Verdict.Kind != Winner || g.Strategies[r.Verdict.Best] != "b" {
		t.Errorf("headline %s verdict %+v, want req/s won by b", r.Headline, r.Verdict)
	}
}

func TestTooFewSamplesNeverWin(t *testing.T) {
	raw := parse(t, twoStrategies+
		results("Spawn/impl=a", "ns/task", 100, 101, 102)+
		results("Spawn/impl=b", "ns/task", 500, 501, 502))
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
	raw := parse(t, twoStrategies+
		results("Spawn/impl=a/tasks=10", "ns/task", spread(100, 6)...)+
		"--- SKIP: BenchmarkSpawn/impl=c\n    dispatch_test.go:30: unsupported: no ring here\n    and a second line\n"+
		results("PingPong/impl=a/mode=same", "ns/round", spread(100, 6)...)+
		"--- SKIP: BenchmarkPingPong/impl=b/mode=same\n    wake_test.go:9: unsupported: mode same\n")
	s := Summarize(raw)
	g, r := rowOf(t, s, "Spawn/tasks=10")
	// b neither ran nor skipped anything in the dispatch group (as an
	// I/O-only variant does): no column. c skipped: a column of n/a.
	if !slices.Equal(g.Strategies, []string{"a", "c"}) {
		t.Fatalf("columns %v, want a and the skipping c", g.Strategies)
	}
	if r.Verdict.Kind != Alone || verdictText(r.Verdict, g.Strategies) != "—" {
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
	raw := parse(t, twoStrategies+results("BrandNew/impl=a/k=1", "ns/thing", spread(5, 6)...)+results("Spawn/impl=a", "ns/task", 1))
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
	raw := parse(t, twoStrategies+
		results("Inject/impl=a/producers=4/tasks=1280", "ns/task", 1)+
		"BenchmarkSpawn/impl=a/tasks=10-4 \t 1 \t 5 ns/task\n"+
		results("Harness/impl=none", "ns/call", 40))
	s := Summarize(raw)
	_, r := rowOf(t, s, "Inject/producers=4/tasks=1280")
	if want := []KeyValue{{"producers", "4"}, {"tasks", "1280"}}; !slices.Equal(r.Keys, want) || r.Key("producers") != "4" {
		t.Errorf("keys %v", r.Keys)
	}
	rowOf(t, s, "Spawn/tasks=10-4") // GOMAXPROCS other than the run's stays in the name
	g, _ := rowOf(t, s, "Harness")
	if !slices.Equal(g.Strategies, []string{"none"}) {
		t.Errorf("harness columns %v, want only none", g.Strategies)
	}
	if got := splitName([]byte("Spawn/impl=a/tasks=10-2"), "2").withImpl(); got != "Spawn/impl=a/tasks=10" {
		t.Errorf("withImpl = %q", got)
	}
}

func TestPerLineProblemsAreWarnings(t *testing.T) {
	raw := parse(t, twoStrategies+results("Spawn/impl=a", "ns/task", 1, 2)+"BenchmarkSpawn/impl=a-2 \t x \t 5 ns/task\nBenchmarkSpawn/impl=a-2 \t 1 \t 5\n")
	if len(raw.Results) != 2 || len(raw.Warnings) != 2 {
		t.Errorf("%d results, warnings %v; want 2 results and 2 warnings", len(raw.Results), raw.Warnings)
	}
}

func TestResultsWithoutImplKey(t *testing.T) {
	raw := parse(t, twoStrategies+results("BrandNew/k=1", "ns/op", 5, 6, 7)+results("BrandNew/k=1", "ns/thing", 5, 6, 7))
	g, r := rowOf(t, Summarize(raw), "BrandNew/k=1")
	if !slices.Equal(g.Strategies, []string{""}) || !r.Metrics[0].Cells[0].OK() {
		t.Errorf("columns %q, cells %+v; want one column for results without impl", g.Strategies, r.Metrics[0].Cells)
	}
	md := string((&Page{Raw: raw, OutDir: "results", RawLink: "raw/x.txt", Summary: Summarize(raw)}).Markdown())
	if !strings.Contains(md, "| benchmark | unit | (no impl key) | best |") {
		t.Error("the column without an impl key has no label")
	}
}

func TestServerCPUNote(t *testing.T) {
	row := func(name string, rate, cpu float64) string {
		var b strings.Builder
		for _, v := range spread(1, 6) {
			fmt.Fprintf(&b, "Benchmark%s-2 \t 100 \t %g req/s \t %g cpu-ns/req\n", name, rate*v, cpu*v)
		}
		return b.String()
	}
	raw := parse(t, twoStrategies+
		row("HTTP/impl=a/conns=16", 1000, 900)+row("HTTP/impl=b/conns=16", 1000, 500)+
		row("HTTP/impl=a/conns=256", 1000, 800)+row("HTTP/impl=b/conns=256", 1000, 400))
	var got []string
	for _, n := range Notes(Summarize(raw)) {
		if strings.Contains(n, "server's CPU") {
			got = append(got, n)
		}
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "HTTP/conns=256:") || !strings.Contains(got[0], "b 398.0ns, a 796.0ns") {
		t.Errorf("server CPU notes %q, want one for the 256-connection row, cheapest first", got)
	}
}
