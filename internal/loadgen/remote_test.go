package loadgen

import (
	"bufio"
	"encoding/json"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"iostrat/internal/affinity"
)

// pipeRemote serves a Remote's requests in this process, over pipes, with
// the child's code: the protocol without the process. The cleanup closes
// the requests and checks that the server side ended cleanly.
func pipeRemote(t *testing.T) *Remote {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := serveRemote(inR, outW)
		outW.Close()
		done <- code
	}()
	t.Cleanup(func() {
		inW.Close()
		if code := <-done; code != 0 {
			t.Errorf("serveRemote returned %d, want 0", code)
		}
	})
	return &Remote{enc: json.NewEncoder(inW), dec: json.NewDecoder(bufio.NewReader(outR))}
}

func mustCall(t *testing.T, r *Remote, req Request) Response {
	t.Helper()
	resp, err := r.Call(req)
	if err != nil {
		t.Fatalf("%s: %v", req.Op, err)
	}
	return resp
}

// The wire format is the protocol between a parent and a child built from
// the same source, but benchmark results are compared across versions:
// the names stay as they are.
func TestRemoteWireFormat(t *testing.T) {
	req := Request{Op: OpOpenLoop, Addr: "127.0.0.1:1", Proto: "http", Conns: 16, Size: 3, N: 4, Workers: 5,
		Rate: 2000, Duration: time.Second, Warmup: 2, Drain: 3}
	got, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"op":"open-loop","addr":"127.0.0.1:1","proto":"http","conns":16,"size":3,"n":4,"workers":5,"rate":2000,"duration":1000000000,"warmup":2,"drain":3}`
	if string(got) != want {
		t.Errorf("request encodes as\n%s\nwant\n%s", got, want)
	}
	resp := Response{Err: "e", Bytes: 1, OK: 2, NotOK: 3, Errors: 4, Behind: true, Percentiles: []time.Duration{5}, CPUs: "0-1", GOMAXPROCS: 2}
	if got, err = json.Marshal(resp); err != nil {
		t.Fatal(err)
	}
	const wantResp = `{"err":"e","bytes":1,"ok":2,"not_ok":3,"errors":4,"behind":true,"percentiles":[5],"cpus":"0-1","gomaxprocs":2}`
	if string(got) != wantResp {
		t.Errorf("response encodes as\n%s\nwant\n%s", got, wantResp)
	}
	ops := []Op{OpDialEcho, OpDialHTTP, OpDialPump, OpRun, OpChurn, OpOpenLoop, OpPercentiles, OpPlacement, OpClose}
	wantOps := "dial-echo dial-http dial-pump run churn open-loop percentiles placement close"
	var names []string
	for _, op := range ops {
		names = append(names, string(op))
	}
	if strings.Join(names, " ") != wantOps {
		t.Errorf("ops %q, want %q", names, wantOps)
	}
}

// TestRemoteSession drives every operation through the protocol against
// test servers and checks what each answers.
func TestRemoteSession(t *testing.T) {
	checkLeaks(t)
	r := pipeRemote(t)

	if _, err := r.Call(Request{Op: OpRun, N: 1}); err == nil || err.Error() != "client: run before dial" {
		t.Errorf("run before dial: %v, want client: run before dial", err)
	}
	if _, err := r.Call(Request{Op: "nope"}); err == nil || err.Error() != `client: unknown op "nope"` {
		t.Errorf("unknown op: %v", err)
	}

	var echoed atomic.Int64
	echo := startServer(t, echoServer(&echoed))
	mustCall(t, r, Request{Op: OpDialEcho, Addr: echo.Addr(), Conns: 3, Size: 100})
	mustCall(t, r, Request{Op: OpRun, N: 4})
	if got, want := echoed.Load(), int64(3*4*100); got != want {
		t.Errorf("echo server echoed %d bytes, want %d", got, want)
	}

	var answered atomic.Int64
	web := startServer(t, httpServer(0, &answered))
	mustCall(t, r, Request{Op: OpDialHTTP, Addr: web.Addr(), Conns: 2, Size: 4})
	// Dialing another client closed the echo connections.
	waitFor(t, "echo server to see its connections closed", func() bool { return echo.open.Load() == 0 })
	resp := mustCall(t, r, Request{Op: OpRun, N: 5})
	if resp.OK != 2*4*5 || resp.NotOK != 0 || resp.Bytes == 0 {
		t.Errorf("http run: ok %d, not-ok %d, bytes %d; want ok %d, not-ok 0, some bytes", resp.OK, resp.NotOK, resp.Bytes, 2*4*5)
	}

	var frames atomic.Int64
	sink := startServer(t, sinkServer(sinkOK, &frames))
	mustCall(t, r, Request{Op: OpDialPump, Addr: sink.Addr(), Conns: 2, Size: 1000})
	resp = mustCall(t, r, Request{Op: OpRun, N: 3})
	if resp.Bytes != 2*3*1000 || frames.Load() != 2*3 {
		t.Errorf("pump run: %d bytes acknowledged, server consumed %d frames; want %d and %d", resp.Bytes, frames.Load(), 2*3*1000, 2*3)
	}
	mustCall(t, r, Request{Op: OpClose})
	if _, err := r.Call(Request{Op: OpRun, N: 1}); err == nil {
		t.Error("run after close: no error")
	}

	before := web.accepted.Load()
	mustCall(t, r, Request{Op: OpChurn, Addr: web.Addr(), Proto: "http", N: 10, Workers: 2})
	if got := web.accepted.Load() - before; got != 10 {
		t.Errorf("churn opened %d connections, want 10", got)
	}

	if resp := mustCall(t, r, Request{Op: OpPercentiles}); resp.Percentiles != nil {
		t.Errorf("percentiles before any open-loop call: %v, want none", resp.Percentiles)
	}
	for range 2 {
		resp = mustCall(t, r, Request{Op: OpOpenLoop, Addr: web.Addr(), Proto: "http", Conns: 2, Rate: 200,
			Duration: 100 * time.Millisecond, Drain: 10 * time.Second})
		if resp.OK == 0 || resp.NotOK != 0 || resp.Errors != 0 {
			t.Errorf("open loop: ok %d, not-ok %d, errors %d; want some ok and nothing else", resp.OK, resp.NotOK, resp.Errors)
		}
	}
	ps := mustCall(t, r, Request{Op: OpPercentiles}).Percentiles
	if len(ps) != 4 || ps[0] <= 0 || ps[0] > ps[1] || ps[1] > ps[2] || ps[2] > ps[3] {
		t.Errorf("percentiles %v: want p50 <= p99 <= p99.9 <= max, all positive", ps)
	}
	// The kept latencies were forgotten.
	if resp := mustCall(t, r, Request{Op: OpPercentiles}); resp.Percentiles != nil {
		t.Errorf("percentiles asked twice: %v the second time, want none", resp.Percentiles)
	}
}

// TestRemoteAnswersGarbage: a line that is not a request is answered with
// an error, and the session goes on.
func TestRemoteAnswersGarbage(t *testing.T) {
	var out strings.Builder
	in := strings.NewReader("not json\n" + `{"op":"close"}` + "\n")
	if code := serveRemote(in, &out); code != 0 {
		t.Errorf("serveRemote returned %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"err":"invalid character`) || lines[1] != "{}" {
		t.Errorf("answers %q: want a decoding error, then {}", lines)
	}
}

// TestRemoteProcess runs the client in a child process of this test
// binary, pinned to one CPU, as the benchmarks do.
func TestRemoteProcess(t *testing.T) {
	checkLeaks(t)
	cpus := oneCPU(t)
	var echoed atomic.Int64
	srv := startServer(t, echoServer(&echoed))
	r, err := StartRemote(cpus)
	if err != nil {
		t.Fatal(err)
	}
	mustCall(t, r, Request{Op: OpDialEcho, Addr: srv.Addr(), Conns: 2, Size: 10})
	mustCall(t, r, Request{Op: OpRun, N: 3})
	if got := echoed.Load(); got != 2*3*10 {
		t.Errorf("echo server echoed %d bytes, want %d", got, 2*3*10)
	}
	if _, err := r.Call(Request{Op: "nope"}); err == nil || !strings.Contains(err.Error(), `unknown op "nope"`) {
		t.Errorf("unknown op: %v", err)
	}
	if cpus != nil {
		at, err := r.Placement()
		if err != nil {
			t.Fatal(err)
		}
		if at.CPUs.String() != cpus.String() || at.GOMAXPROCS != 1 {
			t.Errorf("client placement %v, GOMAXPROCS %d; want %v, 1", at.CPUs, at.GOMAXPROCS, cpus)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// The child closed its connections as it ended.
	waitFor(t, "server to see the client's connections closed", func() bool { return srv.open.Load() == 0 })
}

// TestHoldInChild holds idle connections from a child process pinned to
// one CPU; releasing them ends the child and closes them.
func TestHoldInChild(t *testing.T) {
	checkLeaks(t)
	cpus := oneCPU(t)
	srv := startServer(t, echoServer(nil))
	const n = 50
	release, at, err := HoldInChildOn(srv.Addr(), n, cpus)
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.open.Load(); got != n {
		t.Errorf("server holds %d connections once the holder is ready, want %d", got, n)
	}
	if cpus != nil && (at.CPUs.String() != cpus.String() || at.GOMAXPROCS != 1) {
		t.Errorf("holder placement %v, GOMAXPROCS %d; want %v, 1", at.CPUs, at.GOMAXPROCS, cpus)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if err := release(); err != nil {
		t.Errorf("second release: %v", err)
	}
	waitFor(t, "server to see the held connections closed", func() bool { return srv.open.Load() == 0 })
}

// TestHoldInChildFails: a holder that cannot open its connections says
// why, and leaves no process behind.
func TestHoldInChildFails(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, corruptEchoServer(0))
	_, err := HoldInChild(srv.Addr(), 10)
	wantErr(t, err, "holder process", "error:", "want")
}

// TestChildrenNeedChildMain: without ChildMain in TestMain, a child would
// run the tests instead of its role; starting one fails at once and says
// what is missing.
func TestChildrenNeedChildMain(t *testing.T) {
	if !CanStartChildren() {
		t.Fatal("TestMain called ChildMain, but CanStartChildren is false")
	}
	childMainCalled.Store(false)
	defer childMainCalled.Store(true)
	_, err := StartRemote(nil)
	wantErr(t, err, "TestMain must call loadgen.ChildMain")
	_, err = HoldInChild("127.0.0.1:1", 1)
	wantErr(t, err, "TestMain must call loadgen.ChildMain")
}

// TestRunChildRoles: the environment picks the role; without one the
// process is not a child.
func TestRunChildRoles(t *testing.T) {
	checkLeaks(t)
	t.Setenv(affinity.Env, "") // both roles pin the process to the CPUs it names
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	if _, isChild := runChild(env(nil), strings.NewReader(""), io.Discard); isChild {
		t.Error("no role in the environment, but runChild played one")
	}

	var out strings.Builder
	code, isChild := runChild(env(map[string]string{remoteEnv: "1"}), strings.NewReader(`{"op":"close"}`+"\n"), &out)
	if !isChild || code != 0 || out.String() != "{}\n" {
		t.Errorf("remote role: child %v, code %d, output %q; want a child answering {} and exiting 0", isChild, code, out.String())
	}

	srv := startServer(t, echoServer(nil))
	out.Reset()
	code, isChild = runChild(env(map[string]string{holdEnv: srv.Addr() + ",3"}), strings.NewReader(""), &out)
	if !isChild || code != 0 || !strings.HasPrefix(out.String(), "ready ") {
		t.Errorf("holder role: child %v, code %d, output %q; want a child that got ready and exited 0", isChild, code, out.String())
	}
	if got := srv.accepted.Load(); got != 3 {
		t.Errorf("holder opened %d connections, want 3", got)
	}

	out.Reset()
	code, isChild = runChild(env(map[string]string{holdEnv: srv.Addr() + ",three"}), strings.NewReader(""), &out)
	if !isChild || code != 1 || !strings.HasPrefix(out.String(), "error: ") {
		t.Errorf("holder with a bad count: child %v, code %d, output %q; want an error line and exit 1", isChild, code, out.String())
	}
}

// oneCPU returns one CPU this process may run on, or nil where placement
// cannot be set (the children then run unpinned).
func oneCPU(t *testing.T) affinity.Set {
	t.Helper()
	if runtime.GOOS != "linux" {
		return nil
	}
	cpus, err := affinity.Self()
	if err != nil {
		t.Fatal(err)
	}
	return cpus[cpus.Len()-1:]
}

// waitFor waits until cond holds; the bound only keeps a failure from
// hanging the test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
