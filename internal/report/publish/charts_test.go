package publish

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"iostrat/internal/report/internal/reporttest"
	"iostrat/internal/report/summary"
)

func drawAll(t *testing.T, specs []ChartSpec) (dir string, texts map[string]string) {
	t.Helper()
	dir = t.TempDir()
	texts = make(map[string]string)
	for _, spec := range specs {
		if err := DrawChart(spec, dir); err != nil {
			t.Fatal(err)
		}
		texts[spec.File] = reporttest.CheckSVG(t, filepath.Join(dir, spec.File))
	}
	return dir, texts
}

func TestChartsOfSample(t *testing.T) {
	specs := PlanCharts(summary.Summarize(reporttest.ReadSample(t)))
	var files []string
	for _, s := range specs {
		files = append(files, s.File)
	}
	want := []string{"summary.svg", "handoff.svg", "dispatch.svg", "wake.svg", "timers.svg", "timers-lateness.svg", "io.svg", "io-cpu-sec-per-req.svg", "io-cpu-sec-per-conn.svg", "latency.svg", "memory.svg"}
	if !slices.Equal(files, want) {
		t.Errorf("charts %v, want %v (none for the harness)", files, want)
	}
	dir, texts := drawAll(t, specs)
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(want) {
		t.Errorf("%d files drawn, want %d", len(entries), len(want))
	}
	if !strings.Contains(texts["wake.svg"], "log scale") {
		t.Error("wake chart spans 100× and is not on a log scale")
	}
	for _, s := range []string{"offered rate", ">p50<", ">p99<", ">10k/s<", "lower is better"} {
		if !strings.Contains(texts["latency.svg"], s) {
			t.Errorf("latency chart lacks %q (its rate axis, ticks at the offered rates, percentile legend)", s)
		}
	}
	if !strings.Contains(texts["memory.svg"], "KiB/conn") {
		t.Error("memory chart is not in KiB per connection")
	}
	for file, s := range map[string]string{
		"summary.svg":         ">goroutine<", // a labelled point
		"timers-lateness.svg": "fire time − deadline",
		"io.svg":              "higher is better",
		"dispatch.svg":        "Spawn/tasks=1000 at cpus=1", // a full row name
	} {
		if !strings.Contains(texts[file], s) {
			t.Errorf("%s lacks %q", file, s)
		}
	}
}

func TestChartsWithStrategiesAndIntervals(t *testing.T) {
	f := reporttest.Parse(t, reporttest.Header(false, "2026-01-02T00:00:00Z", "a", "b", "c")+
		reporttest.Results("Spawn/impl=a/tasks=10", "ns/task", reporttest.Spread(100, 10)...)+
		reporttest.Results("Spawn/impl=b/tasks=10", "ns/task", reporttest.Spread(300, 10)...)+
		reporttest.Results("Yield/impl=a", "ns/yield", reporttest.Spread(20, 10)...)+
		reporttest.Results("Latency/impl=a/rate=1000", "p50-ns", reporttest.Spread(50e3, 10)...)+
		reporttest.Results("Latency/impl=a/rate=1000", "p99-ns", reporttest.Spread(200e3, 10)...)+
		reporttest.Results("Latency/impl=b/rate=1000", "p99-ns", reporttest.Spread(100e3, 10)...)+
		reporttest.Results("Latency/impl=a/rate=100000", "p99-ns", reporttest.Spread(9e6, 10)...)+
		reporttest.Results("Latency/impl=b/rate=100000", "p99-ns", reporttest.Spread(1e6, 10)...))
	specs := PlanCharts(summary.Summarize(f))
	_, texts := drawAll(t, specs)
	dispatch := texts["dispatch.svg"]
	if dispatch == "" || strings.Contains(dispatch, "log scale") {
		t.Errorf("dispatch chart missing or on a log scale for a 15× range")
	}
	for _, s := range []string{">a<", ">b<", "ns per unit", "lower is better"} {
		if !strings.Contains(dispatch, s) {
			t.Errorf("dispatch chart lacks %q", s)
		}
	}
	if strings.Contains(dispatch, ">c<") {
		t.Error("a strategy without data is in the legend")
	}
	latency := texts["latency.svg"]
	if !strings.Contains(latency, "requests per second, log scale") || !strings.Contains(latency, ">p50<") {
		t.Error("latency chart over a 100× rate range lacks a log rate axis or its percentiles")
	}
	if strings.Contains(latency, ">c<") {
		t.Error("a strategy without latency data is in the latency legend")
	}
}

func TestNoChartWithoutData(t *testing.T) {
	f := reporttest.Parse(t, reporttest.Header(false, "2026-01-02T00:00:00Z", "a")+reporttest.Results("Harness/impl=none", "ns/call", 40, 41, 42)+
		reporttest.Results("Latency/impl=a/conns=1", "p99-ns", 5, 6, 7)) // no rate= key
	if specs := PlanCharts(summary.Summarize(f)); len(specs) != 0 {
		t.Errorf("charts %v, want none", specs)
	}
}

func TestScaleFor(t *testing.T) {
	for _, tt := range []struct {
		unit   string
		values []float64
		label  string
	}{
		{"time", []float64{300e-9, 500e-9}, "ns per unit"},
		{"time", []float64{30e-6}, "µs per unit"},
		{"p-sec", []float64{0.02}, "ms"},
		{"B/s", []float64{600 << 20}, "MiB/s"},
		{"B/conn", []float64{5000}, "KiB/conn"},
		{"req/s", []float64{27000}, "k req/s"},
		{"conns/s", []float64{500}, "conns/s"},
	} {
		if got := scaleFor(tt.unit, tt.values).label; got != tt.label {
			t.Errorf("scaleFor(%s, %v) label %q, want %q", tt.unit, tt.values, got, tt.label)
		}
	}
}

func TestStrategyLooks(t *testing.T) {
	// Every registered strategy has a look of its own: a variant shares
	// its base's colour but not its marker, and no two bases share one.
	names := []string{"goroutine", "callback", "callback_edge", "futures", "iocp_uring", "iocp_uring_kernelpost", "iocp_emulated", "thread"}
	variants := map[string]string{"callback_edge": "callback", "iocp_uring_kernelpost": "iocp_uring"}
	for i, a := range names {
		for _, b := range names[i+1:] {
			la, lb := lookOf(a), lookOf(b)
			sameColor := la.color == lb.color
			if variants[a] == b || variants[b] == a {
				if !sameColor || la.shape == lb.shape {
					t.Errorf("%s and %s: a variant should share its base's colour with another marker", a, b)
				}
			} else if sameColor {
				t.Errorf("%s and %s share a colour", a, b)
			}
		}
	}
}

// TestChartsRender renders every chart of the sample, and of a run with
// several strategies, to PNG with rsvg-convert: a chart a real renderer
// rejects would be a broken image on the page.
func TestChartsRender(t *testing.T) {
	rsvg, err := exec.LookPath("rsvg-convert")
	if err != nil {
		if os.Getenv("IOSTRAT_REQUIRE_TOOLS") == "1" {
			t.Fatalf("rsvg-convert is required (IOSTRAT_REQUIRE_TOOLS=1): %v; scripts/install-test-deps.sh installs it (librsvg2-bin)", err)
		}
		t.Skipf("rsvg-convert not found (Debian: librsvg2-bin; scripts/install-test-deps.sh installs it): %v", err)
	}
	specs := PlanCharts(summary.Summarize(reporttest.ReadSample(t)))
	dir, _ := drawAll(t, specs)
	for _, spec := range specs {
		svg := filepath.Join(dir, spec.File)
		png := strings.TrimSuffix(svg, ".svg") + ".png"
		out, err := exec.Command(rsvg, "-o", png, svg).CombinedOutput()
		if err != nil {
			t.Errorf("rsvg-convert %s: %v\n%s", spec.File, err, out)
			continue
		}
		if st, err := os.Stat(png); err != nil || st.Size() < 1000 {
			t.Errorf("rsvg-convert %s: no image (%v)", spec.File, err)
		}
	}
}

// TestLogDotChartWithNegativeIntervalEnd draws a dot chart on a log
// scale where one interval reaches below zero (some samples negative, as
// rss-B/conn can be): the interval end is clamped to the axis, not fed to
// the log scale.
func TestLogDotChartWithNegativeIntervalEnd(t *testing.T) {
	f := reporttest.Parse(t, reporttest.Header(false, "2026-01-02T00:00:00Z", "a", "b")+
		reporttest.Results("Spawn/impl=a/tasks=10", "ns/task", -3, -3, -3, -1, 2, 2, 2, 2, 2, 2)+
		reporttest.Results("Spawn/impl=b/tasks=10", "ns/task", reporttest.Spread(1e5, 10)...))
	_, texts := drawAll(t, PlanCharts(summary.Summarize(f)))
	if !strings.Contains(texts["dispatch.svg"], "log scale") {
		t.Error("dispatch chart over a 50,000× range is not on a log scale")
	}
}
