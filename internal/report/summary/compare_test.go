package summary

import (
	"strings"
	"testing"

	"iostrat/internal/report/internal/reporttest"
	"iostrat/internal/report/raw"
)

func TestCompareRunsMachineMismatch(t *testing.T) {
	body := reporttest.Results("Spawn/impl=a", "ns/task", reporttest.Spread(100, 10)...)
	old := reporttest.Parse(t, reporttest.Header(false, "2026-01-01T00:00:00Z", "a")+body)
	other := strings.Replace(reporttest.Header(false, "2026-01-02T00:00:00Z", "a"), "kernel: 6.1.0", "kernel: 6.9.0", 1)
	c := CompareRuns(old, reporttest.Parse(t, other+body))
	if c.Skipped == "" || !strings.Contains(c.Skipped, `kernel: "6.1.0" → "6.9.0"`) {
		t.Errorf("skipped %q, want the kernel difference", c.Skipped)
	}
	if len(c.Regressions)+len(c.Improvements) != 0 {
		t.Error("compared runs from different machines")
	}
}

func TestCompareRunsFindsChanges(t *testing.T) {
	old := reporttest.Parse(t, reporttest.Header(false, "2026-01-01T00:00:00Z", "a", "b")+
		reporttest.Results("Spawn/impl=a", "ns/task", reporttest.Spread(100, 10)...)+
		reporttest.Results("Spawn/impl=b", "ns/task", reporttest.Spread(100, 10)...)+
		reporttest.Results("HTTP/impl=a", "req/s", reporttest.Spread(1000, 10)...)+
		reporttest.Results("Yield/impl=a", "ns/yield", []float64{10, 11, 9, 10, 12, 8, 10, 11, 9, 10}...))
	newText := strings.Replace(reporttest.Header(false, "2026-01-02T00:00:00Z", "a", "b"), "go: go1.26.0", "go: go1.27.0", 1) +
		reporttest.Results("Spawn/impl=a", "ns/task", reporttest.Spread(150, 10)...) + // slower: regression
		reporttest.Results("Spawn/impl=b", "ns/task", reporttest.Spread(50, 10)...) + // faster: improvement
		reporttest.Results("HTTP/impl=a", "req/s", reporttest.Spread(400, 10)...) + // fewer requests: regression
		reporttest.Results("Yield/impl=a", "ns/yield", []float64{11, 10, 9, 10, 10, 9, 11, 12, 8, 10}...) // noise
	c := CompareRuns(old, reporttest.Parse(t, newText))
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
	if len(c.OtherDiffs) != 1 || c.OtherDiffs[0].Key != raw.KeyGo {
		t.Errorf("other diffs %v, want go", c.OtherDiffs)
	}
}

func TestCompareRunsHoldsChangesToTheirDrift(t *testing.T) {
	// Both runs drift by about 5% from their first half to their second
	// (spread); a 4% change is significant to a lone U test but within
	// the drift, a 40% change is not. A row at another budget is another
	// benchmark: not compared.
	old := reporttest.Parse(t, reporttest.Header(false, "2026-01-01T00:00:00Z", "a")+
		reporttest.Results("Spawn/impl=a", "ns/task", reporttest.Spread(100, 10)...)+
		reporttest.Results("Chain/impl=a", "ns/task", reporttest.Spread(100, 10)...)+
		reporttest.Results("Yield/impl=a-2", "ns/yield", reporttest.Spread(100, 10)...))
	cur := reporttest.Parse(t, reporttest.Header(false, "2026-01-02T00:00:00Z", "a")+
		reporttest.Results("Spawn/impl=a", "ns/task", reporttest.Spread(104, 10)...)+
		reporttest.Results("Chain/impl=a", "ns/task", reporttest.Spread(140, 10)...)+
		reporttest.Results("Yield/impl=a", "ns/yield", reporttest.Spread(200, 10)...))
	c := CompareRuns(old, cur)
	if c.Compared != 2 || c.Uncorrected != 2 {
		t.Errorf("compared %d, %d significant uncorrected; want 2 and 2", c.Compared, c.Uncorrected)
	}
	if len(c.Regressions) != 1 || c.Regressions[0].Name != "Chain/impl=a" || len(c.Improvements) != 0 {
		t.Errorf("regressions %+v, improvements %+v; want only Chain", c.Regressions, c.Improvements)
	}
}
