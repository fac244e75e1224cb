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
const samplePageRawLink = "raw/2026-11-27-1730652-dirty-quick.txt"

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
	if !strings.Contains(md, "make bench-report QUICK=1 COUNT=3") || !strings.Contains(md, "-test.short") {
		t.Error("quick run's reproduction lacks QUICK=1 COUNT=3 or -test.short")
	}

	for i, l := range raw.Provenance.Lines {
		if l.Key == KeyQuick {
			raw.Provenance.Lines[i].Value = "false"
		}
	}
	full := string(samplePage(t, raw).Markdown())
	if strings.Contains(full, "Quick run") || strings.Contains(full, "QUICK=1") || strings.Contains(full, "-test.short") {
		t.Error("a full run's page reads as a quick run")
	}
}

func TestMarkdownReproducesSubset(t *testing.T) {
	raw := readSample(t)
	raw.Provenance.Lines = append(raw.Provenance.Lines, ConfigLine{KeyBench, "Ping/mode=cross"})
	md := string(samplePage(t, raw).Markdown())
	for _, s := range []string{
		"make build && bin/iostrat report -bench Ping/mode=cross -quick -count 3\n",
		"./bench.test -test.run '^$' -test.bench '^BenchmarkPingPong$/mode=cross' -test.count 1",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("page lacks %q", s)
		}
	}
}

func TestMarkdownSampleSections(t *testing.T) {
	md := string(samplePage(t, readSample(t)).Markdown())
	for _, s := range []string{
		"## Dispatch", "## Wake", "## Timers", "## I/O", "## Latency", "## Memory", "## Harness",
		"![Dispatch: time per unit of work by strategy (median, 95% CI)](dispatch.svg)",
		"![Latency/proto=http/conns=16: latency percentiles vs offered rate](latency.svg)",
		"| `Spawn/tasks=1000` | sec/task |", "| `HTTP/conns=16/pipeline=1` | req/s |", "| `Idle/conns=1000` | B/conn |",
		"**Counters per unit**", "| `PingPong/mode=same` | allocs/round |",
		"Cross-thread ping-pong costs", vmNote,
		"Not compared: no earlier quick run to compare with.",
		"`go tool benchstat -col /impl -filter '.name:(Spawn OR Chain OR Inject OR Yield)' results/" + samplePageRawLink + "`",
		"> ⚠ need >= 6 samples for confidence interval at level 0.95",
		"| cpu | AMD EPYC (brand: Oxide Virtual Turin-like Processor) |",
		"| goroutine | backend=netpoll", "git checkout 1730652", "bin/iostrat report -raw results/" + samplePageRawLink,
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
		"| benchmark | unit | a | b | c | best |",
		"| `Spawn/tasks=10` | sec/task | **99.50ns ± 4%** | 298.5ns ± 4% | n/a | a (3.00×) |",
		"| `Chain/depth=10` | sec/task | 100.5ns ± 2% | 100.0ns ± 3% | n/a | ~ |",
		`n/a: c skipped: unsupported: no ring \| here`,
		"| `Spawn/tasks=10` | polls/task | 1.99 | n/a | n/a |",
		"Significant wins by row (U test, p < 0.05): a 1; no significant difference in 1 of 2 rows.",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("page lacks %q", s)
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
	older := strings.Replace(string(data), "date: 2026-11-27T", "date: 2026-11-20T", 1)
	prev := writeRaw(t, filepath.Join(out, "raw"), "2026-11-20-1730652-quick.txt", older)
	otherMachine := strings.Replace(older, "cpu: AMD EPYC", "cpu: Intel Xeon", 1)
	otherMachine = strings.Replace(otherMachine, "date: 2026-11-20T", "date: 2026-11-10T", 1)
	writeRaw(t, filepath.Join(out, "raw"), "2026-11-10-1730652-quick.txt", otherMachine)
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
	if !strings.Contains(string(md), "Compared with [2026-11-20-1730652-quick.txt](raw/2026-11-20-1730652-quick.txt)") {
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
	for _, s := range []string{"wrote " + filepath.Join(out, "README.md") + " (7 groups, 9 charts)", "compared with " + prev + ": 0 regressions, 0 improvements"} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
		}
	}
	if !strings.Contains(stderr.String(), "report: warning: Dispatch: need >= 6 samples for confidence interval at level 0.95") {
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
