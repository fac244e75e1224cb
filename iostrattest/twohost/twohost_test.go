//go:build linux

package twohost

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"iostrat/internal/agent"
)

const (
	testTimeout    = 4 * time.Minute  // the whole test, the builds included, when go test gives no deadline
	cleanupTimeout = 30 * time.Second // each cleanup's commands

	// The delay subtest's added latency, on the client's side of the
	// link only: requests wait, answers do not, so each round trip grows
	// by linkDelay. minShift is how much of it the shortest round trip
	// must show: the delay is large against a round trip between two
	// namespaces of one machine.
	linkDelay = time.Millisecond
	minShift  = 800 * time.Microsecond
)

// TestMain runs the tests, or the probe when this binary was started as
// one inside the client namespace (probe_test.go).
func TestMain(m *testing.M) {
	if os.Getenv(probeEnv) != "" {
		os.Exit(probeMain())
	}
	os.Exit(m.Run())
}

// hosts is the two-host set-up the checks run against, and the link
// they use.
type hosts struct {
	server, client namespace
	agentAddr      string // the agent's address on the link, host:port
	serverDev      string // the server's device on the link
	tokenFile      string
	benchBin       string // the bench test binary
	benchDir       string // the bench package's directory, where it runs
}

// TestTwoHosts: see the package documentation.
func TestTwoHosts(t *testing.T) {
	ip := needTool(t, "ip")
	tc := needTool(t, "tc")
	if os.Geteuid() != 0 {
		t.Skip("creating network namespaces needs root")
	}
	ctx := testContext(t)
	server, client := makeHosts(t, ctx, ip)
	checkLeftovers(t, server, client) // runs after the agent's stop, registered below

	dir := t.TempDir()
	iostratBin, benchBin, benchDir := build(t, ctx, dir)
	env := hosts{
		server: server, client: client,
		agentAddr: net.JoinHostPort(serverIP, agentPort), serverDev: serverIf,
		tokenFile: writeToken(t, dir),
		benchBin:  benchBin, benchDir: benchDir,
	}
	// The agent listens on every address of the server namespace, so
	// that the delay line's (below) reaches it too; the servers it starts
	// listen on the address a control connection reached.
	startAgent(t, server, iostratBin, net.JoinHostPort("", agentPort), env.tokenFile)

	measure(t, ctx, env)
	t.Run("delay=1ms", func(t *testing.T) {
		denv, setDelay := delayedLink(t, ctx, env, tc)
		setDelay(t, false)
		before := measure(t, ctx, denv)
		setDelay(t, true)
		after := measure(t, ctx, denv)
		setDelay(t, false)
		for _, f := range delayFigures {
			b, a := f.get(before), f.get(after)
			t.Logf("%s: %v without the delay, %v with it (+%v)", f.name, b, a, a-b)
			if a < linkDelay {
				t.Errorf("%s is %v with %v added to each round trip; want at least %v", f.name, a, linkDelay, linkDelay)
			}
			if f.shift && a-b < minShift {
				t.Errorf("%s moved from %v to %v with %v added to each round trip; want at least +%v", f.name, b, a, linkDelay, minShift)
			}
		}
	})
}

// delayFigures are the latency figures the delay subtest checks. With
// the delay every round trip takes linkDelay at least, so each figure must
// be at least that, however loaded the machine. Load only lengthens round
// trips, and an average or a median of hundreds of them can grow by more
// than the delay when the machine is busy (as under make test), so the
// shift itself is checked on the shortest of the probe's 200 round trips
// (shift), which some quiet moment reaches; the rows' shifts are logged.
var delayFigures = []struct {
	name  string
	get   func(measured) time.Duration
	shift bool
}{
	{"the probe's shortest round trip", func(m measured) time.Duration { return m.probe.MinRTT }, true},
	{"the probe's median round trip (remote-rtt)", func(m measured) time.Duration { return m.probe.RTT }, false},
	{groupRows[0] + " ns/msg", func(m measured) time.Duration { return nanos(m.rows[groupRows[0]].values["ns/msg"]) }, false},
	{groupRows[3] + " ns/msg", func(m measured) time.Duration { return nanos(m.rows[groupRows[3]].values["ns/msg"]) }, false},
	{latencyRow + " p50-ns", func(m measured) time.Duration { return nanos(m.rows[latencyRow].values["p50-ns"]) }, false},
}

// delayedLink finds a way to add linkDelay to every packet the client
// sends to the server, and returns the set-up that uses that link and
// the switch of the delay: netem on the client's end of the veth pair, or,
// on a kernel without netem, a delay line (delayline_test.go) between the
// namespaces, whose own cost is then in the passes both ways. It skips
// the test, with both errors, when neither can be had.
func delayedLink(t *testing.T, ctx context.Context, env hosts, tc string) (hosts, func(t *testing.T, on bool)) {
	t.Helper()
	netem := []string{"-n", env.client.name, "qdisc", "add", "dev", clientIf, "root", "netem", "delay", linkDelay.String()}
	noNetem := []string{"-n", env.client.name, "qdisc", "del", "dev", clientIf, "root"}
	_, netemErr := command(ctx, tc, netem...)
	if netemErr == nil {
		t.Logf("the veth pair's client end holds what it sends for %v with netem, when on", linkDelay)
		on := true
		return env, func(t *testing.T, want bool) {
			t.Helper()
			if want == on {
				return
			}
			args := netem
			if !want {
				args = noNetem
			}
			if _, err := command(ctx, tc, args...); err != nil {
				t.Fatal(err)
			}
			on = want
			t.Logf("netem delay %v: %v", linkDelay, on)
		}
	}
	line, err := newDelayLine(t, ctx, env.server, env.client)
	if err != nil {
		t.Skipf("cannot delay the link: no netem queueing discipline (%v), and no delay line over TUN devices (%v)", netemErr, err)
	}
	t.Logf("no netem (%v): the client reaches the agent over a delay line between TUN devices instead", netemErr)
	env.agentAddr = net.JoinHostPort(lineServerIP, agentPort)
	env.serverDev = lineIf
	first := true
	return env, func(t *testing.T, on bool) {
		t.Helper()
		if !first {
			t.Logf("the delay line held the client's %s", line.heldStats())
		}
		first = false
		delay := time.Duration(0)
		if on {
			delay = linkDelay
		}
		line.setDelay(delay)
		t.Logf("the delay line now holds what the client sends for %v", delay)
	}
}

// testContext bounds the test's commands: go test's deadline, less time
// for the cleanups, or testTimeout.
func testContext(t *testing.T) context.Context {
	deadline := time.Now().Add(testTimeout)
	if d, ok := t.Deadline(); ok && d.Add(-2*cleanupTimeout).Before(deadline) {
		deadline = d.Add(-2 * cleanupTimeout)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	t.Cleanup(cancel)
	return ctx
}

// build builds the iostrat command and the bench test binary into dir,
// both at once, without the race detector (see the package
// documentation), and returns their paths and the bench package's
// directory.
func build(t *testing.T, ctx context.Context, dir string) (iostratBin, benchBin, benchDir string) {
	t.Helper()
	out, err := command(ctx, "go", "list", "-f", "{{.Dir}}", "iostrat/bench")
	if err != nil {
		t.Fatal(err)
	}
	benchDir = strings.TrimSpace(string(out))
	iostratBin, benchBin = filepath.Join(dir, "iostrat"), filepath.Join(dir, "bench.test")
	builds := [][]string{
		{"build", "-o", iostratBin, "iostrat/cmd/iostrat"},
		{"test", "-c", "-o", benchBin, "iostrat/bench"},
	}
	errs := make([]error, len(builds))
	var wg sync.WaitGroup
	for i, args := range builds {
		wg.Go(func() {
			cmd := exec.CommandContext(ctx, "go", args...)
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = &buildError{args: args, err: err, out: out}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return iostratBin, benchBin, benchDir
}

type buildError struct {
	args []string
	err  error
	out  []byte
}

func (e *buildError) Error() string {
	return "go " + strings.Join(e.args, " ") + ": " + e.err.Error() + "\n" + string(e.out)
}

// measured is what one pass over the link saw.
type measured struct {
	probe probeResult
	rows  map[string]row // the group's rows and the latency row, by name
}

// measure runs the probe and the bench binary from the client namespace
// and checks what they report.
func measure(t *testing.T, ctx context.Context, env hosts) measured {
	t.Helper()
	var m measured
	m.probe = runProbe(t, ctx, env)

	group := runBench(t, ctx, env, groupBench, groupBenchtime)
	latency := runBench(t, ctx, env, latencyBench, latencyTime)
	all := append(group, latency...)
	logRows(t, "rows", all)
	m.rows = byName(t, all, append(slices.Clone(groupRows), latencyRow)...)
	checkCounterRows(t, m.rows)
	if r, ok := m.rows[latencyRow]; ok {
		for _, u := range []string{"p50-ns", "p99-ns", "max-ns"} {
			if v, ok := r.values[u]; !ok || v <= 0 {
				t.Errorf("%s: %s = %v (printed: %v), want > 0", latencyRow, u, v, ok)
			}
		}
	}
	return m
}

// runProbe runs the probe inside the client namespace and checks its
// report: the agent served at the address the control connection
// reached, on the budget asked for, and its counters moved by at least
// the traffic the probe sent, which crossed the veth pair.
func runProbe(t *testing.T, ctx context.Context, env hosts) probeResult {
	t.Helper()
	rx0, err := env.server.rxPackets(ctx, env.serverDev)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := env.client.exec(ctx, self)
	cmd.Env = append(os.Environ(), probeEnv+"="+env.agentAddr, probeTokenEnv+"="+env.tokenFile)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("probe in %s: %v\n%s", env.client.name, err, stderr.String())
	}
	var p probeResult
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("probe output: %v\n%s", err, out)
	}
	rx1, err := env.server.rxPackets(ctx, env.serverDev)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("probe: remote-rtt %v, shortest of %d round trips %v; agent %s on %d CPUs, Go %s; %s echo server at %s, %d CPU, GOMAXPROCS %d (CPUs %s)",
		p.RTT.Round(time.Microsecond), probeRounds, p.MinRTT.Round(time.Microsecond), p.Machine.Hostname, p.Machine.VCPUs, p.Machine.GoVersion,
		probeStrategy, p.Started.Addr, p.Started.CPUs, p.Started.GOMAXPROCS, p.Started.CPUList)
	t.Logf("probe: Stats after %d round trips: CPU %v, wall %v, RSS %d B, counters %v", probeRounds, p.Stats.CPU, p.Stats.Wall.Round(time.Microsecond), p.Stats.RSS, p.Stats.Stats)
	t.Logf("probe: Stop after one more: CPU %v, wall %v, counters %v; a second Stop: %q", p.Stop.CPU, p.Stop.Wall.Round(time.Microsecond), p.Stop.Stats, p.StopAgain)

	if p.RTT <= 0 {
		t.Errorf("remote-rtt %v, want > 0", p.RTT)
	}
	if p.Machine.VCPUs <= 0 || p.Machine.GoVersion == "" || p.Machine.Allowed == "" {
		t.Errorf("the agent's machine %+v: want its CPUs, Go version and allowed CPUs", p.Machine)
	}
	agentHost, _, _ := net.SplitHostPort(env.agentAddr)
	if host, _, err := net.SplitHostPort(p.Started.Addr); err != nil || host != agentHost {
		t.Errorf("the agent's server is at %q, want the address the probe reached the agent at, %s", p.Started.Addr, agentHost)
	}
	if p.Started.CPUs != 1 || p.Started.GOMAXPROCS != 1 {
		t.Errorf("the agent's server runs on %d CPUs with GOMAXPROCS %d, want 1 and 1", p.Started.CPUs, p.Started.GOMAXPROCS)
	}
	// Every round trip brought at least one packet to the server's device.
	if rx1-rx0 < probeRounds {
		t.Errorf("the server's %s received %d packets during the probe, want at least %d (its round trips)", env.serverDev, rx1-rx0, probeRounds)
	}
	checkProbeReport(t, "Stats", p.Stats, probeRounds)
	checkProbeReport(t, "Stop", p.Stop, probeRounds+1)
	for name, v := range p.Stats.Stats {
		if after, ok := p.Stop.Stats[name]; !ok || after < v {
			t.Errorf("counter %s: %d in Stats, %d in the later Stop (present: %v): counters only move forward", name, v, after, ok)
		}
	}
	if p.Stop.Wall < p.Stats.Wall || p.Stop.CPU < p.Stats.CPU {
		t.Errorf("Stop reports wall %v and CPU %v, less than the earlier Stats' %v and %v", p.Stop.Wall, p.Stop.CPU, p.Stats.Wall, p.Stats.CPU)
	}
	if p.StopAgain != noServerRefuse {
		t.Errorf("a second Stop was answered %q, want the refusal %q", p.StopAgain, noServerRefuse)
	}
	return p
}

// checkProbeReport checks a report of the probe's echo server after
// rounds round trips of one connection: the strategy asked for, on its
// budget, with CPU time, wall time and memory measured, and counters that
// count at least the traffic: the callback loop accepted the connection
// and made a read and a write per round trip, at least.
func checkProbeReport(t *testing.T, name string, r agent.Report, rounds uint64) {
	t.Helper()
	if r.Name != probeStrategy || r.CPUs != 1 || r.GOMAXPROCS != 1 {
		t.Errorf("%s: strategy %q on %d CPUs, GOMAXPROCS %d; want %s, 1, 1", name, r.Name, r.CPUs, r.GOMAXPROCS, probeStrategy)
	}
	if r.CPU <= 0 || r.Wall <= 0 || r.RSS <= 0 {
		t.Errorf("%s: CPU %v, wall %v, RSS %d; want all > 0", name, r.CPU, r.Wall, r.RSS)
	}
	for counter, least := range map[string]uint64{"accepts": 1, "reads": rounds, "writes": rounds} {
		if v, ok := r.Stats[counter]; !ok || v < least {
			t.Errorf("%s: counter %s = %d (present: %v), want at least %d", name, counter, v, ok, least)
		}
	}
}

func nanos(ns float64) time.Duration { return time.Duration(ns) }
