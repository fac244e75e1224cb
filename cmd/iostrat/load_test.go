package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"iostrat"
	"iostrat/internal/loadgen"
	"iostrat/internal/proto"
	"iostrat/strategies"
)

// serveProto serves protocol name under the goroutine strategy on a free
// loopback port until the test ends, and returns the address.
func serveProto(t *testing.T, name string) string {
	t.Helper()
	s, err := strategies.Lookup("goroutine")
	if err != nil {
		t.Fatal(err)
	}
	p, err := proto.ByName(name)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := s.Start(iostrat.Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := rt.Serve(ln, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return ln.Addr().String()
}

// TestProbe: the probe passes a server of the protocol asked for and
// names the protocol of one that speaks another.
func TestProbe(t *testing.T) {
	addrs := map[string]string{}
	for _, name := range []string{"http", "echo", "sink"} {
		addrs[name] = serveProto(t, name)
	}
	for _, tt := range []struct{ server, client, want string }{
		{"http", "http", ""},
		{"echo", "echo", ""},
		{"http", "echo", "it speaks HTTP; use -proto http"},
		{"echo", "http", "it speaks echo; use -proto echo"},
		{"sink", "http", "closed the connection without answering one http request"},
		{"sink", "echo", "closed the connection without answering one echo request"},
	} {
		err := probe(addrs[tt.server], tt.client, maxProbeTimeout)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s client, %s server: %v", tt.client, tt.server, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s client, %s server: %v, want an error with %q", tt.client, tt.server, err, tt.want)
		}
	}
}

// TestProbeSilentServer: a server that never answers is reported when the
// probe's time is up, not later.
func TestProbeSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	const timeout = 200 * time.Millisecond
	err = probe(ln.Addr().String(), "echo", timeout)
	if err == nil || !strings.Contains(err.Error(), "no answer to one echo request within 200ms") {
		t.Errorf("probe of a silent server: %v", err)
	}
}

func TestProbeVerdict(t *testing.T) {
	request := []byte(echoProbe)
	for _, tt := range []struct {
		proto string
		got   string
		err   error
		want  string
	}{
		{"http", "HTTP/1.1 200 OK\r\nContent-Le", nil, ""},
		{"http", "HTTP/1.0 200 OK\r\n\r\n", io.ErrUnexpectedEOF, ""},
		{"echo", echoProbe, nil, ""},
		{"echo", echoProbe[:5], os.ErrDeadlineExceeded, "echoed 5 of the probe's 28 bytes, then: i/o timeout"},
		{"echo", "SSH-2.0-OpenSSH_9.6\r\n", io.ErrUnexpectedEOF, `answered one echo request with "SSH-2.0-OpenSSH_9.6\r\n", which is not echo`},
		{"echo", "", io.EOF, "closed the connection without answering"},
		{"http", "", os.ErrDeadlineExceeded, "no answer to one http request within 2s"},
		{"http", "", errors.New("connection reset"), "reading the answer to one http request: connection reset"},
	} {
		err := probeVerdict(tt.proto, request, []byte(tt.got), tt.err, maxProbeTimeout)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s answered %q, %v: %v, want %q", tt.proto, tt.got, tt.err, err, tt.want)
		}
	}
}

// TestLoadWrongProtocol: load with the wrong -proto fails naming the
// server's protocol, before its -duration is over (the probe's answer
// takes microseconds; the run would stall until its stall timeout).
func TestLoadWrongProtocol(t *testing.T) {
	addr := serveProto(t, "http")
	const duration = 5 * time.Second
	start := time.Now()
	err := run(io.Discard, io.Discard, []string{"load", "-addr", addr, "-proto", "echo", "-duration", duration.String()})
	if err == nil || !strings.Contains(err.Error(), "it speaks HTTP; use -proto http") {
		t.Errorf("load -proto echo against HTTP: %v", err)
	}
	if d := time.Since(start); d >= duration {
		t.Errorf("load took %v to fail, more than its -duration", d)
	}
}

// TestLoadOpenLoop runs a short open-loop run against a real server and
// checks that it reports the achieved rate beside the offered one.
func TestLoadOpenLoop(t *testing.T) {
	addr := serveProto(t, "http")
	var stdout bytes.Buffer
	err := run(&stdout, io.Discard, []string{"load", "-addr", addr, "-rate", "200", "-duration", "500ms", "-warmup", "100ms", "-conns", "2"})
	if err != nil {
		t.Fatalf("load: %v\n%s", err, stdout.String())
	}
	if !strings.Contains(stdout.String(), "req/s achieved, 200 req/s offered") {
		t.Errorf("output does not give the achieved rate beside the offered one:\n%s", stdout.String())
	}
}

func TestAchievedRate(t *testing.T) {
	cfg := loadgen.OpenLoopConfig{Rate: 1000, Duration: 10 * time.Second, Warmup: time.Second}
	res := loadgen.OpenLoopResult{Completed: 10000, Rate: 1000}
	// Every answer came, but the last 2.5 s after the schedule ended:
	// the server kept up with 80% of the offered rate, not all of it.
	if got := achievedRate(res, 13500*time.Millisecond, cfg); got != 800 {
		t.Errorf("achievedRate = %v, want 800", got)
	}
	// The span is never shorter than the measured part.
	if got := achievedRate(res, 5*time.Second, cfg); got != 1000 {
		t.Errorf("achievedRate = %v, want 1000", got)
	}
}

func TestRound3(t *testing.T) {
	for _, tt := range []struct{ in, want time.Duration }{
		{158548625 * time.Nanosecond, 159 * time.Millisecond},
		{1234567 * time.Microsecond, 1230 * time.Millisecond},
		{999, 999},
		{1004, 1000},
		{1005, 1010},
		{12345 * time.Nanosecond, 12300 * time.Nanosecond},
		{-158548625 * time.Nanosecond, -159 * time.Millisecond},
		{0, 0},
	} {
		if got := round3(tt.in); got != tt.want {
			t.Errorf("round3(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
