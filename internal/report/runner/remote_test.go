package runner

import (
	"errors"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"iostrat/internal/agent"
)

func TestRemoteFlags(t *testing.T) {
	r := Remote{Addr: "host:7070", TokenFile: "/tmp/tok"}
	want := []string{"-iostrat.remote=host:7070", "-iostrat.remote-token-file=/tmp/tok"}
	for _, b := range SocketBenchmarks {
		if got := r.flagsFor(b); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", b, got, want)
		}
	}
	for _, b := range []string{"BenchmarkSpawn", "BenchmarkPingPong", "BenchmarkTimers", "BenchmarkHarness"} {
		if got := r.flagsFor(b); got != nil {
			t.Errorf("%s: %q, want none: its work runs here", b, got)
		}
	}
	if got := (Remote{}).flagsFor("BenchmarkEcho"); got != nil {
		t.Errorf("local run: %q, want none", got)
	}
	bin := Binary{Remote: r}
	if args := bin.args(Job{Bench: "BenchmarkEcho", CPUs: 1}, "1x", 0); !slices.Equal(args[len(args)-2:], want) {
		t.Errorf("binary args %q do not end with the remote flags", args)
	}
}

func TestMedian(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var ds []time.Duration
		for _, n := range ns {
			ds = append(ds, time.Duration(n)*time.Millisecond)
		}
		return ds
	}
	for _, tt := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{ms(5), 5 * time.Millisecond},
		{ms(9, 1, 5), 5 * time.Millisecond},
		{ms(4, 1, 3, 2), 2 * time.Millisecond}, // the lower middle: a value that was measured
	} {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// echoAgent is an echoStarter whose server is a loopback echo listener;
// closeAfter > 0 makes it hang up after that many bytes.
type echoAgent struct {
	ln         net.Listener
	req        agent.StartRequest
	stopped    bool
	closeAfter int64
	echoed     chan int64
}

func (a *echoAgent) Start(req agent.StartRequest) (agent.Started, error) {
	a.req = req
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return agent.Started{}, err
	}
	a.ln, a.echoed = ln, make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			a.echoed <- -1
			return
		}
		defer c.Close()
		var src io.Reader = c
		if a.closeAfter > 0 {
			src = io.LimitReader(c, a.closeAfter)
		}
		n, _ := io.Copy(c, src)
		a.echoed <- n
	}()
	return agent.Started{Addr: ln.Addr().String(), CPUs: 1, GOMAXPROCS: 1}, nil
}

func (a *echoAgent) Stop() (agent.Report, error) {
	a.stopped = true
	return agent.Report{}, a.ln.Close()
}

func TestMeasureRTT(t *testing.T) {
	a := &echoAgent{}
	rtt, err := measureRTT(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	if a.req.Strategy != rttStrategy || a.req.Proto != "echo" || a.req.CPUs != 1 {
		t.Errorf("started %+v, want the %s echo server on one CPU", a.req, rttStrategy)
	}
	if !a.stopped {
		t.Error("the echo server was not stopped")
	}
	if rtt <= 0 {
		t.Errorf("rtt %v, want > 0", rtt)
	}
	if n := <-a.echoed; n != rttRounds+1 {
		t.Errorf("the server echoed %d bytes, want %d: one per round trip and one unmeasured", n, rttRounds+1)
	}
}

func TestMeasureRTTFailures(t *testing.T) {
	a := &echoAgent{closeAfter: 5}
	if _, err := measureRTT(t.Context(), a); err == nil {
		t.Error("a server that hangs up mid-measurement gave no error")
	}
	if !a.stopped {
		t.Error("the echo server was not stopped after the failure")
	}
	refused := errors.New("busy")
	if _, err := measureRTT(t.Context(), failingStarter{refused}); !errors.Is(err, refused) {
		t.Errorf("start refused: %v, want %v", err, refused)
	}
}

type failingStarter struct{ err error }

func (f failingStarter) Start(agent.StartRequest) (agent.Started, error) {
	return agent.Started{}, f.err
}
func (f failingStarter) Stop() (agent.Report, error) { return agent.Report{}, nil }
