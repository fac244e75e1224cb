package report

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"iostrat/internal/golden"
	"iostrat/internal/report/internal/reporttest"
	"iostrat/internal/report/process"
	"iostrat/internal/report/raw"
	"iostrat/internal/report/summary"
)

func TestCompareWithPreviousRunsBenchstat(t *testing.T) {
	dir := t.TempDir()
	body := reporttest.Results("Spawn/impl=a", "ns/task", reporttest.Spread(100, 10)...)
	prev := reporttest.WriteRaw(t, dir, "2026-01-01-a.txt", reporttest.Header(false, "2026-01-01T00:00:00Z", "a")+body)
	cur := reporttest.WriteRaw(t, dir, "2026-01-02-b.txt", reporttest.Header(false, "2026-01-02T00:00:00Z", "a")+body)
	f, err := raw.Read(cur)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	runner := &reporttest.FakeRunner{Benchstat: func(args []string) (string, string) {
		got = args
		return "table\n", ""
	}}
	c, err := compareWithPrevious(t.Context(), summary.NewBenchstat(t.Context(), runner, "."), dir, f, summary.Summarize(f))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"-table", "", "-filter", `.unit:("sec/task")`, "previous=" + process.Abs(prev), "current=" + process.Abs(cur)}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("benchstat args %q, want %q", got, want)
	}
	if c.Benchstat.Text != "table\n" || c.Previous != prev {
		t.Errorf("comparison %+v", c)
	}
}

// publishFixture lays out a results directory: the sample as the
// current run, an older run of the same kind on the same machine (prev),
// an even older one on another machine, and charts of its own, of
// others and of an earlier page.
func publishFixture(t *testing.T) (out, prev, current string) {
	t.Helper()
	out = t.TempDir()
	data, err := os.ReadFile(reporttest.SamplePath())
	if err != nil {
		t.Fatal(err)
	}
	older := strings.Replace(string(data), "date: 2026-12-02T", "date: 2026-11-20T", 1)
	prev = reporttest.WriteRaw(t, filepath.Join(out, "raw"), "2026-11-20-72db8c2-quick.txt", older)
	otherMachine := strings.Replace(older, "cpu: AMD EPYC", "cpu: Intel Xeon", 1)
	otherMachine = strings.Replace(otherMachine, "date: 2026-11-20T", "date: 2026-11-10T", 1)
	reporttest.WriteRaw(t, filepath.Join(out, "raw"), "2026-11-10-72db8c2-quick.txt", otherMachine)
	current = reporttest.WriteRaw(t, filepath.Join(out, "raw"), "2026-12-02-72db8c2-dirty-quick.txt", string(data))
	reporttest.WriteRaw(t, out, "notes.svg", "<svg/>")    // not ours: kept
	reporttest.WriteRaw(t, out, "pump.svg", "<svg/>")     // not a group: kept
	reporttest.WriteRaw(t, out, "io-stale.svg", "<svg/>") // an earlier page's chart: removed
	return out, prev, current
}

func TestPublish(t *testing.T) {
	reporttest.NeedGo(t)
	out, prev, current := publishFixture(t)
	var stdout, stderr bytes.Buffer
	page, err := Publish(t.Context(), PublishOptions{ModuleDir: reporttest.ModuleDir(), OutDir: out, RawPath: current, Stdout: &stdout, Stderr: &stderr})
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
		reporttest.CheckSVG(t, filepath.Join(out, c.File))
		if !strings.Contains(string(md), "]("+c.File+")") {
			t.Errorf("README does not embed %s", c.File)
		}
	}
	for name, want := range map[string]bool{"notes.svg": true, "pump.svg": true, "io-stale.svg": false} {
		if _, err := os.Stat(filepath.Join(out, name)); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", name, err == nil, want)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "benchstat.txt")); err != nil || !strings.Contains(string(md), "](benchstat.txt)") {
		t.Errorf("benchstat.txt not written (%v) or not linked", err)
	}
	for _, s := range []string{"wrote " + filepath.Join(out, "README.md") + " (8 groups, 11 charts)", "compared with " + prev + ": 0 regressions, 0 improvements"} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
		}
	}
	if !strings.Contains(stderr.String(), "report: warning: Latency: summaries must be >0 to compute geomean") {
		t.Errorf("stderr lacks benchstat's sample warning:\n%s", stderr.String())
	}

	// The machine-mismatch run is the only earlier one for this file.
	os.Remove(prev)
	page, err = Publish(t.Context(), PublishOptions{ModuleDir: reporttest.ModuleDir(), OutDir: out, RawPath: current})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.Comparison.Skipped, `the machine differs: cpu: "Intel Xeon`) {
		t.Errorf("skipped %q, want the cpu difference", page.Comparison.Skipped)
	}
}

// pageBudget is the largest results page a reader should have to load.
const pageBudget = 120 << 10

func TestPublishedPageOpensWithTheSummary(t *testing.T) {
	reporttest.NeedGo(t)
	out, _, current := publishFixture(t)
	page, err := Publish(t.Context(), PublishOptions{ModuleDir: reporttest.ModuleDir(), OutDir: out, RawPath: current})
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(md) >= pageBudget {
		t.Errorf("page is %d bytes, want under %d", len(md), pageBudget)
	}
	lines := strings.SplitAfter(string(md), "\n")
	top := strings.Join(lines[:min(60, len(lines))], "")
	header := ""
	for _, l := range lines[:min(60, len(lines))] {
		if strings.HasPrefix(l, "| measure | unit |") {
			header = l
		}
	}
	if header == "" {
		t.Fatalf("no summary table in the first 60 lines:\n%s", top)
	}
	var strategies []string
	for _, st := range page.Raw.Provenance.Strategies() {
		if slices.ContainsFunc(page.Raw.Results, func(r *benchfmt.Result) bool { return strings.Contains(string(r.Name), "/impl="+st+"/") }) {
			strategies = append(strategies, st)
		}
	}
	if len(strategies) < 2 {
		t.Fatalf("the sample has strategies %v, want at least two", strategies)
	}
	for _, st := range strategies {
		if !strings.Contains(header, " "+st+" |") {
			t.Errorf("summary table header %q lacks %s", header, st)
		}
	}
	for _, measure := range []string{"[spawn]", "[same-thread wake]", "[timer p99 lateness]", "[server CPU per HTTP req]", "[handoff baseline]", "**Machine:**"} {
		if !strings.Contains(top, measure) {
			t.Errorf("first 60 lines lack %s", measure)
		}
	}
}

func TestPublishRewritesReadmeBlock(t *testing.T) {
	reporttest.NeedGo(t)
	out, _, current := publishFixture(t)
	before := "# iostrat\n\nIntro.\n\n<!-- summary:start (written by make bench-report) -->\nold summary\n<!-- summary:end -->\n\n## More\n\nText after.\n"
	readme := reporttest.WriteRaw(t, t.TempDir(), "README.md", before)
	var stdout bytes.Buffer
	if _, err := Publish(t.Context(), PublishOptions{ModuleDir: reporttest.ModuleDir(), OutDir: out, RawPath: current, Readme: readme, Stdout: &stdout}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	got := string(data)
	head, rest, ok := strings.Cut(got, "<!-- summary:start (written by make bench-report) -->\n")
	block, tail, ok2 := strings.Cut(rest, "<!-- summary:end -->\n")
	if !ok || !ok2 || head != "# iostrat\n\nIntro.\n\n" || tail != "\n## More\n\nText after.\n" {
		t.Fatalf("README changed outside the block:\n%s", got)
	}
	if strings.Contains(block, "old summary") || !strings.Contains(block, "| measure | unit | goroutine | futures | leading group |") || !strings.Contains(block, "]("+relLink(filepath.Dir(readme), out)+"/README.md#dispatch)") {
		t.Errorf("block not replaced by the summary table with links into the results:\n%s", block)
	}
	if !strings.Contains(stdout.String(), "wrote the summary block of "+readme) {
		t.Errorf("stdout does not say the README was written:\n%s", stdout.String())
	}

	// Without markers the README is left alone, with a warning.
	plain := reporttest.WriteRaw(t, t.TempDir(), "README.md", "# no markers\n")
	var stderr bytes.Buffer
	if _, err := Publish(t.Context(), PublishOptions{ModuleDir: reporttest.ModuleDir(), OutDir: out, RawPath: current, Readme: plain, Stderr: &stderr}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(plain); string(data) != "# no markers\n" || !strings.Contains(stderr.String(), plain+" has no summary markers") {
		t.Errorf("README without markers: %q, stderr %q", data, stderr.String())
	}
}

func TestReadmeOnlyForTheModulesResults(t *testing.T) {
	mod := t.TempDir()
	for _, tt := range []struct {
		o    PublishOptions
		want string
	}{
		{PublishOptions{ModuleDir: mod, OutDir: filepath.Join(mod, "results")}, filepath.Join(mod, "README.md")},
		{PublishOptions{ModuleDir: mod, OutDir: t.TempDir()}, ""},
		{PublishOptions{ModuleDir: mod, OutDir: filepath.Join(mod, "results"), Readme: "/x/README.md"}, "/x/README.md"},
		{PublishOptions{OutDir: "results"}, ""},
	} {
		if got := tt.o.readmePath(); got != tt.want {
			t.Errorf("readmePath(%+v) = %q, want %q", tt.o, got, tt.want)
		}
	}
}

func TestPublishErrors(t *testing.T) {
	out := t.TempDir()
	if _, err := Publish(t.Context(), PublishOptions{OutDir: out, RawPath: filepath.Join(out, "missing.txt")}); err == nil {
		t.Error("Publish of a missing file succeeded")
	}
	empty := reporttest.WriteRaw(t, out, "empty.txt", reporttest.Header(false, "2026-01-01T00:00:00Z", "a")+"PASS\n")
	if _, err := Publish(t.Context(), PublishOptions{OutDir: out, RawPath: empty}); err == nil || !strings.Contains(err.Error(), "no benchmark results") {
		t.Errorf("Publish of a file without results = %v", err)
	}
	f := &reporttest.FakeRunner{Benchstat: func([]string) (string, string) { return "", "benchstat: parsing -filter: syntax error\n" }}
	one := reporttest.WriteRaw(t, out, "one.txt", reporttest.Header(false, "2026-01-01T00:00:00Z", "a")+reporttest.Results("Spawn/impl=a", "ns/task", 1))
	if _, err := Publish(t.Context(), PublishOptions{OutDir: out, RawPath: one, Runner: f}); err == nil || !strings.Contains(err.Error(), "syntax error") {
		t.Errorf("Publish with a failing benchstat = %v, want its error", err)
	}
	if slices.ContainsFunc([]string{"README.md"}, func(n string) bool { _, err := os.Stat(filepath.Join(out, n)); return err == nil }) {
		t.Error("a failed Publish wrote README.md")
	}
}

// TestPublishMachinesGolden renders two small runs from different
// machines onto one page: a remote run (its socket benchmarks' server on
// an agent's machine) and a local one. The golden page shows the
// side-by-side summary, each table under its machine line, and the
// remote wording, all read back from the raw files' config lines.
func TestPublishMachinesGolden(t *testing.T) {
	reporttest.NeedGo(t)
	out := t.TempDir()
	var paths []string
	for _, name := range []string{"machine-client.txt", "machine-laptop.txt"} {
		data, err := os.ReadFile(reporttest.GoldenPath(name))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, reporttest.WriteRaw(t, filepath.Join(out, "raw"), name, string(data)))
	}
	var stderr bytes.Buffer
	page, err := Publish(t.Context(), PublishOptions{ModuleDir: reporttest.ModuleDir(), OutDir: out, RawPath: paths[0], MorePaths: paths[1:], Stderr: &stderr})
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if len(page.Machines) != 2 {
		t.Fatalf("%d machines on the page, want 2", len(page.Machines))
	}
	md, err := os.ReadFile(filepath.Join(out, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, reporttest.GoldenPath("machines.md.golden"), bytes.ReplaceAll(md, []byte(out), []byte("OUT")))
}
