package raw_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"iostrat/internal/golden"
	"iostrat/internal/report/internal/reporttest"
	"iostrat/internal/report/raw"
)

func TestParseProvenanceSample(t *testing.T) {
	f := reporttest.ReadSample(t)
	p := f.Provenance
	for _, key := range []string{raw.KeyDate, raw.KeyGOOS, raw.KeyGOARCH, raw.KeyCPU, raw.KeyKernel, raw.KeyGo, raw.KeyCommit, raw.KeyGOMAXPROCS, raw.KeyIOURing, raw.KeyCount, raw.KeyBenchtime, raw.KeyQuick} {
		if p.Get(key) == "" {
			t.Errorf("sample header has no %s line", key)
		}
	}
	if !p.Quick() {
		t.Error("sample (a -short run) is not marked quick")
	}
	if _, ok := p.Date(); !ok {
		t.Errorf("date %q does not parse", p.Get(raw.KeyDate))
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
		key, value, ok := raw.CutConfigLine(tt.line)
		if key != tt.key || value != tt.value || ok != tt.ok {
			t.Errorf("raw.CutConfigLine(%q) = %q, %q, %v; want %q, %q, %v", tt.line, key, value, ok, tt.key, tt.value, tt.ok)
		}
	}
}

func TestNewProvenanceRoundTrip(t *testing.T) {
	m := raw.Machine{
		Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), GOOS: "linux", GOARCH: "amd64",
		CPU: "AMD EPYC (brand: Test)", Kernel: "6.1.0", GoVersion: "go1.26.0", Commit: "abc1234-dirty",
		GOMAXPROCS: 2, IOURing: "unavailable: io_uring_setup: operation not permitted",
		VCPUs: 2, Virt: "vm (the hypervisor CPU flag is set)",
		Knobs: []raw.StrategyKnobs{{"goroutine", "backend=netpoll"}, {"iocp_uring", ""}},
	}
	p := raw.NewProvenance(m, raw.RunSettings{Count: 10, Benchtime: "Spawn=1s (rule)", Quick: false})
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
vcpus: 2
virt: vm (the hypervisor CPU flag is set)
count: 10
benchtime: Spawn=1s (rule)
quick: false
knobs-goroutine: backend=netpoll
knobs-iocp_uring: unknown
`
	if b.String() != want {
		t.Errorf("header:\n%s\nwant:\n%s", b.String(), want)
	}
	back, err := raw.ParseProvenance(&b)
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

func TestDiffConfig(t *testing.T) {
	old := reporttest.Parse(t, reporttest.Header(false, "2026-01-01T00:00:00Z", "goroutine")).Provenance
	changed := strings.Replace(reporttest.Header(false, "2026-01-02T00:00:00Z", "goroutine"), "cpu: Test CPU", "cpu: Other CPU", 1)
	new := reporttest.Parse(t, changed).Provenance
	diffs := raw.DiffConfig(old, new, raw.MachineKeys...)
	if len(diffs) != 1 || diffs[0] != (raw.ConfigDiff{raw.KeyCPU, "Test CPU", "Other CPU"}) {
		t.Errorf("machine diffs = %v, want only cpu", diffs)
	}
	if all := raw.DiffConfig(old, new); len(all) != 2 {
		t.Errorf("all diffs = %v, want date and cpu", all)
	}
}

// TestNewProvenanceRemoteGolden fixes the header of a remote run: the
// local machine's lines with its host name, then the agent machine's and
// the path's round trip, which the page reads back.
func TestNewProvenanceRemoteGolden(t *testing.T) {
	m := raw.Machine{
		Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), GOOS: "linux", GOARCH: "amd64",
		CPU: "Laptop CPU", Kernel: "6.1.0", GoVersion: "go1.26.0", Commit: "abc1234",
		GOMAXPROCS: 8, IOURing: "kernel=6.1.0", VCPUs: 8, Virt: "none seen (no hypervisor CPU flag)",
		Hostname: "laptop",
		Remote: raw.RemoteMachine{
			Addr: "server.example:7070", Hostname: "server", CPU: "Server CPU", Kernel: "6.18.0",
			GoVersion: "go1.26.0", Commit: "abc1234", VCPUs: 64, RTT: 123456 * time.Nanosecond,
			Benchmarks: []string{"Echo", "Pump", "HTTP", "Churn", "Latency", "Idle"},
		},
		Knobs: []raw.StrategyKnobs{{"goroutine", "backend=netpoll"}},
	}
	p := raw.NewProvenance(m, raw.RunSettings{Count: 10, Benchtime: "Echo=10x (rule)"})
	var b bytes.Buffer
	p.WriteTo(&b)
	golden.Check(t, "testdata/remote-header.golden", b.Bytes())
	back, err := raw.ParseProvenance(&b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Remote() != "server.example:7070" || back.Get(raw.KeyRemoteRTT) != "123µs" || back.Get(raw.KeyHostname) != "laptop" {
		t.Errorf("read back remote %q, rtt %q, hostname %q", back.Remote(), back.Get(raw.KeyRemoteRTT), back.Get(raw.KeyHostname))
	}
	if got := back.RemoteBenchmarks(); !slices.Equal(got, m.Remote.Benchmarks) {
		t.Errorf("remote benchmarks %v, want %v", got, m.Remote.Benchmarks)
	}
}
