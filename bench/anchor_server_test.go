package bench

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"iostrat"
	"iostrat/internal/affinity"
	"iostrat/internal/loadgen"
	"iostrat/internal/proto"
)

// Anchor servers. With -iostrat.anchor-servers=gnet=PATH,nethttp=PATH the
// Echo and HTTP benchmarks run, after the strategies, a leaf
// impl=anchor-<name> for each outside server that serves the protocol:
// gnet (anchors/gnet, gnet's event loops around the suite's own protocol
// handlers) for echo and http, nethttp (anchors/nethttp, Go's net/http
// server) for http. The leaf has the strategies' parameters, client and
// measured loop (measureIO); only the server differs: a fresh process per
// leaf, started with
//
//	PATH -addr 127.0.0.1:0 -proto P -loops GOMAXPROCS -cpus BUDGET
//
// where BUDGET is the CPUs a strategy's server gets (applyBudget). The
// server pins every one of its threads there before it serves, and prints
// its GOMAXPROCS (and gnet its event loops), then its address; it is
// stopped (SIGTERM, then SIGKILL after anchorStopTimeout) and waited for
// when the leaf ends.
//
// The figures are the server process's, read from outside:
//   - cpu-ns/<unit> and cpu-util: the child's process CPU-time clock
//     (clock_gettime on the clock clock_getcpuclockid(3) names): user and
//     system time of all its threads, exited ones included, in
//     nanoseconds (the kernel's sum_exec_runtime, which getrusage's
//     figures for a strategy's server are scaled to), where the utime and
//     stime of /proc/PID/stat count whole clock ticks;
//   - ctx-switches/<unit>: voluntary_ctxt_switches and
//     nonvoluntary_ctxt_switches summed over /proc/PID/task/*/status, the
//     threads alive before and after the measured loop (a count that goes
//     down, a thread having ended in between, is left out);
//   - cpus: the union of Cpus_allowed_list of /proc/PID/task/*/status,
//     read after the measured loop;
//   - gomaxprocs: the event loops gnet announced (its "loops" line), or
//     else the GOMAXPROCS the child read back (its "gomaxprocs" line).
//
// Allocations and the strategies' counters (syscalls, wakes, ...) are not
// known for an outside process, so those figures read n/a. A binary that
// is missing, or does not start and print its address, skips the leaf
// with the reason; a server that answers wrongly fails the leaf as a
// strategy would. Anchor servers run on this machine only: with
// -iostrat.remote their leaves skip.

// An anchorServer is one outside server named on the command line.
type anchorServer struct {
	name, path string
}

// anchorProtocols are the protocols each known anchor server serves.
var anchorProtocols = map[string][]string{
	"gnet":    {"echo", "http"},
	"nethttp": {"http"},
}

// anchorServers are the servers of -iostrat.anchor-servers, in its order.
var anchorServers []anchorServer

func init() {
	flag.Func("iostrat.anchor-servers",
		"comma-separated `name=path` of anchor server binaries (gnet, nethttp) that the Echo and HTTP benchmarks also run, as impl=anchor-<name>",
		func(s string) (err error) {
			anchorServers, err = parseAnchorServers(s)
			return err
		})
}

// parseAnchorServers reads -iostrat.anchor-servers: known names, each
// once, each with a path.
func parseAnchorServers(s string) ([]anchorServer, error) {
	var list []anchorServer
	for item := range strings.SplitSeq(s, ",") {
		name, path, ok := strings.Cut(strings.TrimSpace(item), "=")
		switch {
		case !ok || path == "":
			return nil, fmt.Errorf("%q: want name=path", item)
		case anchorProtocols[name] == nil:
			return nil, fmt.Errorf("%q: unknown anchor server %q (known: gnet, nethttp)", item, name)
		case slices.ContainsFunc(list, func(a anchorServer) bool { return a.name == name }):
			return nil, fmt.Errorf("anchor server %q named twice", name)
		}
		list = append(list, anchorServer{name, path})
	}
	return list, nil
}

// A serveFunc runs f with a server of the leaf's kind serving the
// leaf's protocol, and its address.
type serveFunc func(b *testing.B, f func(srv server, addr string))

// forEachIOServer is forEachIOStrategy for the workloads with anchor
// leaves: f runs once per strategy, and then once per anchor server of
// -iostrat.anchor-servers that serves p (and -iostrat.impls selects), each
// as the sub-benchmark impl=<name>; serve starts that leaf's server.
func forEachIOServer(b *testing.B, p iostrat.Protocol, f func(b *testing.B, serve serveFunc)) {
	forEachIOStrategy(b, func(b *testing.B, s iostrat.Strategy) {
		f(b, func(b *testing.B, g func(server, string)) { withServer(b, s, p, g) })
	})
	for _, a := range anchorServers {
		impl := "anchor-" + a.name
		if slices.Contains(anchorProtocols[a.name], p.Name()) && implSelected(impl) {
			b.Run("impl="+impl, func(b *testing.B) {
				f(b, func(b *testing.B, g func(server, string)) { withAnchorServer(b, a, p, g) })
			})
		}
	}
}

// withAnchorServer starts the anchor server a serving p on the leaf's
// budget, runs f with it and its address, and stops it.
func withAnchorServer(b *testing.B, a anchorServer, p iostrat.Protocol, f func(srv server, addr string)) {
	if *remoteFlag != "" {
		b.Skip("anchor servers run on this machine only, and -iostrat.remote serves the strategies on another")
	}
	cpus := applyBudget(b)
	child, err := startAnchorServer(a.path, p.Name(), cpus, runtime.GOMAXPROCS(0))
	if err != nil {
		b.Skipf("anchor server %s: %v", a.name, err)
	}
	defer func() {
		if err := child.stop(); err != nil {
			b.Errorf("anchor server %s: %v", a.name, err)
		}
	}()
	f(server{anchor: child}, child.addr)
}

// Anchor server process limits.
const (
	anchorStartTimeout = 10 * time.Second // to print the listening line
	anchorStopTimeout  = 5 * time.Second  // to exit after SIGTERM, before SIGKILL
	anchorStderrTail   = 2 << 10          // bytes of stderr kept for error messages
)

// anchorChild is a running anchor server process.
type anchorChild struct {
	cmd        *exec.Cmd
	stderr     *tailWriter
	stdoutDone chan struct{} // closed once stdout is read to its end
	addr       string        // the address it serves
	gomaxprocs int           // its reported parallelism (see the Anchor servers comment)
}

// startAnchorServer starts the server binary at path serving proto with
// loops loops, pinned to cpus, and waits for its address.
func startAnchorServer(path, proto string, cpus affinity.Set, loops int) (*anchorChild, error) {
	cmd := exec.Command(path, "-addr", "127.0.0.1:0", "-proto", proto, "-loops", strconv.Itoa(loops), "-cpus", cpus.String())
	c := &anchorChild{cmd: cmd, stderr: &tailWriter{max: anchorStderrTail}, stdoutDone: make(chan struct{})}
	cmd.Stderr = c.stderr
	// An open stdin the child never gets EOF on: it stops on SIGTERM, or
	// when this process dies and the pipe closes.
	if _, err := cmd.StdinPipe(); err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = w
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		return nil, err
	}
	header := make(chan error, 1)
	go c.readStdout(r, header)
	select {
	case err = <-header:
	case <-time.After(anchorStartTimeout):
		err = fmt.Errorf("no listening line within %v", anchorStartTimeout)
	}
	if err != nil {
		if serr := c.stop(); serr != nil {
			err = fmt.Errorf("%w; %w", err, serr)
		}
		return nil, fmt.Errorf("%s: %w%s", filepath.Base(path), err, c.stderr.suffix())
	}
	return c, nil
}

// readStdout reads the child's header lines up to its listening line,
// reports them on header, then discards the rest of its output.
func (c *anchorChild) readStdout(r io.ReadCloser, header chan<- error) {
	defer close(c.stdoutDone)
	defer r.Close()
	sc := bufio.NewScanner(r)
	header <- c.readHeader(sc)
	_, _ = io.Copy(io.Discard, r)
}

// readHeader reads "key value" lines up to "listening ADDR": gomaxprocs
// is required, loops (gnet's own count) preferred to it.
func (c *anchorChild) readHeader(sc *bufio.Scanner) error {
	var gomaxprocs, loops int
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), " ")
		var err error
		switch key {
		case "listening":
			if gomaxprocs == 0 {
				return errors.New("listening without reporting its GOMAXPROCS first")
			}
			c.addr, c.gomaxprocs = value, gomaxprocs
			if loops > 0 {
				c.gomaxprocs = loops
			}
			return nil
		case "gomaxprocs":
			gomaxprocs, err = strconv.Atoi(value)
		case "loops":
			loops, err = strconv.Atoi(value)
		}
		if err != nil {
			return fmt.Errorf("bad line %q: %w", sc.Text(), err)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return errors.New("exited before printing its listening line")
}

// stop ends the child: SIGTERM, SIGKILL if it has not exited within
// anchorStopTimeout, and waits for it and its output. The error says why
// it did not exit 0.
func (c *anchorChild) stop() error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	kill := time.AfterFunc(anchorStopTimeout, func() { _ = c.cmd.Process.Kill() })
	err := c.cmd.Wait() // also closes stdin
	killed := !kill.Stop()
	<-c.stdoutDone
	switch {
	case killed:
		return fmt.Errorf("killed: still running %v after SIGTERM%s", anchorStopTimeout, c.stderr.suffix())
	case err != nil:
		return fmt.Errorf("%w%s", err, c.stderr.suffix())
	}
	return nil
}

// cpu is the CPU time the child's threads have used so far.
func (c *anchorChild) cpu() (time.Duration, error) {
	pid := c.cmd.Process.Pid
	var ts unix.Timespec
	if err := unix.ClockGettime(processCPUClock(pid), &ts); err != nil {
		return 0, fmt.Errorf("CPU-time clock of process %d: %w", pid, err)
	}
	return time.Duration(ts.Nano()), nil
}

// processCPUClock is the clock id of the CPU time of process pid, all its
// threads: Linux's CPUCLOCK_SCHED process clock, as clock_getcpuclockid(3)
// makes it.
func processCPUClock(pid int) int32 {
	const cpuclockSched = 2
	return ^int32(pid)<<3 | cpuclockSched
}

// cpus is the union of the affinities of the child's threads, now.
func (c *anchorChild) cpus() (affinity.Set, error) {
	statuses, err := c.threadStatuses()
	if err != nil {
		return nil, err
	}
	var union affinity.Set
	for _, st := range statuses {
		list, ok := statusField(st, "Cpus_allowed_list")
		if !ok {
			return nil, fmt.Errorf("process %d: a thread's status has no Cpus_allowed_list", c.cmd.Process.Pid)
		}
		set, err := affinity.Parse(list)
		if err != nil {
			return nil, err
		}
		union = append(union, set...)
	}
	slices.Sort(union)
	return slices.Compact(union), nil
}

// switches sums the context switches, voluntary and involuntary, of the
// child's threads, now. Unlike getrusage's, the count of a thread that
// has ended is lost; a Go server keeps its threads.
func (c *anchorChild) switches() (uint64, error) {
	statuses, err := c.threadStatuses()
	if err != nil {
		return 0, err
	}
	var sum uint64
	for _, st := range statuses {
		for _, key := range []string{"voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"} {
			v, ok := statusField(st, key)
			if !ok {
				return 0, fmt.Errorf("process %d: a thread's status has no %s", c.cmd.Process.Pid, key)
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("process %d: %s: %w", c.cmd.Process.Pid, key, err)
			}
			sum += n
		}
	}
	return sum, nil
}

// threadStatuses reads the /proc status file of each of the child's
// threads, now; a thread that ends between the listing and the read is
// left out.
func (c *anchorChild) threadStatuses() ([]string, error) {
	pid := c.cmd.Process.Pid
	files, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no threads of process %d in /proc (%v)", pid, err)
	}
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
			continue // the thread ended
		}
		if err != nil {
			return nil, err
		}
		out = append(out, string(data))
	}
	return out, nil
}

// statusField is the value of key in a /proc status file's text.
func statusField(status, key string) (string, bool) {
	for line := range strings.Lines(status) {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// measureAnchor is measureAt for an anchor server: the CPU time and the
// placement are the child process's, read from outside it.
func measureAnchor(b *testing.B, c *anchorChild, unit string, perCall int, call func() error) (float64, serverPlace) {
	// As in measureAt, the wall-clock window encloses the CPU window.
	wall0 := time.Now()
	u0, err := c.usage()
	if err != nil {
		b.Fatal(err)
	}
	loop(b, call)
	elapsed := b.Elapsed()
	u1, err := c.usage()
	if err != nil {
		b.Fatal(err)
	}
	wall := time.Since(wall0)
	set, err := c.cpus()
	if err != nil {
		b.Fatal(err)
	}
	at := serverPlace{cpus: set.Len(), gomaxprocs: c.gomaxprocs, set: set}
	reportServerPlace(b, at)
	units := float64(b.N) * float64(perCall)
	ms, perUnit := serverMetrics(u1.sub(u0), wall, elapsed, iostrat.Stats{}, units, unit)
	for _, m := range ms {
		b.ReportMetric(m.value, m.unit)
	}
	return perUnit, at
}

// usage is the child's CPU time and its live threads' context switches,
// read from outside it.
func (c *anchorChild) usage() (usage, error) {
	cpu, err := c.cpu()
	if err != nil {
		return usage{}, err
	}
	switches, err := c.switches()
	if err != nil {
		return usage{}, err
	}
	return usage{cpu: cpu, switches: switches, known: true}, nil
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - w.max; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	return len(p), nil
}

// suffix is "; stderr: ..." with the kept output on one line, or "".
func (w *tailWriter) suffix() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	text := strings.Join(strings.Fields(string(bytes.ToValidUTF8(w.buf, nil))), " ")
	if text == "" {
		return ""
	}
	return "; stderr: " + text
}

// TestAnchorServers builds both anchor servers and checks, through the
// suite's client, that each serves its protocols correctly, that a leaf
// run on it reports the server process's figures, and that the process
// is gone once stopped.
func TestAnchorServers(t *testing.T) {
	servers := buildAnchorServers(t)
	setBenchtime(t, "2x")
	for _, a := range servers {
		for _, p := range anchorProtocols[a.name] {
			t.Run(a.name+"/"+p, func(t *testing.T) { checkAnchorServer(t, a, p) })
		}
	}
}

// buildAnchorServers builds anchors/gnet (its own module) and
// anchors/nethttp into a temporary directory. Without a go command, or
// when gnet's module cannot be downloaded, the test skips.
func buildAnchorServers(t *testing.T) []anchorServer {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the anchor servers: %v", err)
	}
	dir := t.TempDir()
	gnetDir := filepath.Join("..", "anchors", "gnet")
	download := exec.Command(goCmd, "-C", gnetDir, "mod", "download")
	if out, err := download.CombinedOutput(); err != nil {
		t.Skipf("cannot download the gnet anchor's modules (no network?): %v\n%s", err, out)
	}
	servers := []anchorServer{{"gnet", filepath.Join(dir, "gnet")}, {"nethttp", filepath.Join(dir, "nethttp")}}
	builds := [][]string{
		{"-C", gnetDir, "build", "-o", servers[0].path, "."},
		{"build", "-o", servers[1].path, filepath.Join("..", "anchors", "nethttp")},
	}
	for _, args := range builds {
		if out, err := exec.Command(goCmd, args...).CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return servers
}

// setBenchtime sets -test.benchtime for the test's testing.Benchmark
// calls, and back afterwards.
func setBenchtime(t *testing.T, value string) {
	old := flag.Lookup("test.benchtime").Value.String()
	if err := flag.Set("test.benchtime", value); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = flag.Set("test.benchtime", old) })
}

// Sizes of the anchor servers' check: small, but with every connection
// busy at once and HTTP pipelined as deep as the benchmark pipelines.
const (
	checkConns  = 4
	checkRounds = 3
	checkSize   = 1 << 10
)

// checkAnchorServer starts the anchor server a on one CPU serving p,
// drives it through the suite's client, runs a measured leaf on it, and
// checks that it exits 0 and is gone after stop.
func checkAnchorServer(t *testing.T, a anchorServer, p string) {
	c, err := startAnchorServer(a.path, p, startCPUs[:1], 1)
	if err != nil {
		t.Fatal(err)
	}
	running := true
	t.Cleanup(func() {
		if running {
			_ = c.stop()
		}
	})
	if c.gomaxprocs != 1 {
		t.Errorf("reported parallelism %d, want 1 (-loops 1)", c.gomaxprocs)
	}
	client, err := loadgen.StartRemote(clientCPUs())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	call := checkWorkload(t, client, c.addr, p)
	checkAnchorMetrics(t, c, client, call)
	if _, err := client.Call(loadgen.Request{Op: loadgen.OpClose}); err != nil {
		t.Fatal(err)
	}
	pid := c.cmd.Process.Pid
	running = false
	if err := c.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("process %d still listed in /proc after stop (%v)", pid, err)
	}
}

// checkWorkload drives the server through the client once per workload
// shape, each call checked as the benchmarks check it (echo: every byte;
// http: every response parsed, depths 1 and 16, and a Connection: close
// request answered, then the connection closed), and returns the call of
// the last shape, for a measured leaf.
func checkWorkload(t *testing.T, client *loadgen.Remote, addr, p string) func() error {
	if p == "echo" {
		mustDial(t, client, loadgen.Request{Op: loadgen.OpDialEcho, Addr: addr, Conns: checkConns, Size: checkSize})
		call := func() error {
			_, err := client.Call(loadgen.Request{Op: loadgen.OpRun, N: checkRounds})
			return err
		}
		if err := call(); err != nil {
			t.Fatal(err)
		}
		return call
	}
	checkConnectionClose(t, addr)
	var call func() error
	for _, depth := range []int{1, 16} {
		mustDial(t, client, loadgen.Request{Op: loadgen.OpDialHTTP, Addr: addr, Conns: checkConns, Size: depth})
		want := uint64(checkConns * depth * checkRounds)
		call = func() error {
			resp, err := client.Call(loadgen.Request{Op: loadgen.OpRun, N: checkRounds})
			if err == nil && (resp.OK != want || resp.NotOK != 0) {
				err = fmt.Errorf("pipeline %d: %d ok and %d not-ok responses, want %d ok", depth, resp.OK, resp.NotOK, want)
			}
			return err
		}
		if err := call(); err != nil {
			t.Fatal(err)
		}
	}
	return call
}

func mustDial(t *testing.T, client *loadgen.Remote, req loadgen.Request) {
	t.Helper()
	if _, err := client.Call(req); err != nil {
		t.Fatal(err)
	}
}

// checkConnectionClose sends one request with Connection: close and
// checks that the one response says so and the server then closes.
func checkConnectionClose(t *testing.T, addr string) {
	conn, err := net.DialTimeout("tcp", addr, anchorStartTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(anchorStartTimeout)); err != nil {
		t.Fatal(err)
	}
	req := strings.TrimSuffix(proto.PlaintextRequest, "\r\n") + "Connection: close\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(conn) // to the end of stream: the server closes
	if err != nil {
		t.Fatalf("reading until the server closes: %v (read %q)", err, got)
	}
	var r proto.ResponseReader
	n, err := r.Feed(got)
	if err == nil {
		err = r.Finish()
	}
	if err != nil || n != 1 || r.LastStatus() != 200 || !r.CloseSeen() {
		t.Errorf("Connection: close request answered %q: %d responses, last status %d, close seen %v, error %v; want one 200 with Connection: close",
			got, n, r.LastStatus(), r.CloseSeen(), err)
	}
}

// checkAnchorMetrics runs a measured leaf of call on the server and
// checks its figures: the child's CPU time and placement, the client's
// placement, and no figure only a strategy can give.
func checkAnchorMetrics(t *testing.T, c *anchorChild, client *loadgen.Remote, call func() error) {
	perCall := 1 // the unit's count does not matter here
	res := testing.Benchmark(func(b *testing.B) {
		measureIO(b, server{anchor: c}, client, unitMsg, perCall, call)
	})
	if res.N == 0 {
		t.Fatal("the measured leaf failed or did not run")
	}
	for _, unit := range []string{perNanos + unitMsg, perCPUNanos + unitMsg, unitCPUUtil} {
		if v, ok := res.Extra[unit]; !ok || v <= 0 {
			t.Errorf("%s = %v (reported: %v), want > 0: the server process works to answer", unit, v, ok)
		}
	}
	if v, ok := res.Extra[perSwitches+unitMsg]; !ok || v <= 0 {
		t.Errorf("%s = %v (reported: %v), want > 0: the server sleeps between the client's rounds", perSwitches+unitMsg, v, ok)
	}
	want := map[string]float64{unitCPUs: 1, unitGOMAXPROCS: 1, unitClientCPUs: float64(clientCPUs().Len())}
	if startCPUs.Len() > 1 {
		want[unitSharedCPUs] = 0
	}
	for unit, w := range want {
		if v, ok := res.Extra[unit]; !ok || v != w {
			t.Errorf("%s = %v (reported: %v), want %v", unit, v, ok, w)
		}
	}
	for _, unit := range []string{perSyscall + unitMsg, perAllocs + unitMsg, iostrat.SysRead.String() + "/" + unitMsg} {
		if v, ok := res.Extra[unit]; ok {
			t.Errorf("%s = %v reported; an outside server does not give it, so it must read n/a", unit, v)
		}
	}
}

// TestAnchorServerStartFails checks that a server that cannot start, or
// exits without serving, is an error that says so (the leaf skips with
// it), and leaves no process behind.
func TestAnchorServerStartFails(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-server")
	if _, err := startAnchorServer(missing, "http", startCPUs[:1], 1); err == nil {
		t.Errorf("started %s", missing)
	}
	exits, err := exec.LookPath("false")
	if err != nil {
		t.Skip(err)
	}
	_, err = startAnchorServer(exits, "http", startCPUs[:1], 1)
	if err == nil || !strings.Contains(err.Error(), "exited before printing its listening line") {
		t.Errorf("a server exiting at once: error %v, want one saying it exited before listening", err)
	}
}

// TestParseAnchorServers checks the flag's syntax.
func TestParseAnchorServers(t *testing.T) {
	got, err := parseAnchorServers("gnet=/a/gnet, nethttp=/b/nethttp")
	want := []anchorServer{{"gnet", "/a/gnet"}, {"nethttp", "/b/nethttp"}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("parse = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"", "gnet", "gnet=", "tokio=/x", "gnet=/a,gnet=/b"} {
		if got, err := parseAnchorServers(bad); err == nil {
			t.Errorf("parse %q = %v, want an error", bad, got)
		}
	}
}
