package loadgen

import (
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

// checkCounts checks the counts every successful open-loop run must have.
func checkCounts(t *testing.T, cfg OpenLoopConfig, res OpenLoopResult) {
	t.Helper()
	want := cfg.Rate * cfg.Duration.Seconds()
	if d := float64(res.Scheduled) - want; d < -float64(cfg.Conns) || d > float64(cfg.Conns) {
		t.Errorf("Scheduled = %d, want %v give or take %d", res.Scheduled, want, cfg.Conns)
	}
	if res.Sent != res.Scheduled || res.Completed != res.Sent || res.Errors != 0 {
		t.Errorf("scheduled %d, sent %d, completed %d, errors %d: want all sent and completed",
			res.Scheduled, res.Sent, res.Completed, res.Errors)
	}
	if uint64(len(res.Latencies))+res.Dropped != res.Completed {
		t.Errorf("%d latencies kept + %d dropped != %d completed", len(res.Latencies), res.Dropped, res.Completed)
	}
	for i, l := range res.Latencies {
		if l <= 0 {
			t.Fatalf("latency %d is %v", i, l)
		}
	}
	if res.Rate <= 0 {
		t.Errorf("achieved rate %v", res.Rate)
	}
}

func TestOpenLoopHTTP(t *testing.T) {
	checkLeaks(t)
	var answered atomic.Int64
	srv := startServer(t, httpServer(0, &answered))
	cfg := OpenLoopConfig{
		Addr:     srv.Addr(),
		Proto:    "http",
		Conns:    4,
		Rate:     2000,
		Duration: 500 * time.Millisecond,
		Warmup:   100 * time.Millisecond,
		Samples:  make([]time.Duration, 2000),
		Slack:    time.Hour, // this test checks counts, not the machine's punctuality
	}
	res, err := OpenLoop(cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, cfg, res)
	if res.Dropped != 0 || res.NotOK != 0 || res.Behind || res.LateSends != 0 {
		t.Errorf("%+v", res)
	}
	// The warmup's requests were answered too, and not counted.
	if uint64(answered.Load()) <= res.Completed {
		t.Errorf("server answered %d requests, %d measured: warmup missing", answered.Load(), res.Completed)
	}
}

func TestOpenLoopEcho(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, echoServer(nil))
	for _, size := range []int{1, 300, 100 << 10} {
		cfg := OpenLoopConfig{
			Addr:     srv.Addr(),
			Proto:    "echo",
			Size:     size,
			Conns:    3,
			Rate:     1000,
			Duration: 300 * time.Millisecond,
			Samples:  make([]time.Duration, 1000),
			Slack:    time.Hour,
		}
		res, err := OpenLoop(cfg)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		checkCounts(t, cfg, res)
	}
}

// A server that holds every reply for a while: every latency includes the
// wait, whatever the client's timing.
func TestOpenLoopLatencyIncludesServerDelay(t *testing.T) {
	checkLeaks(t)
	const delay = 30 * time.Millisecond
	for _, proto := range []string{"echo", "http"} {
		handler := delayedEchoServer(delay)
		if proto == "http" {
			handler = httpServer(delay, nil)
		}
		srv := startServer(t, handler)
		cfg := OpenLoopConfig{
			Addr: srv.Addr(), Proto: proto, Size: 64, Conns: 2, Rate: 200,
			Duration: 300 * time.Millisecond, Samples: make([]time.Duration, 100), Slack: time.Hour,
		}
		res, err := OpenLoop(cfg)
		if err != nil {
			t.Fatalf("%s: %v", proto, err)
		}
		checkCounts(t, cfg, res)
		for _, l := range res.Latencies {
			if l < delay {
				t.Fatalf("%s: latency %v below the server's delay %v", proto, l, delay)
			}
		}
	}
}

// The point of an open loop: when the server stalls, every request
// scheduled during the stall is late, not just the one in flight. A
// closed-loop client would record one slow sample; this one must record a
// slow sample for each request due in the stall.
func TestOpenLoopCountsEveryRequestDelayedByAStall(t *testing.T) {
	checkLeaks(t)
	const (
		rate  = 1000
		size  = 16
		stall = 300 * time.Millisecond
	)
	// Stall after the warmup's 100 messages and 200 more.
	srv := startServer(t, stallingEchoServer(300*size, stall))
	cfg := OpenLoopConfig{
		Addr: srv.Addr(), Proto: "echo", Size: size, Conns: 1, Rate: rate,
		Warmup: 100 * time.Millisecond, Duration: time.Second,
		Samples: make([]time.Duration, 2*rate), Slack: time.Hour,
	}
	res, err := OpenLoop(cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, cfg, res)
	// The requests due in the first half of the stall waited at least half
	// of it: about rate*stall/2 of them.
	slow := 0
	for _, l := range res.Latencies {
		if l >= stall/2 {
			slow++
		}
	}
	if want := int(rate * (stall / 2).Seconds() * 0.9); slow < want {
		t.Errorf("%d latencies of at least %v, want at least %d", slow, stall/2, want)
	}
}

func TestOpenLoopBehindIsFlagged(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, httpServer(0, nil))
	// With a slack of 1ns no sender can be on time: waking takes longer.
	cfg := OpenLoopConfig{
		Addr: srv.Addr(), Proto: "http", Conns: 1, Rate: 5000,
		Duration: 200 * time.Millisecond, Samples: make([]time.Duration, 1000), Slack: time.Nanosecond,
	}
	res, err := OpenLoop(cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, cfg, res)
	if !res.Behind || res.LateSends == 0 || res.MaxLate <= 0 {
		t.Errorf("Behind %v, LateSends %d, MaxLate %v: want flagged", res.Behind, res.LateSends, res.MaxLate)
	}
	if res.LateSends > res.Sent {
		t.Errorf("%d late sends of %d", res.LateSends, res.Sent)
	}
}

func TestOpenLoopDropsSamplesBeyondCapacity(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, echoServer(nil))
	samples := make([]time.Duration, 10)
	cfg := OpenLoopConfig{
		Addr: srv.Addr(), Proto: "echo", Size: 8, Conns: 2, Rate: 1000,
		Duration: 100 * time.Millisecond, Samples: samples, Slack: time.Hour,
	}
	res, err := OpenLoop(cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, cfg, res)
	if len(res.Latencies) != len(samples) || &res.Latencies[0] != &samples[0] || res.Dropped != res.Completed-10 {
		t.Errorf("%d latencies kept, %d dropped of %d: want 10 kept in Samples", len(res.Latencies), res.Dropped, res.Completed)
	}
}

func TestOpenLoopDetectsCorruptEcho(t *testing.T) {
	checkLeaks(t)
	const size = 32
	srv := startServer(t, corruptEchoServer(50*size+5))
	cfg := OpenLoopConfig{
		Addr: srv.Addr(), Proto: "echo", Size: size, Conns: 1, Rate: 1000,
		Duration: 200 * time.Millisecond, Samples: make([]time.Duration, 1000), Slack: time.Hour,
	}
	res, err := OpenLoop(cfg)
	wantErr(t, err, "open loop echo", "connection 0", "message 50", "byte 5 of 32")
	if res.Errors == 0 || res.Completed != 50 || res.Errors != res.Sent-50 {
		t.Errorf("%+v: want 50 completed, the rest sent counted as errors", res)
	}
}

func TestOpenLoopMissingResponses(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, silentServer)
	cfg := OpenLoopConfig{
		Addr: srv.Addr(), Proto: "http", Conns: 2, Rate: 500,
		Duration: 100 * time.Millisecond, Drain: 100 * time.Millisecond, Slack: time.Hour,
	}
	res, err := OpenLoop(cfg)
	wantErr(t, err, "open loop http", "responses still missing")
	if res.Completed != 0 || res.Sent == 0 || res.Errors != res.Sent || len(res.Latencies) != 0 {
		t.Errorf("%+v: want every request sent and counted as an error", res)
	}
}

func TestOpenLoopConfigErrors(t *testing.T) {
	good := OpenLoopConfig{Addr: "127.0.0.1:1", Proto: "echo", Size: 1, Conns: 1, Rate: 1, Duration: time.Second}
	for _, tc := range []struct {
		name   string
		change func(*OpenLoopConfig)
		want   string
	}{
		{"proto", func(c *OpenLoopConfig) { c.Proto = "gopher" }, `protocol "gopher"`},
		{"size", func(c *OpenLoopConfig) { c.Size = 0 }, "message size 0"},
		{"conns", func(c *OpenLoopConfig) { c.Conns = 0 }, "0 connections"},
		{"rate", func(c *OpenLoopConfig) { c.Rate = 0 }, "rate 0"},
		{"duration", func(c *OpenLoopConfig) { c.Duration = 0 }, "duration 0"},
		{"warmup", func(c *OpenLoopConfig) { c.Warmup = -1 }, "warmup -1ns"},
	} {
		cfg := good
		tc.change(&cfg)
		_, err := OpenLoop(cfg)
		wantErr(t, err, tc.want)
	}
}

// The connections' schedules together are one request every 1/rate, each
// due once, and firstAfter agrees with at.
func TestSchedule(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		conns := 1 + r.IntN(50)
		rate := 1 + r.Float64()*1e6
		warmup := time.Duration(r.Int64N(int64(time.Second)))
		duration := time.Duration(1 + r.Int64N(int64(time.Second)))
		total := 0
		for i := range conns {
			s := newSchedule(i, conns, rate, warmup, duration)
			total += s.count - s.first
			if s.first > 0 && s.at(s.first-1) >= warmup || s.at(s.first) < warmup {
				t.Fatalf("first measured request %d is due at %v, warmup %v", s.first, s.at(s.first), warmup)
			}
			if s.at(s.count) < warmup+duration || s.count > 0 && s.at(s.count-1) >= warmup+duration {
				t.Fatalf("last request %d is due at %v, end %v", s.count-1, s.at(s.count-1), warmup+duration)
			}
			for range 20 {
				at := time.Duration(r.Int64N(int64(2 * time.Second)))
				k := s.firstAfter(at)
				if s.at(k) <= at || k > 0 && s.at(k-1) > at {
					t.Fatalf("firstAfter(%v) = %d, due at %v", at, k, s.at(k))
				}
			}
		}
		if want := rate * duration.Seconds(); float64(total) < want-float64(conns) || float64(total) > want+float64(conns) {
			t.Fatalf("%d connections at %v/s for %v schedule %d requests, want about %v", conns, rate, duration, total, want)
		}
	}
}
