package publish

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"iostrat/internal/golden"
	"iostrat/internal/report/internal/reporttest"
	"iostrat/internal/report/process"
	"iostrat/internal/report/raw"
	"iostrat/internal/report/summary"
)

// samplePageRawLink is where the sample sits in a results directory.
const samplePageRawLink = "raw/2026-12-02-72db8c2-dirty-quick.txt"

// samplePage builds the page of the sample run as Publish would, with
// benchstat's real output, without writing anything.
func samplePage(t *testing.T, f *raw.File) *Page {
	t.Helper()
	reporttest.NeedGo(t)
	s := summary.Summarize(f)
	p := &Page{
		Raw: f, OutDir: "results", RawLink: samplePageRawLink, Summary: s,
		Benchstat:  make(map[string]summary.BenchstatOutput),
		Charts:     PlanCharts(s),
		Comparison: &summary.Comparison{Skipped: "no earlier quick run to compare with"},
	}
	for _, g := range s.Groups {
		p.Benchstat[g.Group.ID] = cachedBenchstat(t, "-col", "/impl", "-filter", g.Group.BenchstatFilter(), process.Abs(f.Path))
	}
	return p
}

// sampleBenchstat is benchstat, resolved once for all tests.
var sampleBenchstat = sync.OnceValue(func() *summary.Benchstat {
	return summary.NewBenchstat(context.Background(), process.Exec{}, reporttest.ModuleDir())
})

// benchstatCache keeps benchstat's output per argument list: the pages
// of several tests run the same commands on the same file.
var benchstatCache sync.Map

func cachedBenchstat(t *testing.T, args ...string) summary.BenchstatOutput {
	t.Helper()
	key := strings.Join(args, "\x00")
	if out, ok := benchstatCache.Load(key); ok {
		return out.(summary.BenchstatOutput)
	}
	out, err := sampleBenchstat().Run(t.Context(), args...)
	if err != nil {
		t.Fatal(err)
	}
	benchstatCache.Store(key, out)
	return out
}

func TestMarkdownSampleGolden(t *testing.T) {
	golden.Check(t, reporttest.GoldenPath("sample.md.golden"), samplePage(t, reporttest.ReadSample(t)).Markdown())
}

func TestMarkdownQuickBanner(t *testing.T) {
	f := reporttest.ReadSample(t)
	md := string(samplePage(t, f).Markdown())
	top, _, _ := strings.Cut(md, "\n## ")
	if !strings.Contains(top, "**Quick run.**") {
		t.Errorf("quick run without the banner above the first section:\n%s", top)
	}
	if !strings.Contains(md, "make build && bin/iostrat report -bench '.*/impl=(goroutine|futures|none)$' -quick -count 8 -seed 1\n") || !strings.Contains(md, "-test.short") {
		t.Error("quick run's reproduction lacks -quick -count 8 -seed 1 or -test.short")
	}

	for i, l := range f.Provenance.Lines {
		if l.Key == raw.KeyQuick {
			f.Provenance.Lines[i].Value = "false"
		}
	}
	full := string(samplePage(t, f).Markdown())
	if strings.Contains(full, "Quick run") || strings.Contains(full, " -quick ") || strings.Contains(full, "-test.short") {
		t.Error("a full run's page reads as a quick run")
	}

	// A run made before shuffling (no shuffle line) and of the whole
	// catalogue is reproduced with make.
	f.Provenance.Lines = slices.DeleteFunc(f.Provenance.Lines, func(l raw.ConfigLine) bool { return l.Key == raw.KeyShuffle || l.Key == raw.KeyBench })
	if md := string(samplePage(t, f).Markdown()); !strings.Contains(md, "make bench-report COUNT=8\n") {
		t.Error("a run without a seed is not reproduced with make bench-report COUNT=8")
	}
}

func TestMarkdownReproducesSubset(t *testing.T) {
	f := reporttest.ReadSample(t)
	f.Provenance.Set(raw.KeyBench, "Ping/mode=cross")
	md := string(samplePage(t, f).Markdown())
	for _, s := range []string{
		"make build && bin/iostrat report -bench Ping/mode=cross -quick -count 8 -seed 1\n",
		"for run in $(seq 8); do\n",
		"  ./bench.test -test.run '^$' -test.bench '^BenchmarkPingPong$/mode=cross' -test.count 1 -test.benchtime 7x -test.cpu 1 -iostrat.shuffle=$((1 + run)) -test.v -test.short\n",
		"  ./bench.test -test.run '^$' -test.bench '^BenchmarkPingPong$/mode=cross' -test.count 1 -test.benchtime 4x -test.cpu 2 -iostrat.shuffle=$((1 + run)) -test.v -test.short\n",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("page lacks %q", s)
		}
	}
}

func TestMarkdownSampleSections(t *testing.T) {
	md := string(samplePage(t, reporttest.ReadSample(t)).Markdown())
	for _, s := range []string{
		"## Handoff", "## Dispatch", "## Wake", "## Timers", "## I/O", "## Latency", "## Memory", "## Harness", "## Budgets and placement",
		"![Dispatch: time per unit of work by strategy (median, 95% CI)](dispatch.svg)",
		"![Latency/proto=http/conns=16: latency percentiles vs offered rate](latency.svg)",
		"![Timers: lateness percentiles by strategy (median, 95% CI)](timers-lateness.svg)",
		"![Dispatch cost against wake cost per strategy](summary.svg)",
		"| benchmark | cpus | unit | goroutine | futures | leading group |",
		"| `Spawn/tasks=1000` | 1 | sec/task |", "| `HTTP/conns=16/pipeline=1` | 1 | cpu-sec/req · req/s |", "| `Idle/conns=1000` | 1 | B/conn |",
		"| `PingPong/mode=cross` | 1 | sec/round |", "| `PingPong/mode=cross` | 2 | sec/round |",
		"| *`Handoff/park=netpoll`, in every call* | 1 | sec/call |",
		"**What differs:** futures reuses pooled task cells",
		"<details><summary>Counters per unit (medians), Wake</summary>", "| `PingPong/mode=same` | 1 | sec/round |", "| `PingPong/mode=same` | 1 | allocs/round |", "|  |  | cpu-util |",
		"| 1,2 | Inject, PingPong, WakeExternal, FanOut |",
		"I/O, Latency and Memory results: server on 1 CPU with GOMAXPROCS 1, client on 1 other CPU with GOMAXPROCS 1, no CPU shared",
		"Cross-thread ping-pong against same-thread, per round at cpus=2", vmNote,
		"rows decided (goroutine ", "n/a: goroutine skipped: goroutine does not park a thread",
		"Not compared: no earlier quick run to compare with.",
		"[benchstat's tables](benchstat.txt)",
		"| cpu | AMD EPYC |", "| shuffle | 1 (repetition r = 1…count runs with -iostrat.shuffle=1+r",
		"| goroutine | backend=netpoll", "git checkout 72db8c2", "bin/iostrat report -raw results/" + samplePageRawLink,
	} {
		if !strings.Contains(md, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if strings.Contains(md, "/tmp/") || strings.Contains(md, "testdata") {
		t.Error("page shows a local path")
	}
	if strings.Contains(md, "summaries must be >0") || strings.Contains(md, "all samples are equal") {
		t.Error("page shows benchstat's warnings; they belong in benchstat.txt")
	}
	if strings.Contains(md, "| `Spawn/tasks=1000` | 1 | accepts/task |") {
		t.Error("page shows a counter that is zero for every strategy")
	}
}

func TestBenchstatFile(t *testing.T) {
	p := samplePage(t, reporttest.ReadSample(t))
	text := string(p.BenchstatText())
	for _, s := range []string{
		"## Dispatch\n\n$ go tool benchstat -col /impl -filter '.name:(Spawn OR Chain OR Inject OR Yield)' results/" + samplePageRawLink + "\n",
		"benchstat: summaries must be >0 to compute geomean\n",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("benchstat.txt lacks %q", s)
		}
	}
}

// strategiesPage is a page of a synthetic run with three strategies: a
// significant winner, no difference, n/a cells with and without reasons.
func strategiesPage(t *testing.T) *Page {
	f := reporttest.Parse(t, reporttest.Header(false, "2026-01-02T00:00:00Z", "a", "b", "c")+
		reporttest.Results("Spawn/impl=a/tasks=10", "ns/task", reporttest.Spread(100, 10)...)+
		reporttest.Results("Spawn/impl=b/tasks=10", "ns/task", reporttest.Spread(300, 10)...)+
		reporttest.Results("Chain/impl=a/depth=10", "ns/task", []float64{100, 103, 98, 101, 99, 102, 97, 104, 100, 101}...)+
		reporttest.Results("Chain/impl=b/depth=10", "ns/task", []float64{101, 99, 103, 98, 100, 102, 97, 100, 104, 99}...)+
		reporttest.Results("Spawn/impl=a/tasks=10", "polls/task", reporttest.Spread(2, 10)...)+
		"--- SKIP: BenchmarkSpawn/impl=c\n    dispatch_test.go:30: unsupported: no ring | here\n")
	s := summary.Summarize(f)
	return &Page{Raw: f, OutDir: "results", RawLink: "raw/x.txt", Summary: s, Charts: PlanCharts(s), Benchstat: map[string]summary.BenchstatOutput{}}
}

func TestMarkdownWinnerAndNotApplicable(t *testing.T) {
	md := string(strategiesPage(t).Markdown())
	for _, s := range []string{
		"| benchmark | cpus | unit | a | b | c | leading group |",
		"| `Spawn/tasks=10` | 1 | sec/task | **99.50ns ± 4%** | 298.5ns ± 4% | n/a | a (3.00× over b) |",
		"| `Chain/depth=10` | 1 | sec/task | 100.5ns ± 2% | 100.0ns ± 3% | n/a | ~ |",
		"1 of 2 rows decided.\n",
		`n/a: c skipped: unsupported: no ring \| here`,
		"| `Spawn/tasks=10` | 1 | polls/task | 1.99 | n/a | n/a |",
		"- 1 of 2 rows decided (a 1): a strategy better than every other by the U test after the Holm-Bonferroni correction over the page's 2 comparisons (family-wise α = 0.05), by more than the run's own drift. Not decided: 1 without a significant difference, 0 within drift, 0 flagged.",
		"| 1 | Spawn, Chain |",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("page lacks %q", s)
		}
	}
}

func TestMarkdownFlagsOverBudget(t *testing.T) {
	f := reporttest.Parse(t, reporttest.Header(false, "2026-01-02T00:00:00Z", "a", "b")+
		reporttest.Placed("PingPong/impl=a/mode=cross", 1, 1, "ns/round", "", reporttest.Mixed(reporttest.Spread(100, 10))...)+
		reporttest.Placed("PingPong/impl=b/mode=cross", 1, 2, "ns/round", "", reporttest.Mixed(reporttest.Spread(300, 10))...))
	s := summary.Summarize(f)
	md := string((&Page{Raw: f, OutDir: "results", RawLink: "raw/x.txt", Summary: s}).Markdown())
	for _, want := range []string{
		"| `PingPong/mode=cross` | 1 | sec/round | 99.50ns ± 4% | 298.5ns ± 4% ⚑ | flagged |",
		"0 of 1 row decided. ⚑ `PingPong/mode=cross` cpus=1, b: GOMAXPROCS 2 with a budget of 1.",
		"Wake results: process on 1 CPU with GOMAXPROCS 1, CPU time at most 0.90× wall time (10 results); process on 2 CPUs with GOMAXPROCS 2, CPU time at most 0.90× wall time (10 results); 10 of 20 over their budget: PingPong/impl=b/mode=cross.",
		"- 1 row flagged and not ranked, because a strategy used more than the row's CPU budget: PingPong/mode=cross at cpus=1 (b: GOMAXPROCS 2 with a budget of 1).",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestMarkdownComparison(t *testing.T) {
	p := strategiesPage(t)
	p.PreviousLink = "raw/old.txt"
	p.Comparison = &summary.Comparison{
		Previous:           "/x/results/raw/old.txt",
		PreviousProvenance: reporttest.Parse(t, reporttest.Header(false, "2026-01-01T00:00:00Z")).Provenance,
		OtherDiffs:         []raw.ConfigDiff{{Key: raw.KeyGo, Old: "go1.26.0", New: "go1.27.0"}},
		Regressions:        []summary.Change{{Name: "Spawn/impl=a/tasks=10", Unit: "sec/task", Old: 100e-9, New: 150e-9, Delta: 0.5, P: 0.001}},
		Compared:           4,
	}
	md := string(p.Markdown())
	for _, s := range []string{
		"Compared with [old.txt](raw/old.txt) (commit `abc1234`, 2026-01-01T00:00:00Z): **1 regressions** and **0 improvements** among 4",
		"- `go`: `go1.26.0` → `go1.27.0`",
		"| `Spawn/impl=a/tasks=10` | sec/task | 100.0ns | 150.0ns | +50.0% | 0.001 |",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	p.Comparison = &summary.Comparison{Previous: "/x/results/raw/old.txt", Skipped: `the machine differs: cpu: "A" → "B"`}
	if md := string(p.Markdown()); !strings.Contains(md, `Not compared: [old.txt](raw/old.txt) was not compared: the machine differs: cpu: "A" → "B".`) {
		t.Errorf("machine mismatch not explained:\n%s", md)
	}
}

func TestFormatValue(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		unit string
		want string
	}{
		{441.5e-9, "sec/round", "441.5ns"},
		{0.1762, "p99-sec", "176.2ms"},
		{5000, "B/conn", "4.883KiB"},
		{1.95e6, "B/s", "1.860MiB/s"},
		{27920, "req/s", "27.92k"},
		{2, "wakes/round", "2"},
		{0.0101, "allocs/yield", "0.0101"},
		{0, "wakes/task", "0"},
	} {
		if got := formatValue(tt.v, tt.unit); got != tt.want {
			t.Errorf("formatValue(%v, %s) = %q, want %q", tt.v, tt.unit, got, tt.want)
		}
	}
}

func TestResultsWithoutImplKey(t *testing.T) {
	f := reporttest.Parse(t, reporttest.Header(false, "2026-01-02T00:00:00Z", "a", "b", "c")+reporttest.Results("BrandNew/k=1", "ns/op", 5, 6, 7)+reporttest.Results("BrandNew/k=1", "ns/thing", 5, 6, 7))
	g, r := rowOf(t, summary.Summarize(f), "BrandNew/k=1")
	if !slices.Equal(g.Strategies, []string{""}) || !r.Metrics[0].Cells[0].OK() {
		t.Errorf("columns %q, cells %+v; want one column for results without impl", g.Strategies, r.Metrics[0].Cells)
	}
	md := string((&Page{Raw: f, OutDir: "results", RawLink: "raw/x.txt", Summary: summary.Summarize(f)}).Markdown())
	if !strings.Contains(md, "| benchmark | cpus | unit | (no impl key) | leading group |") {
		t.Error("the column without an impl key has no label")
	}
}

func TestServerCPUNote(t *testing.T) {
	row := func(name string, rate, cpu, util float64) string {
		var b strings.Builder
		for _, v := range reporttest.Spread(1, 6) {
			fmt.Fprintf(&b, "Benchmark%s-2 \t 100 \t %g req/s \t %g cpu-ns/req \t %g cpu-util\n", name, rate*v, cpu*v, util)
		}
		return b.String()
	}
	f := reporttest.Parse(t, reporttest.Header(false, "2026-01-02T00:00:00Z", "a", "b", "c")+
		row("HTTP/impl=a/conns=16", 1000, 900, 1.9)+row("HTTP/impl=b/conns=16", 1000, 500, 1.2)+
		row("HTTP/impl=a/conns=256", 1000, 800, 1.8)+row("HTTP/impl=b/conns=256", 1000, 400, 1.0))
	s := summary.Summarize(f)
	var got []string
	for _, n := range pageNotes(s) {
		if strings.Contains(n, "server's CPU") {
			got = append(got, n)
		}
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "I/O: the server used 50–95% of its CPU budget (cpu-util, medians over 4 figures)") {
		t.Errorf("server CPU notes %q, want one with the range of cpu-util against the budget", got)
	}
	md := string((&Page{Raw: f, OutDir: "results", RawLink: "raw/x.txt", Summary: s}).Markdown())
	if !strings.Contains(md, "| `HTTP/conns=256` | 2 | cpu-sec/req · req/s | 796.0ns ± 3% · 995 req/s | **398.0ns ± 3%** · 995 req/s | b (2.00× over a) |") || strings.Contains(md, "| `HTTP/conns=256` | 2 | req/s |") {
		t.Errorf("the I/O table does not lead with the server's CPU per request, throughput beside it:\n%s", md)
	}
}

// rowOf finds a row of s by name.
func rowOf(t *testing.T, s *summary.Summary, name string) (*summary.GroupSummary, *summary.Row) {
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

func TestCountersApart(t *testing.T) {
	p := samplePage(t, reporttest.ReadSample(t))
	p.CountersApart = true
	md := string(p.Markdown())
	if strings.Contains(md, "<details><summary>Counters per unit") || !strings.Contains(md, "Counters per unit: in [counters.md](counters.md#counters-per-unit).") {
		t.Error("counters kept apart are still on the page, or not linked")
	}
	if c := string(p.CountersMarkdown()); !strings.HasPrefix(c, "# Counters per unit\n") || !strings.Contains(c, "<details><summary>Counters per unit (medians), Wake</summary>") {
		t.Error("counters file lacks the groups' tables")
	}
}
