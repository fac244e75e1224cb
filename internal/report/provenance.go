package report

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"iostrat"
)

// Config keys written at the head of every raw file, in this order. They
// are file-level configuration in the Go benchmark format, so benchstat
// and benchfmt read them too.
const (
	KeyDate       = "date"       // when the run started, RFC 3339, UTC
	KeyGOOS       = "goos"       // runtime.GOOS
	KeyGOARCH     = "goarch"     // runtime.GOARCH
	KeyCPU        = "cpu"        // model name from /proc/cpuinfo
	KeyKernel     = "kernel"     // uname -r
	KeyGo         = "go"         // the toolchain that built the benchmarks
	KeyCommit     = "commit"     // short hash, "-dirty" with uncommitted changes
	KeyGOMAXPROCS = "gomaxprocs" // GOMAXPROCS of the benchmark process
	KeyIOURing    = "iouring"    // io_uring features, or why it is unavailable
	KeyCount      = "count"      // repetitions of the catalogue
	KeyBenchtime  = "benchtime"  // -test.benchtime per benchmark, and the rule that chose it
	KeyBudget     = "budget"     // -test.cpu per benchmark: its CPU budget (see budget.go)
	KeyShuffle    = "shuffle"    // base seed of the strategies' order; repetition r uses base+r
	KeyQuick      = "quick"      // "true" for a smoke run with -short parameters
	KeyBench      = "bench"      // the -bench pattern of a run of a subset; absent for the whole catalogue
	KeyPinning    = "pinning"    // where the results ran, as their placement metrics say (see placement.go)
	KeyKnobs      = "knobs-"     // prefix: one line per strategy, its backend and knobs
)

// machineKeys are the config keys that say which machine a run measured.
// Runs that differ in any of them are not compared.
var machineKeys = []string{KeyGOOS, KeyGOARCH, KeyCPU, KeyKernel, KeyGOMAXPROCS, KeyIOURing}

// A ConfigLine is one "key: value" line of a raw file's header.
type ConfigLine struct{ Key, Value string }

// Provenance is the header of a raw file: where, when and how the run
// was made, as ordered config lines.
type Provenance struct {
	Lines []ConfigLine
}

// Get returns the value of key, or "" if the header does not have it.
func (p Provenance) Get(key string) string {
	for _, l := range p.Lines {
		if l.Key == key {
			return l.Value
		}
	}
	return ""
}

// Quick reports whether the run was a quick (smoke) run.
func (p Provenance) Quick() bool { return p.Get(KeyQuick) == "true" }

// Date returns when the run started; ok is false if the header has no
// readable date.
func (p Provenance) Date() (t time.Time, ok bool) {
	t, err := time.Parse(time.RFC3339, p.Get(KeyDate))
	return t, err == nil
}

// StrategyKnobs is one strategy's knobs line.
type StrategyKnobs struct{ Strategy, Knobs string }

// Knobs returns the knobs lines in header order.
func (p Provenance) Knobs() []StrategyKnobs {
	var ks []StrategyKnobs
	for _, l := range p.Lines {
		if name, ok := strings.CutPrefix(l.Key, KeyKnobs); ok {
			ks = append(ks, StrategyKnobs{name, l.Value})
		}
	}
	return ks
}

// Strategies returns the strategy names of the knobs lines: every
// strategy registered when the run was made, in column order.
func (p Provenance) Strategies() []string {
	var names []string
	for _, k := range p.Knobs() {
		names = append(names, k.Strategy)
	}
	return names
}

// WriteTo writes the header as config lines.
func (p Provenance) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	for _, l := range p.Lines {
		fmt.Fprintf(&b, "%s: %s\n", l.Key, l.Value)
	}
	return b.WriteTo(w)
}

// A ConfigDiff is one config key whose value differs between two runs.
type ConfigDiff struct{ Key, Old, New string }

func (d ConfigDiff) String() string {
	return fmt.Sprintf("%s: %q → %q", d.Key, d.Old, d.New)
}

// diffConfig returns the keys among keys whose values differ between old
// and new; with no keys it compares every key either has.
func diffConfig(old, new Provenance, keys ...string) []ConfigDiff {
	if len(keys) == 0 {
		for _, l := range append(slices.Clone(old.Lines), new.Lines...) {
			if !slices.Contains(keys, l.Key) {
				keys = append(keys, l.Key)
			}
		}
	}
	var diffs []ConfigDiff
	for _, k := range keys {
		if o, n := old.Get(k), new.Get(k); o != n {
			diffs = append(diffs, ConfigDiff{k, o, n})
		}
	}
	return diffs
}

// ParseProvenance reads the config lines at the head of a raw file, up to
// its first benchmark line. Lines that are not config lines are skipped.
func ParseProvenance(r io.Reader) (Provenance, error) {
	var p Provenance
	s := bufio.NewScanner(r)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		line := s.Text()
		if strings.HasPrefix(line, "Benchmark") || strings.HasPrefix(line, "--- ") {
			break
		}
		if key, value, ok := parseConfigLine(line); ok {
			p.set(key, value)
		}
	}
	return p, s.Err()
}

// set adds or replaces key, keeping the order of first appearance.
func (p *Provenance) set(key, value string) {
	for i := range p.Lines {
		if p.Lines[i].Key == key {
			p.Lines[i].Value = value
			return
		}
	}
	p.Lines = append(p.Lines, ConfigLine{key, value})
}

// parseConfigLine parses a "key: value" line by the Go benchmark
// format's rules: the key starts with a lower-case letter and has no
// space or upper-case letter.
func parseConfigLine(line string) (key, value string, ok bool) {
	key, value, found := strings.Cut(line, ":")
	if !found || key == "" {
		return "", "", false
	}
	first, _ := utf8.DecodeRuneInString(key)
	if !unicode.IsLower(first) || strings.ContainsFunc(key, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsUpper(r)
	}) {
		return "", "", false
	}
	if value != "" && value[0] != ' ' && value[0] != '\t' {
		return "", "", false
	}
	return key, strings.TrimSpace(value), true
}

// A Machine describes the machine and tree a run measures. Each field
// becomes one config line.
type Machine struct {
	Date       time.Time
	GOOS       string
	GOARCH     string
	CPU        string
	Kernel     string
	GoVersion  string
	Commit     string
	GOMAXPROCS int
	IOURing    string
	Knobs      []StrategyKnobs
}

// RunSettings are the settings of a run that go into its header.
type RunSettings struct {
	Count     int
	Benchtime string
	Quick     bool
	Bench     string // -bench pattern; "" for the whole catalogue
	Budget    string // see KeyBudget; "" leaves the line out
	Shuffle   string // see KeyShuffle; "" leaves the line out
	Pinning   string // see KeyPinning; "" leaves the line out
}

// NewProvenance returns the header of a run on m with settings s.
func NewProvenance(m Machine, s RunSettings) Provenance {
	p := Provenance{Lines: []ConfigLine{
		{KeyDate, m.Date.UTC().Format(time.RFC3339)},
		{KeyGOOS, m.GOOS},
		{KeyGOARCH, m.GOARCH},
		{KeyCPU, m.CPU},
		{KeyKernel, m.Kernel},
		{KeyGo, m.GoVersion},
		{KeyCommit, m.Commit},
		{KeyGOMAXPROCS, fmt.Sprint(m.GOMAXPROCS)},
		{KeyIOURing, m.IOURing},
		{KeyCount, fmt.Sprint(s.Count)},
		{KeyBenchtime, s.Benchtime},
		{KeyQuick, fmt.Sprint(s.Quick)},
	}}
	for _, l := range []ConfigLine{{KeyBench, s.Bench}, {KeyBudget, s.Budget}, {KeyShuffle, s.Shuffle}, {KeyPinning, s.Pinning}} {
		if l.Value != "" {
			p.Lines = append(p.Lines, l)
		}
	}
	for _, k := range m.Knobs {
		p.Lines = append(p.Lines, ConfigLine{KeyKnobs + k.Strategy, k.Knobs})
	}
	for i := range p.Lines {
		p.Lines[i].Value = oneLine(p.Lines[i].Value)
	}
	return p
}

// oneLine makes v safe as a config value: one line, no surrounding
// space, never empty (an empty value deletes the key in benchfmt).
func oneLine(v string) string {
	v = strings.Join(strings.Fields(v), " ")
	if v == "" {
		return "unknown"
	}
	return v
}

// DescribeStrategies starts each strategy with zero Options, reads its
// Info and closes it: the knobs lines of the header. Knobs follow
// GOMAXPROCS (loops, executors and rings do), so a strategy is described
// at each budget, with GOMAXPROCS set to it as the benchmarks set it: the
// line gives the knobs at the first budget and, after "; at cpus=N:",
// those that differ at another. Without budgets it describes the
// strategies at the current GOMAXPROCS. A strategy that cannot start here
// says why.
func DescribeStrategies(strategies []iostrat.Strategy, budgets ...int) []StrategyKnobs {
	if len(budgets) == 0 {
		budgets = []int{runtime.GOMAXPROCS(0)}
	}
	var ks []StrategyKnobs
	for _, s := range strategies {
		var line string
		var first []string
		for i, n := range budgets {
			knobs, err := describeAt(s, n)
			switch {
			case err != nil && i == 0:
				line = "unavailable: " + err.Error()
			case err != nil:
				line += fmt.Sprintf("; at cpus=%d: unavailable: %v", n, err)
			case i == 0:
				first, line = knobs, strings.Join(knobs, " ")
			default:
				var differ []string
				for _, k := range knobs {
					if !slices.Contains(first, k) {
						differ = append(differ, k)
					}
				}
				if len(differ) > 0 {
					line += fmt.Sprintf("; at cpus=%d: %s", n, strings.Join(differ, " "))
				}
			}
		}
		ks = append(ks, StrategyKnobs{s.Name(), line})
	}
	return ks
}

// describeAt describes s started at GOMAXPROCS procs: "backend=…" and
// one "key=value" per knob.
func describeAt(s iostrat.Strategy, procs int) ([]string, error) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	rt, err := s.Start(iostrat.Options{Logf: func(string, ...any) {}})
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	info := rt.Info()
	knobs := []string{"backend=" + orUnknown(info.Backend)}
	for _, k := range info.Knobs {
		knobs = append(knobs, k.String())
	}
	return knobs, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// ProbeMachine describes this machine and the tree in moduleDir. Probes
// that fail leave "unknown" rather than failing the run.
func ProbeMachine(ctx context.Context, r Runner, moduleDir string, now time.Time) Machine {
	return Machine{
		Date:       now,
		GOOS:       runtime.GOOS,
		GOARCH:     runtime.GOARCH,
		CPU:        cpuModel("/proc/cpuinfo"),
		Kernel:     kernelRelease(),
		GoVersion:  goVersion(ctx, r, moduleDir),
		Commit:     gitCommit(ctx, r, moduleDir),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
	}
}

// cpuModel returns the first "model name" in a cpuinfo file.
func cpuModel(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	return cpuModelFrom(data)
}

func cpuModelFrom(cpuinfo []byte) string {
	for line := range strings.Lines(string(cpuinfo)) {
		key, value, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return oneLine(value)
		}
	}
	return "unknown"
}

// withBrand adds the processor's brand string, as go test prints it on
// its cpu line, to the model name from /proc/cpuinfo when the two differ
// (virtual machines often report a generic model name there).
func withBrand(model, brand string) string {
	brand = oneLine(brand)
	if brand == "unknown" || brand == model || strings.Contains(model, brand) {
		return model
	}
	return fmt.Sprintf("%s (brand: %s)", model, brand)
}

// kernelRelease is uname -r.
func kernelRelease() string {
	data, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return oneLine(string(data))
}

func goVersion(ctx context.Context, r Runner, dir string) string {
	out, err := output(ctx, r, dir, "go", "env", "GOVERSION")
	if err != nil {
		return "unknown"
	}
	return oneLine(string(out))
}

// gitCommit returns the short hash of HEAD, with "-dirty" when tracked
// files changed or untracked files exist outside results/ and bin/ (the
// report's own output and the built command). It only reads: optional
// locks are off, so git does not refresh the index.
func gitCommit(ctx context.Context, r Runner, dir string) string {
	out, err := output(ctx, r, dir, "git", "rev-parse", "--short", "HEAD")
	if err != nil {
		return "unknown"
	}
	commit := oneLine(string(out))
	status, err := output(ctx, r, dir, "git", "status", "--porcelain", "--", ".", ":!results", ":!bin")
	if err != nil || len(bytes.TrimSpace(status)) > 0 {
		commit += "-dirty"
	}
	return commit
}
