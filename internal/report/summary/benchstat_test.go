package summary

import (
	"slices"
	"strings"
	"testing"

	"iostrat/internal/report/internal/reporttest"
	"iostrat/internal/report/process"
)

func TestFootnotes(t *testing.T) {
	text := `                     │  goroutine   │
                     │   sec/wake   │
FanOut/waiters=1-2     2.166µ ± ∞ ¹
geomean                          ²
¹ need >= 6 samples for confidence interval at level 0.95
² summaries must be >0 to compute geomean
`
	want := []string{"need >= 6 samples for confidence interval at level 0.95", "summaries must be >0 to compute geomean"}
	if got := footnotes(text); !slices.Equal(got, want) {
		t.Errorf("footnotes = %q, want %q", got, want)
	}
}

func TestStripLeadingConfig(t *testing.T) {
	text := "goos: linux\ncpu: X\n                │ a │\nSpawn   1 ± 0%\n"
	if got := stripLeadingConfig(text); got != "                │ a │\nSpawn   1 ± 0%\n" {
		t.Errorf("stripLeadingConfig = %q", got)
	}
}

func TestRunBenchstatChecksStderr(t *testing.T) {
	// benchstat exits 0 after printing some errors, so its standard error
	// decides.
	f := &reporttest.FakeRunner{Benchstat: func([]string) (string, string) {
		return "", "benchstat: parsing -filter: syntax error: expected key:value\n"
	}}
	if _, err := NewBenchstat(t.Context(), f, ".").Run(t.Context(), "-filter", "bad("); err == nil || !strings.Contains(err.Error(), "expected key:value") {
		t.Errorf("runBenchstat with an error on stderr = %v", err)
	}
	f.Benchstat = func([]string) (string, string) {
		return "goos: linux\ntable ¹\n¹ need >= 6 samples for confidence interval at level 0.95\n", "x.txt:3: missing units\n"
	}
	out, err := NewBenchstat(t.Context(), f, ".").Run(t.Context(), "x.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"x.txt:3: missing units", "need >= 6 samples for confidence interval at level 0.95"}
	if !slices.Equal(out.Warnings, want) || strings.HasPrefix(out.Text, "goos") {
		t.Errorf("warnings %q text %q; want %q and no config lines", out.Warnings, out.Text, want)
	}
}

func TestRunBenchstatOnSample(t *testing.T) {
	reporttest.NeedGo(t)
	out, err := NewBenchstat(t.Context(), process.Exec{}, reporttest.ModuleDir()).Run(t.Context(), "-col", "/impl", "-filter", GroupOf("PingPong").BenchstatFilter(), process.Abs(reporttest.SamplePath()))
	if err != nil {
		t.Fatal(err)
	}
	// Rows at both budgets: go test's "-2" suffix marks cpus=2.
	for _, s := range []string{"goroutine", "futures", "sec/round", "PingPong/mode=cross ", "PingPong/mode=cross-2 ", "FanOut/waiters=512-2 "} {
		if !strings.Contains(out.Text, s) {
			t.Errorf("benchstat output lacks %q:\n%s", s, out.Text)
		}
	}
	if !slices.Contains(out.Warnings, "summaries must be >0 to compute geomean") {
		t.Errorf("warnings %q lack the geomean footnote of the zero counters", out.Warnings)
	}
	if got := out.Command(); got != "go tool benchstat -col /impl -filter '.name:(PingPong OR WakeExternal OR FanOut)' "+process.Abs(reporttest.SamplePath()) {
		t.Errorf("Command() = %q", got)
	}
}

func TestBenchstatOtherFilter(t *testing.T) {
	reporttest.NeedGo(t)
	path := reporttest.WriteRaw(t, t.TempDir(), "x.txt", reporttest.Header(false, "2026-01-01T00:00:00Z", "a")+
		reporttest.Results("BrandNew/impl=a/k=1", "ns/thing", 1, 2, 3)+reporttest.Results("Spawn/impl=a", "ns/task", 1, 2, 3))
	out, err := NewBenchstat(t.Context(), process.Exec{}, reporttest.ModuleDir()).Run(t.Context(), "-col", "/impl", "-filter", otherGroup.BenchstatFilter(), path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.Text, "BrandNew/k=1") || strings.Contains(out.Text, "Spawn") {
		t.Errorf("the other group's filter selected:\n%s", out.Text)
	}
}
