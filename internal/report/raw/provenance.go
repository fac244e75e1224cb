package raw

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/perf/benchfmt"
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
	KeyVCPUs      = "vcpus"      // CPUs online on the machine
	KeyVirt       = "virt"       // whether the machine is a virtual machine, and how that was seen
	KeyHostname   = "hostname"   // the machine's host name
	KeyCount      = "count"      // repetitions of the catalogue
	KeyBenchtime  = "benchtime"  // -test.benchtime per benchmark, and the rule that chose it
	KeyBudget     = "budget"     // -test.cpu per benchmark: its CPU budget
	KeyShuffle    = "shuffle"    // base seed of the strategies' order; repetition r uses base+r
	KeyQuick      = "quick"      // "true" for a smoke run with -short parameters
	KeyBench      = "bench"      // the -bench pattern of a run of a subset; absent for the whole catalogue
	KeyPinning    = "pinning"    // where the results ran, as their placement metrics say
	KeyKnobs      = "knobs-"     // prefix: one line per strategy, its backend and knobs
	KeyAnchor     = "anchor-"    // prefix: one line per anchor of a run with anchors, its versions or n/a and why
)

// Config keys of a run whose socket benchmarks' server ran on another
// machine, in an iostrat agent's process (iostrat report -remote). They
// follow the machine lines; a local run has none of them.
const (
	KeyRemote           = "remote"            // host:port of the agent
	KeyRemoteHostname   = "remote-hostname"   // the agent machine's host name
	KeyRemoteCPU        = "remote-cpu"        // its model name
	KeyRemoteKernel     = "remote-kernel"     // its uname -r
	KeyRemoteGo         = "remote-go"         // the Go that built the agent
	KeyRemoteCommit     = "remote-commit"     // the commit the agent was built from
	KeyRemoteVCPUs      = "remote-vcpus"      // CPUs online there
	KeyRemoteRTT        = "remote-rtt"        // median round trip of the path, client to agent's server (see RTTMethod)
	KeyRemoteBenchmarks = "remote-benchmarks" // the top-level benchmarks whose server ran there
)

// RTTMethod says how the remote-rtt value was measured.
const RTTMethod = "median of 20 one-byte echo round trips over one TCP connection to an echo server the agent started, after one unmeasured"

// MachineKeys are the config keys that say which machine a run measured.
// Runs that differ in any of them are not compared.
var MachineKeys = []string{KeyGOOS, KeyGOARCH, KeyCPU, KeyKernel, KeyGOMAXPROCS, KeyIOURing, KeyRemote, KeyRemoteCPU, KeyRemoteKernel}

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

// Set adds or replaces key, keeping the order of first appearance.
func (p *Provenance) Set(key, value string) {
	for i := range p.Lines {
		if p.Lines[i].Key == key {
			p.Lines[i].Value = value
			return
		}
	}
	p.Lines = append(p.Lines, ConfigLine{key, value})
}

// Remote returns the agent the run's socket benchmarks' server ran on,
// or "" for a local run.
func (p Provenance) Remote() string { return p.Get(KeyRemote) }

// RemoteBenchmarks returns the top-level benchmarks (without the
// "Benchmark" prefix) whose server ran on the agent.
func (p Provenance) RemoteBenchmarks() []string {
	return strings.Fields(p.Get(KeyRemoteBenchmarks))
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

// An AnchorLine is one anchor's header line: its versions, or n/a and
// why it could not be built or run.
type AnchorLine struct{ Anchor, Value string }

// Anchors returns the anchor lines in header order; none for a run
// without anchors.
func (p Provenance) Anchors() []AnchorLine {
	var as []AnchorLine
	for _, l := range p.Lines {
		if name, ok := strings.CutPrefix(l.Key, KeyAnchor); ok {
			as = append(as, AnchorLine{name, l.Value})
		}
	}
	return as
}

// NA reports why the anchor could not be built or run, from its line's
// "n/a: " prefix; ok is false when it ran.
func (a AnchorLine) NA() (why string, ok bool) { return strings.CutPrefix(a.Value, "n/a: ") }

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

// DiffConfig returns the keys among keys whose values differ between old
// and new; with no keys it compares every key either has.
func DiffConfig(old, new Provenance, keys ...string) []ConfigDiff {
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

// ParseProvenance reads the header of a raw file: its config lines up to
// the first benchmark line or test record ("--- SKIP:"). benchfmt reads
// them, as benchstat does (a key given an empty value is deleted);
// because benchfmt reports configuration only with a result, the header
// is read with one placeholder result line after it.
func ParseProvenance(r io.Reader) (Provenance, error) {
	header, err := headerLines(r)
	if err != nil {
		return Provenance{}, err
	}
	header.WriteString(placeholderResult)
	br := benchfmt.NewReader(&header, "header")
	var p Provenance
	for br.Scan() {
		if res, ok := br.Result().(*benchfmt.Result); ok {
			for _, c := range res.Config {
				if c.File {
					p.Lines = append(p.Lines, ConfigLine{c.Key, strings.TrimSpace(string(c.Value))})
				}
			}
			break
		}
	}
	return p, br.Err()
}

// placeholderResult ends a header so that benchfmt reports its
// configuration.
const placeholderResult = "BenchmarkHeader 1 1 op\n"

// headerLines returns the lines of r before the first benchmark line or
// test record.
func headerLines(r io.Reader) (bytes.Buffer, error) {
	var header bytes.Buffer
	s := bufio.NewScanner(r)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		line := s.Text()
		if strings.HasPrefix(line, "Benchmark") || strings.HasPrefix(line, "--- ") {
			break
		}
		header.WriteString(line + "\n")
	}
	return header, s.Err()
}

// CutConfigLine parses a "key: value" line by the Go benchmark format's
// rules, which benchfmt applies but does not export: the key starts
// with a lower-case letter and has no space or upper-case letter, and a
// space or tab follows the colon unless the value is empty. The value is
// trimmed.
func CutConfigLine(line string) (key, value string, ok bool) {
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
	// VCPUs is how many CPUs are online (0: unknown, no line); Virt
	// says whether the machine is virtual ("" : no line); Hostname is
	// its host name ("": no line).
	VCPUs    int
	Virt     string
	Hostname string
	// Remote is the agent machine of a remote run; zero for a local one.
	Remote RemoteMachine
	Knobs  []StrategyKnobs
	// Anchors are the anchor lines of a run with anchors, keys with
	// the KeyAnchor prefix; none without.
	Anchors []ConfigLine
}

// A RemoteMachine is the machine an agent ran the socket benchmarks'
// server on, as the agent described it, and the path to it.
type RemoteMachine struct {
	Addr                                     string // host:port of the agent; "" for a local run
	Hostname, CPU, Kernel, GoVersion, Commit string
	VCPUs                                    int
	RTT                                      time.Duration // see RTTMethod
	Benchmarks                               []string      // top-level benchmarks, without "Benchmark"
}

// lines are the remote config lines, none for a local run.
func (r RemoteMachine) lines() []ConfigLine {
	if r.Addr == "" {
		return nil
	}
	return []ConfigLine{
		{KeyRemote, r.Addr},
		{KeyRemoteHostname, r.Hostname},
		{KeyRemoteCPU, r.CPU},
		{KeyRemoteKernel, r.Kernel},
		{KeyRemoteGo, r.GoVersion},
		{KeyRemoteCommit, r.Commit},
		{KeyRemoteVCPUs, fmt.Sprint(r.VCPUs)},
		{KeyRemoteRTT, r.RTT.Round(time.Microsecond).String()},
		{KeyRemoteBenchmarks, strings.Join(r.Benchmarks, " ")},
	}
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
	}}
	if m.VCPUs > 0 {
		p.Lines = append(p.Lines, ConfigLine{KeyVCPUs, fmt.Sprint(m.VCPUs)})
	}
	if m.Virt != "" {
		p.Lines = append(p.Lines, ConfigLine{KeyVirt, m.Virt})
	}
	if m.Hostname != "" {
		p.Lines = append(p.Lines, ConfigLine{KeyHostname, m.Hostname})
	}
	p.Lines = append(p.Lines, m.Remote.lines()...)
	p.Lines = append(p.Lines, []ConfigLine{
		{KeyCount, fmt.Sprint(s.Count)},
		{KeyBenchtime, s.Benchtime},
		{KeyQuick, fmt.Sprint(s.Quick)},
	}...)
	for _, l := range []ConfigLine{{KeyBench, s.Bench}, {KeyBudget, s.Budget}, {KeyShuffle, s.Shuffle}, {KeyPinning, s.Pinning}} {
		if l.Value != "" {
			p.Lines = append(p.Lines, l)
		}
	}
	for _, k := range m.Knobs {
		p.Lines = append(p.Lines, ConfigLine{KeyKnobs + k.Strategy, k.Knobs})
	}
	p.Lines = append(p.Lines, m.Anchors...)
	for i := range p.Lines {
		p.Lines[i].Value = OneLine(p.Lines[i].Value)
	}
	return p
}

// OneLine makes v safe as a config value: one line, no surrounding
// space, never empty (an empty value deletes the key in benchfmt).
func OneLine(v string) string {
	v = strings.Join(strings.Fields(v), " ")
	if v == "" {
		return "unknown"
	}
	return v
}
