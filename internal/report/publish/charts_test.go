package publish

import (
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"iostrat/internal/report/internal/reporttest"
	"iostrat/internal/report/summary"
)

// checkSVG fails unless path is a well-formed XML document whose root is
// an svg element, and returns its text.
func checkSVG(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(strings.NewReader(string(data)))
	root := ""
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", path, err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("%s: root element %q, want svg", path, root)
	}
	return string(data)
}

func drawAll(t *testing.T, specs []ChartSpec) (dir string, texts map[string]string) {
	t.Helper()
	dir = t.TempDir()
	texts = make(map[string]string)
	for _, spec := range specs {
		if err := DrawChart(spec, dir); err != nil {
			t.Fatal(err)
		}
		texts[spec.File] = checkSVG(t, filepath.Join(dir, spec.File))
	}
	return dir, texts
}

func TestChartsOfSample(t *testing.T) {
	specs := PlanCharts(summary.Summarize(reporttest.ReadSample(t)))
	var files []string
	for _, s := range specs {
		files = append(files, s.File)
	}
	want := []string{"handoff.svg", "dispatch.svg", "wake.svg", "timers.svg", "timers-p99-sec.svg", "io.svg", "io-req-per-s.svg", "io-conns-per-s.svg", "latency.svg", "memory.svg"}
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
	if !strings.Contains(texts["latency.svg"], "offered rate") || !strings.Contains(texts["latency.svg"], "p99.9") {
		t.Error("latency chart lacks its rate axis or percentile legend")
	}
	if !strings.Contains(texts["memory.svg"], "KiB/conn") {
		t.Error("memory chart is not in KiB per connection")
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
	for _, s := range []string{">a<", ">b<", "ns per unit"} {
		if !strings.Contains(dispatch, s) {
			t.Errorf("dispatch chart lacks %q", s)
		}
	}
	if strings.Contains(dispatch, ">c<") {
		t.Error("a strategy without data is in the legend")
	}
	latency := texts["latency.svg"]
	if !strings.Contains(latency, "rate=), log scale") || !strings.Contains(latency, ">p50<") {
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
