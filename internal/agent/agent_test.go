package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"iostrat"
	"iostrat/impl/goroutine"
	"iostrat/internal/affinity"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testToken = []byte("a-test-token-long-enough-0123456789")

// lookupGoroutine is the agent's registry in these tests: one strategy.
func lookupGoroutine(name string) (iostrat.Strategy, error) {
	if name == "goroutine" {
		return goroutine.Strategy{}, nil
	}
	return nil, fmt.Errorf("unknown strategy %q (have goroutine)", name)
}

// startAgent serves an agent on a loopback port until the test ends, and
// checks then that it left no goroutine and no fd behind.
func startAgent(t *testing.T, token []byte) (addr string, s *Server) {
	t.Helper()
	checkLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s = NewServer(token, lookupGoroutine, t.Logf)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String(), s
}

// checkLeaks records the goroutines and fds open now and, when the test
// and its later cleanups are done, fails if any other is still there.
func checkLeaks(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	fds := openFDs(t)
	t.Cleanup(func() {
		if err := goleak.Find(ignore); err != nil {
			t.Errorf("goroutines left behind: %v", err)
		}
		if now := openFDs(t); now != fds {
			t.Errorf("%d fds open after the test, %d before", now, fds)
		}
	})
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(ents)
}

func dial(t *testing.T, addr string, token []byte) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr, token)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// echoRoundTrips sends n messages to the echo server at addr and checks
// that each comes back.
func echoRoundTrips(t *testing.T, addr string, n int) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dialing the server: %v", err)
	}
	defer conn.Close()
	buf := make([]byte, 64)
	for i := range n {
		msg := fmt.Appendf(nil, "message %d", i)
		if _, err := conn.Write(msg); err != nil {
			t.Fatalf("write: %v", err)
		}
		if _, err := io.ReadFull(conn, buf[:len(msg)]); err != nil {
			t.Fatalf("read: %v", err)
		}
		if string(buf[:len(msg)]) != string(msg) {
			t.Fatalf("echoed %q, sent %q", buf[:len(msg)], msg)
		}
	}
}

// refuses waits until nothing listens at addr any more.
func refuses(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatalf("%s still accepts connections", addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func placement(t *testing.T) affinity.Placement {
	t.Helper()
	pl, err := affinity.ObservePlacement()
	if err != nil {
		t.Skip("no CPU placement here:", err)
	}
	return pl
}

func knob(knobs []iostrat.Knob, key string) string {
	return iostrat.Info{Knobs: knobs}.Knob(key)
}

func TestStartStatsStop(t *testing.T) {
	before := placement(t)
	addr, _ := startAgent(t, testToken)
	c := dial(t, addr, testToken)

	m, err := c.Machine()
	if err != nil {
		t.Fatal(err)
	}
	if m.GoVersion != runtime.Version() || m.VCPUs < 1 || m.Kernel == "" || m.Allowed != before.CPUs.String() {
		t.Errorf("Machine() = %+v; want go %s, the CPUs %s", m, runtime.Version(), before.CPUs)
	}

	started, err := c.Start(StartRequest{Strategy: "goroutine", Proto: "echo", CPUs: 1, ReadBuffer: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if started.CPUs != 1 || started.GOMAXPROCS != 1 || started.CPUList != before.CPUs[:1].String() {
		t.Errorf("Started = %+v; want CPU %s and GOMAXPROCS 1", started, before.CPUs[:1])
	}
	if host, _, _ := net.SplitHostPort(started.Addr); host != "127.0.0.1" {
		t.Errorf("the server listens at %s, not on the agent's address", started.Addr)
	}
	if now := placement(t); now.CPUs.String() != started.CPUList || now.GOMAXPROCS != 1 {
		t.Errorf("during the run the agent is on %s with GOMAXPROCS %d", now.CPUs, now.GOMAXPROCS)
	}

	echoRoundTrips(t, started.Addr, 200)
	snap, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if snap.Stats["tasks"] < 1 || snap.Name != "goroutine" || snap.Backend != "netpoll" || snap.Model == "" {
		t.Errorf("Stats() = %+v; want the goroutine strategy and a connection task", snap)
	}
	if _, ok := snap.Stats["epoll-waits"]; ok {
		t.Errorf("Stats() reports a counter goroutine does not keep: %v", snap.Stats)
	}
	if knob(snap.Knobs, "read-buffer") != "4096" || knob(snap.Knobs, "gomaxprocs") != "1" {
		t.Errorf("knobs %v; want read-buffer=4096 gomaxprocs=1", snap.Knobs)
	}
	if snap.CPUs != 1 || snap.GOMAXPROCS != 1 {
		t.Errorf("Stats() placement %d CPUs, GOMAXPROCS %d; want 1 and 1", snap.CPUs, snap.GOMAXPROCS)
	}

	echoRoundTrips(t, started.Addr, 200)
	rep, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if rep.CPU <= 0 || rep.Wall <= 0 || rep.Wall < snap.Wall || rep.RSS <= 0 {
		t.Errorf("Stop() = CPU %v, wall %v (snapshot %v), RSS %d; want positive times and RSS", rep.CPU, rep.Wall, snap.Wall, rep.RSS)
	}
	if rep.Stats["tasks"] < snap.Stats["tasks"]+1 {
		t.Errorf("tasks %d at stop, %d at the snapshot; the second connection is missing", rep.Stats["tasks"], snap.Stats["tasks"])
	}
	if rep.CPUs != 1 || rep.GOMAXPROCS != 1 || rep.Name != "goroutine" {
		t.Errorf("Stop() = %+v", rep)
	}
	refuses(t, started.Addr)
	if after := placement(t); !slices.Equal(after.CPUs, before.CPUs) || after.GOMAXPROCS != before.GOMAXPROCS {
		t.Errorf("after the run the agent is on %s with GOMAXPROCS %d; it was on %s with %d", after.CPUs, after.GOMAXPROCS, before.CPUs, before.GOMAXPROCS)
	}

	if _, err := c.Stop(); err == nil || !strings.Contains(err.Error(), "no server running") {
		t.Errorf("a second Stop: %v; want no server running", err)
	}
	if _, err := c.Stats(); err == nil || !strings.Contains(err.Error(), "no server running") {
		t.Errorf("Stats after Stop: %v; want no server running", err)
	}
	// The connection serves another run.
	started, err = c.Start(StartRequest{Strategy: "goroutine", Proto: "http"})
	if err != nil {
		t.Fatal(err)
	}
	if started.CPUs != 1 {
		t.Errorf("cpus 0 gave %d CPUs; want 1", started.CPUs)
	}
	if _, err := c.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestToken(t *testing.T) {
	addr, _ := startAgent(t, testToken)
	for _, token := range [][]byte{nil, []byte("wrong"), append(slices.Clone(testToken), 'x'), testToken[:len(testToken)-1]} {
		c, err := Dial(context.Background(), addr, token)
		var e *Error
		if !errors.As(err, &e) || e.Msg != "bad token" {
			t.Errorf("Dial with token %q: %v; want bad token", token, err)
		}
		if err == nil {
			c.Close()
		}
	}
	// A request without a token field at all, on a connection that then
	// goes on with the right one.
	raw := rawConn(t, addr)
	if got := raw.ask(`{"op":"start","strategy":"goroutine","proto":"echo"}`); got.Error != "bad token" {
		t.Errorf("no token: %+v", got)
	}
	if got := raw.ask(raw.request("ping")); !got.OK {
		t.Errorf("ping with the token after a refusal: %+v", got)
	}
	dial(t, addr, testToken)
}

func TestEmptyTokenRefusesEverything(t *testing.T) {
	addr, _ := startAgent(t, nil)
	if _, err := Dial(context.Background(), addr, nil); err == nil || !strings.Contains(err.Error(), "bad token") {
		t.Errorf("Dial with an empty token to an agent without one: %v; want bad token", err)
	}
}

func TestBadStart(t *testing.T) {
	addr, s := startAgent(t, testToken)
	c := dial(t, addr, testToken)
	cases := []struct {
		req  StartRequest
		want string
	}{
		{StartRequest{Strategy: "nope", Proto: "echo"}, `agent: start: unknown strategy "nope" (have goroutine)`},
		{StartRequest{Strategy: "goroutine", Proto: "smtp"}, `unknown protocol "smtp"`},
		{StartRequest{Strategy: "goroutine"}, `unknown protocol ""`},
		{StartRequest{Strategy: "goroutine", Proto: "echo", CPUs: -1}, "cpus must be >= 0, got -1"},
		{StartRequest{Strategy: "goroutine", Proto: "echo", CPUs: s.allowed.Len() + 1}, fmt.Sprintf("cpus: asked for %d", s.allowed.Len()+1)},
		{StartRequest{Strategy: "goroutine", Proto: "echo", Loops: -2}, "loops must be >= 0"},
		{StartRequest{Strategy: "goroutine", Proto: "echo", Listen: "no-port"}, "listen: "},
	}
	for _, tc := range cases {
		if _, err := c.Start(tc.req); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Start(%+v): %v; want %q", tc.req, err, tc.want)
		}
	}
	// Nothing was left running: a good start follows.
	if _, err := c.Start(StartRequest{Strategy: "goroutine", Proto: "sink", Listen: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestBusy(t *testing.T) {
	addr, _ := startAgent(t, testToken)
	first := dial(t, addr, testToken)
	second := dial(t, addr, testToken)
	started, err := first.Start(StartRequest{Strategy: "goroutine", Proto: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	want := "busy: a benchmark of goroutine started by " + first.conn.LocalAddr().String() + " is running"
	if _, err := second.Start(StartRequest{Strategy: "goroutine", Proto: "echo"}); err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("a second start: %v; want %q", err, want)
	}
	if _, err := second.Stats(); err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("stats from another client: %v; want %q", err, want)
	}
	if _, err := second.Stop(); err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("stop from another client: %v; want %q", err, want)
	}
	if _, err := first.Start(StartRequest{Strategy: "goroutine", Proto: "echo"}); err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("a second start by the same client: %v; want %q", err, want)
	}
	// The first run goes on.
	echoRoundTrips(t, started.Addr, 10)
	if _, err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := second.Start(StartRequest{Strategy: "goroutine", Proto: "echo"}); err != nil {
		t.Fatalf("start once the first run stopped: %v", err)
	}
	if _, err := second.Stop(); err != nil {
		t.Fatal(err)
	}
}

// rawConnection speaks the wire protocol by hand.
type rawConnection struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func rawConn(t *testing.T, addr string) *rawConnection {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawConnection{t: t, conn: conn, r: bufio.NewReader(conn)}
}

func (rc *rawConnection) request(op string) string {
	return fmt.Sprintf(`{"token":%q,"op":%q}`, testToken, op)
}

// ask sends line and a newline and returns the reply.
func (rc *rawConnection) ask(line string) reply {
	rc.t.Helper()
	if _, err := io.WriteString(rc.conn, line+"\n"); err != nil {
		rc.t.Fatal(err)
	}
	return rc.read()
}

func (rc *rawConnection) read() reply {
	rc.t.Helper()
	got, err := rc.r.ReadString('\n')
	if err != nil {
		rc.t.Fatalf("reading the reply: %v", err)
	}
	var rep reply
	if err := json.Unmarshal([]byte(got), &rep); err != nil {
		rc.t.Fatalf("reply %q: %v", got, err)
	}
	return rep
}

func TestBadLines(t *testing.T) {
	addr, _ := startAgent(t, testToken)
	rc := rawConn(t, addr)
	ping := rc.request("ping")
	tooLarge := "request too large (max 65536 bytes)"
	cases := []struct {
		line, want string
	}{
		{strings.Repeat("x", MaxLine+1), tooLarge},
		{ping + strings.Repeat(" ", MaxLine+1-len(ping)), tooLarge},
		{ping + strings.Repeat(" ", MaxLine-len(ping)), ""}, // exactly at the limit
		{strings.Repeat("y", 3*MaxLine), tooLarge},
		{"", "malformed request: empty line"},
		{`{"token":`, "malformed request: unexpected EOF"},
		{"not json", "malformed request: invalid character"},
		{ping + ping, "malformed request: data after the JSON object"},
		{`{"token":"x","op":"ping","speed":"fast"}`, `malformed request: json: unknown field "speed"`},
		{`{"token":"x","op":"ping","cpus":"two"}`, "malformed request: json: cannot unmarshal"},
		{`[1,2]`, "malformed request: json: cannot unmarshal array"},
		{fmt.Sprintf(`{"token":%q,"op":"reboot"}`, testToken), `malformed request: unknown op "reboot" (want machine, start, stats, stop, ping)`},
		{fmt.Sprintf(`{"token":%q}`, testToken), `malformed request: unknown op ""`},
	}
	for _, tc := range cases {
		got := rc.ask(tc.line)
		switch {
		case tc.want == "" && !got.OK:
			t.Errorf("%.40q…: %+v; want ok", tc.line, got)
		case tc.want != "" && (got.OK || !strings.HasPrefix(got.Error, tc.want)):
			t.Errorf("%.40q…: %+v; want the error %q", tc.line, got, tc.want)
		}
		if got := rc.ask(ping); !got.OK {
			t.Fatalf("ping after %.40q…: %+v", tc.line, got)
		}
	}
	// An oversized line is answered before it ends.
	if _, err := io.WriteString(rc.conn, strings.Repeat("z", MaxLine+100)); err != nil {
		t.Fatal(err)
	}
	if got := rc.read(); got.Error != tooLarge {
		t.Errorf("a line over the limit, still being sent: %+v", got)
	}
	// The rest of that line is skipped without a reply of its own: the
	// next reply answers the ping.
	if _, err := io.WriteString(rc.conn, strings.Repeat("z", 10)+"\n"); err != nil {
		t.Fatal(err)
	}
	if got := rc.ask(ping); !got.OK {
		t.Errorf("ping after the long line: %+v", got)
	}
	// The agent serves other connections throughout.
	dial(t, addr, testToken)
}

func TestVanishedClient(t *testing.T) {
	before := placement(t)
	addr, _ := startAgent(t, testToken)
	c := dial(t, addr, testToken)
	started, err := c.Start(StartRequest{Strategy: "goroutine", Proto: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	// A connection to the server stays open while its client vanishes.
	conn, err := net.Dial("tcp", started.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	echoRoundTrips(t, started.Addr, 5)
	c.Close()
	refuses(t, started.Addr)
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Errorf("a connection to the stopped server is still open")
	}

	// The agent takes a new start once it has stopped the vanished run.
	next := dial(t, addr, testToken)
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := next.Start(StartRequest{Strategy: "goroutine", Proto: "echo"})
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "busy") || time.Now().After(deadline) {
			t.Fatalf("start after the client vanished: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := next.Stop(); err != nil {
		t.Fatal(err)
	}
	if after := placement(t); !slices.Equal(after.CPUs, before.CPUs) || after.GOMAXPROCS != before.GOMAXPROCS {
		t.Errorf("after the runs the agent is on %s with GOMAXPROCS %d; it was on %s with %d", after.CPUs, after.GOMAXPROCS, before.CPUs, before.GOMAXPROCS)
	}
}

func TestCloseStopsTheRun(t *testing.T) {
	before := placement(t)
	addr, s := startAgent(t, testToken)
	c := dial(t, addr, testToken)
	started, err := c.Start(StartRequest{Strategy: "goroutine", Proto: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	refuses(t, started.Addr)
	if _, err := c.Stats(); err == nil {
		t.Errorf("Stats after the agent closed: no error")
	}
	if _, err := Dial(context.Background(), addr, testToken); err == nil {
		t.Errorf("Dial after the agent closed: no error")
	}
	if after := placement(t); !slices.Equal(after.CPUs, before.CPUs) || after.GOMAXPROCS != before.GOMAXPROCS {
		t.Errorf("after Close the agent is on %s with GOMAXPROCS %d; it was on %s with %d", after.CPUs, after.GOMAXPROCS, before.CPUs, before.GOMAXPROCS)
	}
}

func TestDialCancelled(t *testing.T) {
	checkLeaks(t)
	// A listener that accepts but never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Dial(ctx, ln.Addr().String(), testToken); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dial to a silent listener: %v; want the context's deadline", err)
	}
	if conn, err := ln.Accept(); err == nil {
		conn.Close()
	}
}

func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("good", "  "+string(testToken)+"\n", 0o600)
	tok, err := ReadToken(good)
	if err != nil || string(tok) != string(testToken) {
		t.Errorf("ReadToken = %q, %v; want %q", tok, err, testToken)
	}
	if w := TokenWarnings(good, tok); len(w) != 0 {
		t.Errorf("warnings for a private file and a long token: %q", w)
	}
	open := write("open", "short\n", 0o644)
	tok, err = ReadToken(open)
	if err != nil {
		t.Fatal(err)
	}
	if w := TokenWarnings(open, tok); len(w) != 2 || !strings.Contains(w[0], "mode 0644") || !strings.Contains(w[1], "5 bytes") {
		t.Errorf("warnings for a readable file and a short token: %q", w)
	}
	for name, content := range map[string]string{"empty": "", "blank": " \n\t\n", "binary": "\xff\xfe"} {
		if _, err := ReadToken(write(name, content, 0o600)); err == nil {
			t.Errorf("ReadToken of a %s file: no error", name)
		}
	}
	if _, err := ReadToken(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadToken of a missing file: %v", err)
	}
}

func TestLineReader(t *testing.T) {
	in := "a\n\n" + strings.Repeat("b", MaxLine) + "\n" + strings.Repeat("c", MaxLine+1) + "\nd\ne"
	lr := newLineReader(strings.NewReader(in))
	want := []string{"a", "", strings.Repeat("b", MaxLine), "too large", "d", "e"}
	for i, w := range want {
		line, err := lr.next()
		got := string(line)
		if errors.Is(err, errTooLarge) {
			got = "too large"
		} else if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if got != w {
			t.Errorf("line %d: %.20q (%d bytes); want %.20q (%d bytes)", i, got, len(got), w, len(w))
		}
	}
	if _, err := lr.next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the last line: %v; want EOF", err)
	}
}

// TestCloseEndsACall: Close from another goroutine ends a call waiting
// for an agent that does not answer.
func TestCloseEndsACall(t *testing.T) {
	checkLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// An agent that answers the ping of Dial, then nothing.
	served := make(chan struct{})
	go func() {
		defer close(served)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		if _, err := r.ReadString('\n'); err != nil {
			return
		}
		io.WriteString(conn, `{"ok":true}`+"\n")
		io.Copy(io.Discard, r)
	}()
	c, err := Dial(context.Background(), ln.Addr().String(), testToken)
	if err != nil {
		t.Fatal(err)
	}
	called := make(chan error, 1)
	go func() {
		_, err := c.Stats()
		called <- err
	}()
	time.Sleep(10 * time.Millisecond) // let the call start; it fails either way
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := <-called; err == nil {
		t.Error("a call cut short by Close returned no error")
	}
	if _, err := c.Machine(); err == nil {
		t.Error("a call after Close returned no error")
	}
	<-served
}
