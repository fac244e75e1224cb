package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeRaw writes a synthetic raw file into dir and returns its path.
func writeRaw(t *testing.T, dir, name, text string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFindPrevious(t *testing.T) {
	dir := t.TempDir()
	body := results("Spawn/impl=a", "ns/task", 1)
	writeRaw(t, dir, "2026-01-01-aaa.txt", header(false, "2026-01-01T10:00:00Z", "a")+body)
	want := writeRaw(t, dir, "2026-01-02-bbb.txt", header(false, "2026-01-02T10:00:00Z", "a")+body)
	writeRaw(t, dir, "2026-01-02-ccc-quick.txt", header(true, "2026-01-02T11:00:00Z", "a")+body) // quick: never for a full run
	writeRaw(t, dir, "2026-01-04-eee.txt", header(false, "2026-01-04T10:00:00Z", "a")+body)      // newer than the current run
	writeRaw(t, dir, "notes.md", "not a raw file")
	current := writeRaw(t, dir, "2026-01-03-ddd.txt", header(false, "2026-01-03T10:00:00Z", "a")+body)

	raw, err := ReadRaw(current)
	if err != nil {
		t.Fatal(err)
	}
	if got, why := FindPrevious(dir, raw); got != want {
		t.Errorf("previous of a full run = %q (%s), want %q", got, why, want)
	}

	quick := writeRaw(t, dir, "2026-01-03-fff-quick.txt", header(true, "2026-01-03T12:00:00Z", "a")+body)
	qraw, err := ReadRaw(quick)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := FindPrevious(dir, qraw); got != filepath.Join(dir, "2026-01-02-ccc-quick.txt") {
		t.Errorf("previous of a quick run = %q, want the older quick run", got)
	}

	first, err := ReadRaw(filepath.Join(dir, "2026-01-01-aaa.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got, why := FindPrevious(dir, first); got != "" || why != "no earlier full run to compare with" {
		t.Errorf("previous of the first run = %q, %q; want none", got, why)
	}
	if got, why := FindPrevious(filepath.Join(dir, "missing"), raw); got != "" || why == "" {
		t.Errorf("previous in a missing directory = %q, %q; want none, with a reason", got, why)
	}
}

func TestFindPreviousWithoutDateLines(t *testing.T) {
	dir := t.TempDir()
	body := results("Spawn/impl=a", "ns/task", 1)
	noDate := func(quick bool) string {
		h := header(quick, "x", "a")
		return strings.Replace(h, "date: x\n", "", 1)
	}
	old := writeRaw(t, dir, "old.txt", noDate(false)+body)
	oldQuick := writeRaw(t, dir, "old-quick.txt", strings.Replace(noDate(true), "quick: true\n", "", 1)+body) // quick only by its name
	current := writeRaw(t, dir, "new.txt", noDate(false)+body)
	past := time.Now().Add(-time.Hour)
	os.Chtimes(old, past, past)
	os.Chtimes(oldQuick, past, past)
	raw, err := ReadRaw(current)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := FindPrevious(dir, raw); got != old {
		t.Errorf("previous by modification time = %q, want %q", got, old)
	}
}

func TestCompareRunsMachineMismatch(t *testing.T) {
	body := results("Spawn/impl=a", "ns/task", spread(100, 10)...)
	old := parse(t, header(false, "2026-01-01T00:00:00Z", "a")+body)
	other := strings.Replace(header(false, "2026-01-02T00:00:00Z", "a"), "kernel: 6.1.0", "kernel: 6.9.0", 1)
	c := CompareRuns(old, parse(t, other+body))
	if c.Skipped == "" || !strings.Contains(c.Skipped, `kernel: "6.1.0" → "6.9.0"`) {
		t.Errorf("skipped %q, want the kernel difference", c.Skipped)
	}
	if len(c.Regressions)+len(c.Improvements) != 0 {
		t.Error("compared runs from different machines")
	}
}

func TestCompareRunsFindsChanges(t *testing.T) {
	old := parse(t, header(false, "2026-01-01T00:00:00Z", "a", "b")+
		results("Spawn/impl=a", "ns/task", spread(100, 10)...)+
		results("Spawn/impl=b", "ns/task", spread(100, 10)...)+
		results("HTTP/impl=a", "req/s", spread(1000, 10)...)+
		results("Yield/impl=a", "ns/yield", []float64{10, 11, 9, 10, 12, 8, 10, 11, 9, 10}...))
	newText := strings.Replace(header(false, "2026-01-02T00:00:00Z", "a", "b"), "go: go1.26.0", "go: go1.27.0", 1) +
		results("Spawn/impl=a", "ns/task", spread(150, 10)...) + // slower: regression
		results("Spawn/impl=b", "ns/task", spread(50, 10)...) + // faster: improvement
		results("HTTP/impl=a", "req/s", spread(400, 10)...) + // fewer requests: regression
		results("Yield/impl=a", "ns/yield", []float64{11, 10, 9, 10, 10, 9, 11, 12, 8, 10}...) // noise
	c := CompareRuns(old, parse(t, newText))
	if c.Skipped != "" {
		t.Fatalf("skipped: %s", c.Skipped)
	}
	if c.Compared != 4 {
		t.Errorf("compared %d, want 4", c.Compared)
	}
	var regressions, improvements []string
	for _, ch := range c.Regressions {
		regressions = append(regressions, ch.Name+" "+ch.Unit)
	}
	for _, ch := range c.Improvements {
		improvements = append(improvements, ch.Name+" "+ch.Unit)
	}
	if strings.Join(regressions, ", ") != "HTTP/impl=a req/s, Spawn/impl=a sec/task" {
		t.Errorf("regressions %q (largest first)", regressions)
	}
	if strings.Join(improvements, ", ") != "Spawn/impl=b sec/task" {
		t.Errorf("improvements %q", improvements)
	}
	if len(c.OtherDiffs) != 1 || c.OtherDiffs[0].Key != KeyGo {
		t.Errorf("other diffs %v, want go", c.OtherDiffs)
	}
}

func TestCompareRunsHoldsChangesToTheirDrift(t *testing.T) {
	// Both runs drift by about 5% from their first half to their second
	// (spread); a 4% change is significant to a lone U test but within
	// the drift, a 40% change is not. A row at another budget is another
	// benchmark: not compared.
	old := parse(t, header(false, "2026-01-01T00:00:00Z", "a")+
		results("Spawn/impl=a", "ns/task", spread(100, 10)...)+
		results("Chain/impl=a", "ns/task", spread(100, 10)...)+
		results("Yield/impl=a-2", "ns/yield", spread(100, 10)...))
	cur := parse(t, header(false, "2026-01-02T00:00:00Z", "a")+
		results("Spawn/impl=a", "ns/task", spread(104, 10)...)+
		results("Chain/impl=a", "ns/task", spread(140, 10)...)+
		results("Yield/impl=a", "ns/yield", spread(200, 10)...))
	c := CompareRuns(old, cur)
	if c.Compared != 2 || c.Uncorrected != 2 {
		t.Errorf("compared %d, %d significant uncorrected; want 2 and 2", c.Compared, c.Uncorrected)
	}
	if len(c.Regressions) != 1 || c.Regressions[0].Name != "Chain/impl=a" || len(c.Improvements) != 0 {
		t.Errorf("regressions %+v, improvements %+v; want only Chain", c.Regressions, c.Improvements)
	}
}

func TestCompareWithPreviousRunsBenchstat(t *testing.T) {
	dir := t.TempDir()
	body := results("Spawn/impl=a", "ns/task", spread(100, 10)...)
	prev := writeRaw(t, dir, "2026-01-01-a.txt", header(false, "2026-01-01T00:00:00Z", "a")+body)
	cur := writeRaw(t, dir, "2026-01-02-b.txt", header(false, "2026-01-02T00:00:00Z", "a")+body)
	raw, err := ReadRaw(cur)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	f := &fakeRunner{benchstat: func(args []string) (string, string) {
		got = args
		return "table\n", ""
	}}
	c, err := compareWithPrevious(t.Context(), newBenchstat(t.Context(), f, "."), dir, raw, Summarize(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"-table", "", "-filter", `.unit:("sec/task")`, "previous=" + absOr(prev), "current=" + absOr(cur)}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("benchstat args %q, want %q", got, want)
	}
	if c.Benchstat.Text != "table\n" || c.Previous != prev {
		t.Errorf("comparison %+v", c)
	}
}
