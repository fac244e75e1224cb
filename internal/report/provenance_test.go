package report

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"iostrat"
)

func TestParseProvenanceSample(t *testing.T) {
	raw := readSample(t)
	p := raw.Provenance
	for _, key := range []string{KeyDate, KeyGOOS, KeyGOARCH, KeyCPU, KeyKernel, KeyGo, KeyCommit, KeyGOMAXPROCS, KeyIOURing, KeyCount, KeyBenchtime, KeyQuick} {
		if p.Get(key) == "" {
			t.Errorf("sample header has no %s line", key)
		}
	}
	if !p.Quick() {
		t.Error("sample (a -short run) is not marked quick")
	}
	if _, ok := p.Date(); !ok {
		t.Errorf("date %q does not parse", p.Get(KeyDate))
	}
	if got := p.Strategies(); !slices.Contains(got, "goroutine") {
		t.Errorf("Strategies() = %q, want goroutine among them", got)
	}
	// go test's own config lines that the header does not fix (pkg)
	// come before the first result, so they are provenance too.
	if p.Get("pkg") != "iostrat/bench" {
		t.Errorf("pkg = %q, want iostrat/bench", p.Get("pkg"))
	}
}

func TestParseConfigLine(t *testing.T) {
	for _, tt := range []struct {
		line       string
		key, value string
		ok         bool
	}{
		{"goos: linux", "goos", "linux", true},
		{"knobs-iocp_uring: backend=io_uring sqpoll=off", "knobs-iocp_uring", "backend=io_uring sqpoll=off", true},
		{"cpu: Some CPU   ", "cpu", "Some CPU", true},
		{"empty:", "empty", "", true},
		{"Benchmark: x", "", "", false}, // keys start lower-case
		{"has space: x", "", "", false}, // keys have no spaces
		{"nospace:x", "", "", false},    // a space must follow the colon
		{"    file.go:12: log", "", "", false},
		{"PASS", "", "", false},
	} {
		key, value, ok := parseConfigLine(tt.line)
		if key != tt.key || value != tt.value || ok != tt.ok {
			t.Errorf("parseConfigLine(%q) = %q, %q, %v; want %q, %q, %v", tt.line, key, value, ok, tt.key, tt.value, tt.ok)
		}
	}
}

func TestNewProvenanceRoundTrip(t *testing.T) {
	m := Machine{
		Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), GOOS: "linux", GOARCH: "amd64",
		CPU: "AMD EPYC (brand: Test)", Kernel: "6.1.0", GoVersion: "go1.26.0", Commit: "abc1234-dirty",
		GOMAXPROCS: 2, IOURing: "unavailable: io_uring_setup: operation not permitted",
		Knobs: []StrategyKnobs{{"goroutine", "backend=netpoll"}, {"iocp_uring", ""}},
	}
	p := NewProvenance(m, RunSettings{Count: 10, Benchtime: "Spawn=1s (rule)", Quick: false})
	var b bytes.Buffer
	p.WriteTo(&b)
	want := `date: 2026-01-02T03:04:05Z
goos: linux
goarch: amd64
cpu: AMD EPYC (brand: Test)
kernel: 6.1.0
go: go1.26.0
commit: abc1234-dirty
gomaxprocs: 2
iouring: unavailable: io_uring_setup: operation not permitted
count: 10
benchtime: Spawn=1s (rule)
quick: false
knobs-goroutine: backend=netpoll
knobs-iocp_uring: unknown
`
	if b.String() != want {
		t.Errorf("header:\n%s\nwant:\n%s", b.String(), want)
	}
	back, err := ParseProvenance(&b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Lines, p.Lines) {
		t.Errorf("round trip:\n%v\nwant\n%v", back.Lines, p.Lines)
	}
	if back.Quick() {
		t.Error("quick: false read as quick")
	}
}

func TestCPUModel(t *testing.T) {
	cpuinfo := "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC  7B13\nflags\t\t: fpu hypervisor\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n"
	if got := cpuModelFrom([]byte(cpuinfo)); got != "AMD EPYC 7B13" {
		t.Errorf("cpuModelFrom = %q", got)
	}
	if got := cpuModelFrom([]byte("processor: 0\n")); got != "unknown" {
		t.Errorf("cpuModelFrom(no model) = %q, want unknown", got)
	}
	for _, tt := range []struct{ model, brand, want string }{
		{"AMD EPYC", "Oxide Virtual Turin-like Processor   ", "AMD EPYC (brand: Oxide Virtual Turin-like Processor)"},
		{"Intel Xeon", "Intel Xeon", "Intel Xeon"},
		{"Intel Xeon", "", "Intel Xeon"},
	} {
		if got := withBrand(tt.model, tt.brand); got != tt.want {
			t.Errorf("withBrand(%q, %q) = %q, want %q", tt.model, tt.brand, got, tt.want)
		}
	}
}

// fakeStrategy starts a runtime that only describes itself, or fails.
type fakeStrategy struct {
	name string
	info iostrat.Info
	err  error
}

func (s fakeStrategy) Name() string { return s.name }
func (s fakeStrategy) Start(iostrat.Options) (iostrat.Runtime, error) {
	if s.err != nil {
		return nil, s.err
	}
	return &fakeRuntime{info: s.info}, nil
}

// fakeRuntime implements only Info and Close; the embedded nil Runtime
// makes any workload call panic, which the report must never make.
type fakeRuntime struct {
	iostrat.Runtime
	info   iostrat.Info
	closed bool
}

func (r *fakeRuntime) Info() iostrat.Info { return r.info }
func (r *fakeRuntime) Close() error       { r.closed = true; return nil }

func TestDescribeStrategies(t *testing.T) {
	got := DescribeStrategies([]iostrat.Strategy{
		fakeStrategy{name: "loop", info: iostrat.Info{Name: "loop", Backend: "epoll", Knobs: []iostrat.Knob{{Key: "loops", Value: "2"}, {Key: "trigger", Value: "level"}, {Key: "note", Value: "two words"}}}},
		fakeStrategy{name: "ring", err: fmt.Errorf("start: %w", iostrat.Unsupported("io_uring disabled"))},
	})
	want := []StrategyKnobs{
		{"loop", `backend=epoll loops=2 trigger=level note="two words"`},
		{"ring", "unavailable: start: unsupported: io_uring disabled"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("DescribeStrategies:\n%q\nwant\n%q", got, want)
	}
}

// loopsStrategy has one loop per GOMAXPROCS, as the real ones do.
type loopsStrategy struct{}

func (loopsStrategy) Name() string { return "loops" }
func (loopsStrategy) Start(iostrat.Options) (iostrat.Runtime, error) {
	n := fmt.Sprint(runtime.GOMAXPROCS(0))
	return &fakeRuntime{info: iostrat.Info{Backend: "epoll", Knobs: []iostrat.Knob{{Key: "loops", Value: n}, {Key: "trigger", Value: "level"}}}}, nil
}

func TestDescribeStrategiesPerBudget(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	got := DescribeStrategies([]iostrat.Strategy{loopsStrategy{}, fakeStrategy{name: "fixed", info: iostrat.Info{Backend: "x"}}}, 1, 2)
	want := []StrategyKnobs{{"loops", "backend=epoll loops=1 trigger=level; at cpus=2: loops=2"}, {"fixed", "backend=x"}}
	if !slices.Equal(got, want) {
		t.Errorf("DescribeStrategies at budgets 1 and 2:\n%q\nwant\n%q", got, want)
	}
	if after := runtime.GOMAXPROCS(0); after != before {
		t.Errorf("GOMAXPROCS %d after describing, was %d", after, before)
	}
}

func TestDiffConfig(t *testing.T) {
	old := parse(t, header(false, "2026-01-01T00:00:00Z", "goroutine")).Provenance
	changed := strings.Replace(header(false, "2026-01-02T00:00:00Z", "goroutine"), "cpu: Test CPU", "cpu: Other CPU", 1)
	new := parse(t, changed).Provenance
	diffs := diffConfig(old, new, machineKeys...)
	if len(diffs) != 1 || diffs[0] != (ConfigDiff{KeyCPU, "Test CPU", "Other CPU"}) {
		t.Errorf("machine diffs = %v, want only cpu", diffs)
	}
	if all := diffConfig(old, new); len(all) != 2 {
		t.Errorf("all diffs = %v, want date and cpu", all)
	}
}

func TestGitCommit(t *testing.T) {
	for _, tt := range []struct {
		status string
		want   string
	}{
		{"", "abc1234"},
		{" M bench/x.go\n", "abc1234-dirty"},
	} {
		r := &fakeRunner{git: map[string]string{"rev-parse": "abc1234\n", "status": tt.status}}
		if got := gitCommit(t.Context(), r, "."); got != tt.want {
			t.Errorf("gitCommit with status %q = %q, want %q", tt.status, got, tt.want)
		}
	}
	r := &fakeRunner{gitErr: errors.New("not a git repository")}
	if got := gitCommit(t.Context(), r, "."); got != "unknown" {
		t.Errorf("gitCommit outside git = %q, want unknown", got)
	}
}
