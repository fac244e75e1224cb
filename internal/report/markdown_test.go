package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// samplePageRawLink is where the sample sits in a results directory.
const samplePageRawLink = "raw/2026-12-02-72db8c2-dirty-quick.txt"

// samplePage builds the page of the sample run as Publish would, with
// benchstat's real output, without writing anything.
func samplePage(t *testing.T, raw *Raw) *Page {
	t.Helper()
	needGo(t)
	s := Summarize(raw)
	p := &Page{
		Raw: raw, OutDir: "results", RawLink: samplePageRawLink, Summary: s,
		Benchstat:  make(map[string]BenchstatOutput),
		Charts:     PlanCharts(s),
		Comparison: &Comparison{Skipped: "no earlier quick run to compare with"},
	}
	for _, g := range s.Groups {
		p.Benchstat[g.Group.ID] = cachedBenchstat(t, "-col", "/impl", "-filter", g.Group.BenchstatFilter(), absOr(raw.Path))
	}
	return p
}

// sampleBenchstat is benchstat, resolved once for all tests.
var sampleBenchstat = sync.OnceValue(func() *benchstat {
	return newBenchstat(context.Background(), ExecRunner{}, moduleDir)
})

// benchstatCache keeps benchstat's output per argument list: the pages
// of several tests run the same commands on the same file.
var benchstatCache sync.Map

func cachedBenchstat(t *testing.T, args ...string) BenchstatOutput {
	t.Helper()
	key := strings.Join(args, "\x00")
	if out, ok := benchstatCache.Load(key); ok {
		return out.(BenchstatOutput)
	}
	out, err := sampleBenchstat().run(t.Context(), args...)
	if err != nil {
		t.Fatal(err)
	}
	benchstatCache.Store(key, out)
	return out
}

func TestMarkdownSampleGolden(t *testing.T) {
	golden(t, "sample.md.golden", samplePage(t, readSample(t)).Markdown())
}

func TestMarkdownQuickBanner(t *testing.T) {
	raw := readSample(t)
	md := string(samplePage(t, raw).Markdown())
	top, _, _ := strings.Cut(md, "\n## ")
	if !strings.Contains(top, "**Quick run.**") {
		t.Errorf("quick run without the banner above the first section:\n%s", top)
	}
	if !strings.Contains(md, "make build && bin/iostrat report -bench '.*/impl=(goroutine|futures|none)$' -quick -count 8 -seed 1\n") || !strings.Contains(md, "-test.short") {
		t.Error("quick run's reproduction lacks -quick -count 8 -seed 1 or -test.short")
	}

	for i, l := range raw.Provenance.Lines {
		if l.Key == KeyQuick {
			raw.Provenance.Lines[i].Value = "false"
		}
	}
	full := string(samplePage(t, raw).Markdown())
	if strings.Contains(full, "Quick run") || strings.Contains(full, " -quick ") || strings.Contains(full, "-test.short") {
		t.Error("a full run's page reads as a quick run")
	}

	// A run made before shuffling (no shuffle line) and of the whole
	// catalogue is reproduced with make.
	raw.Provenance.Lines = slices.DeleteFunc(raw.Provenance.Lines, func(l ConfigLine) bool { return l.Key == KeyShuffle || l.Key == KeyBench })
	if md := string(samplePage(t, raw).Markdown()); !strings.Contains(md, "make bench-report COUNT=8\n") {
		t.Error("a run without a seed is not reproduced with make bench-report COUNT=8")
	}
}

func TestMarkdownReproducesSubset(t *testing.T) {
	raw := readSample(t)
	raw.Provenance.set(KeyBench, "Ping/mode=cross")
	md := string(samplePage(t, raw).Markdown())
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
	md := string(samplePage(t, readSample(t)).Markdown())
	for _, s := range []string{
		"## Handoff", "## Dispatch", "## Wake", "## Timers", "## I/O", "## Latency", "## Memory", "## Harness", "## Budgets and placement",
		"![Dispatch: time per unit of work by strategy (median, 95% CI)](dispatch.svg)",
		"![Latency/proto=http/conns=16: latency percentiles vs offered rate](latency.svg)",
		"| benchmark | cpus | unit | goroutine | futures | best |",
		"| `Spawn/tasks=1000` | 1 | sec/task |", "| `HTTP/conns=16/pipeline=1` | 1 | req/s |", "| `Idle/conns=1000` | 1 | B/conn |",
		"| `PingPong/mode=cross` | 1 | sec/round |", "| `PingPong/mode=cross` | 2 | sec/round |",
		"| *`Handoff/park=netpoll`, in every call* | 1 | sec/call |",
		"**What differs:** futures reuses pooled task cells",
		"**Counters per unit**", "| `PingPong/mode=same` | 1 | sec/round |", "|  |  | allocs/round |", "|  |  | cpu-util |",
		"| 1,2 | Inject, PingPong, WakeExternal, FanOut |",
		"I/O, Latency and Memory results: server on 1 CPU with GOMAXPROCS 1, client on 1 other CPU with GOMAXPROCS 1, no CPU shared",
		"Cross-thread ping-pong against same-thread, per round at cpus=2", vmNote,
		"rows decided (goroutine ", "n/a: goroutine skipped: goroutine does not park a thread",
		"Not compared: no earlier quick run to compare with.",
		"`go tool benchstat -col /impl -filter '.name:(Spawn OR Chain OR Inject OR Yield)' results/" + samplePageRawLink + "`",
		"> ⚠ summaries must be >0 to compute geomean",
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
}

// strategiesPage is a page of a synthetic run with three strategies: a
// significant winner, no difference, n/a cells with and without reasons.
func strategiesPage(t *testing.T) *Page {
	raw := parse(t, header(false, "2026-01-02T00:00:00Z", "a", "b", "c")+
		results("Spawn/impl=a/tasks=10", "ns/task", spread(100, 10)...)+
		results("Spawn/impl=b/tasks=10", "ns/task", spread(300, 10)...)+
		results("Chain/impl=a/depth=10", "ns/task", []float64{100, 103, 98, 101, 99, 102, 97, 104, 100, 101}...)+
		results("Chain/impl=b/depth=10", "ns/task", []float64{101, 99, 103, 98, 100, 102, 97, 100, 104, 99}...)+
		results("Spawn/impl=a/tasks=10", "polls/task", spread(2, 10)...)+
		"--- SKIP: BenchmarkSpawn/impl=c\n    dispatch_test.go:30: unsupported: no ring | here\n")
	s := Summarize(raw)
	return &Page{Raw: raw, OutDir: "results", RawLink: "raw/x.txt", Summary: s, Charts: PlanCharts(s), Benchstat: map[string]BenchstatOutput{}}
}

func TestMarkdownWinnerAndNotApplicable(t *testing.T) {
	md := string(strategiesPage(t).Markdown())
	for _, s := range []string{
		"| benchmark | cpus | unit | a | b | c | best |",
		"| `Spawn/tasks=10` | 1 | sec/task | **99.50ns ± 4%** | 298.5ns ± 4% | n/a | a (3.00×) |",
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
	raw := parse(t, header(false, "2026-01-02T00:00:00Z", "a", "b")+
		placed("PingPong/impl=a/mode=cross", 1, 1, "ns/round", "", mixed(spread(100, 10))...)+
		placed("PingPong/impl=b/mode=cross", 1, 2, "ns/round", "", mixed(spread(300, 10))...))
	s := Summarize(raw)
	md := string((&Page{Raw: raw, OutDir: "results", RawLink: "raw/x.txt", Summary: s}).Markdown())
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
	p.Comparison = &Comparison{
		Previous:           "/x/results/raw/old.txt",
		PreviousProvenance: parse(t, header(false, "2026-01-01T00:00:00Z")).Provenance,
		OtherDiffs:         []ConfigDiff{{KeyGo, "go1.26.0", "go1.27.0"}},
		Regressions:        []Change{{Name: "Spawn/impl=a/tasks=10", Unit: "sec/task", Old: 100e-9, New: 150e-9, Delta: 0.5, P: 0.001}},
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
	p.Comparison = &Comparison{Previous: "/x/results/raw/old.txt", Skipped: `the machine differs: cpu: "A" → "B"`}
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

func TestPublish(t *testing.T) {
	needGo(t)
	out := t.TempDir()
	data, err := os.ReadFile(sampleRaw)
	if err != nil {
		t.Fatal(err)
	}
	older := strings.Replace(string(data), "date: 2026-12-02T", "date: 2026-11-20T", 1)
	prev := writeRaw(t, filepath.Join(out, "raw"), "2026-11-20-72db8c2-quick.txt", older)
	otherMachine := strings.Replace(older, "cpu: AMD EPYC", "cpu: Intel Xeon", 1)
	otherMachine = strings.Replace(otherMachine, "date: 2026-11-20T", "date: 2026-11-10T", 1)
	writeRaw(t, filepath.Join(out, "raw"), "2026-11-10-72db8c2-quick.txt", otherMachine)
	current := writeRaw(t, filepath.Join(out, "raw"), filepath.Base(samplePageRawLink), string(data))
	writeRaw(t, out, "notes.svg", "<svg/>")    // not ours: kept
	writeRaw(t, out, "pump.svg", "<svg/>")     // not a group: kept
	writeRaw(t, out, "io-stale.svg", "<svg/>") // an earlier page's chart: removed

	var stdout, stderr bytes.Buffer
	page, err := Publish(t.Context(), PublishOptions{ModuleDir: moduleDir, OutDir: out, RawPath: current, Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	if page.Comparison.Previous != prev || page.Comparison.Skipped != "" {
		t.Errorf("compared with %q (skipped: %q), want the newest older quick run on this machine", page.Comparison.Previous, page.Comparison.Skipped)
	}
	md, err := os.ReadFile(filepath.Join(out, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "Compared with [2026-11-20-72db8c2-quick.txt](raw/2026-11-20-72db8c2-quick.txt)") {
		t.Error("README does not link the previous run")
	}
	for _, c := range page.Charts {
		checkSVG(t, filepath.Join(out, c.File))
		if !strings.Contains(string(md), "]("+c.File+")") {
			t.Errorf("README does not embed %s", c.File)
		}
	}
	for name, want := range map[string]bool{"notes.svg": true, "pump.svg": true, "io-stale.svg": false} {
		if _, err := os.Stat(filepath.Join(out, name)); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", name, err == nil, want)
		}
	}
	for _, s := range []string{"wrote " + filepath.Join(out, "README.md") + " (8 groups, 10 charts)", "compared with " + prev + ": 0 regressions, 0 improvements"} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
		}
	}
	if !strings.Contains(stderr.String(), "report: warning: Latency: summaries must be >0 to compute geomean") {
		t.Errorf("stderr lacks benchstat's sample warning:\n%s", stderr.String())
	}

	// The machine-mismatch run is the only earlier one for this file.
	os.Remove(prev)
	page, err = Publish(t.Context(), PublishOptions{ModuleDir: moduleDir, OutDir: out, RawPath: current})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.Comparison.Skipped, `the machine differs: cpu: "Intel Xeon`) {
		t.Errorf("skipped %q, want the cpu difference", page.Comparison.Skipped)
	}
}

func TestPublishErrors(t *testing.T) {
	out := t.TempDir()
	if _, err := Publish(t.Context(), PublishOptions{OutDir: out, RawPath: filepath.Join(out, "missing.txt")}); err == nil {
		t.Error("Publish of a missing file succeeded")
	}
	empty := writeRaw(t, out, "empty.txt", header(false, "2026-01-01T00:00:00Z", "a")+"PASS\n")
	if _, err := Publish(t.Context(), PublishOptions{OutDir: out, RawPath: empty}); err == nil || !strings.Contains(err.Error(), "no benchmark results") {
		t.Errorf("Publish of a file without results = %v", err)
	}
	f := &fakeRunner{benchstat: func([]string) (string, string) { return "", "benchstat: parsing -filter: syntax error\n" }}
	raw := writeRaw(t, out, "one.txt", header(false, "2026-01-01T00:00:00Z", "a")+results("Spawn/impl=a", "ns/task", 1))
	if _, err := Publish(t.Context(), PublishOptions{OutDir: out, RawPath: raw, Runner: f}); err == nil || !strings.Contains(err.Error(), "syntax error") {
		t.Errorf("Publish with a failing benchstat = %v, want its error", err)
	}
	if slices.ContainsFunc([]string{"README.md"}, func(n string) bool { _, err := os.Stat(filepath.Join(out, n)); return err == nil }) {
		t.Error("a failed Publish wrote README.md")
	}
}
