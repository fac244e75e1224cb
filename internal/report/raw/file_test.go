package raw_test

import (
	"testing"

	"iostrat/internal/report/internal/reporttest"
)

func TestPerLineProblemsAreWarnings(t *testing.T) {
	f := reporttest.Parse(t, reporttest.Header(false, "2026-01-02T00:00:00Z", "a", "b", "c")+reporttest.Results("Spawn/impl=a", "ns/task", 1, 2)+"BenchmarkSpawn/impl=a-2 \t x \t 5 ns/task\nBenchmarkSpawn/impl=a-2 \t 1 \t 5\n")
	if len(f.Results) != 2 || len(f.Warnings) != 2 {
		t.Errorf("%d results, warnings %v; want 2 results and 2 warnings", len(f.Results), f.Warnings)
	}
}
