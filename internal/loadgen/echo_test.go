package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func dialEcho(t *testing.T, addr string, conns, size int) *Echo {
	t.Helper()
	e, err := DialEcho(addr, conns, size)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// wantErr fails t unless err is an error whose text holds every one of
// parts.
func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", parts)
	}
	t.Logf("error as expected: %v", err)
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

func TestEchoRoundTrips(t *testing.T) {
	checkLeaks(t)
	for _, size := range []int{1, 64, 4 << 10, inlineWriteMax, inlineWriteMax + 1, 1 << 20} {
		for _, conns := range []int{1, 4} {
			t.Run(fmt.Sprintf("size=%d/conns=%d", size, conns), func(t *testing.T) {
				var echoed atomic.Int64
				srv := startServer(t, echoServer(&echoed))
				e := dialEcho(t, srv.Addr(), conns, size)
				rounds := max(1, min(300, (8<<20)/size/conns))
				// Twice: the drivers and the payload rotation carry over.
				for run := range 2 {
					if err := e.Run(rounds); err != nil {
						t.Fatalf("run %d: %v", run, err)
					}
				}
				if want := int64(2 * rounds * conns * size); echoed.Load() != want {
					t.Errorf("server echoed %d bytes, want %d", echoed.Load(), want)
				}
				if err := e.Run(0); err != nil {
					t.Errorf("Run(0): %v", err)
				}
			})
		}
	}
}

func TestEchoPayloadChangesEveryRound(t *testing.T) {
	p := newPayload(64, echoShifts, 1)
	for k := range uint64(echoShifts - 1) {
		if string(p.message(k)) == string(p.message(k+1)) {
			t.Fatalf("messages %d and %d are the same", k, k+1)
		}
	}
	if string(newPayload(64, echoShifts, 1).message(0)) == string(newPayload(64, echoShifts, 2).message(0)) {
		t.Error("two connections send the same payload")
	}
}

func TestEchoDetectsCorruptByte(t *testing.T) {
	checkLeaks(t)
	const size = 64
	srv := startServer(t, corruptEchoServer(3*size+17))
	e := dialEcho(t, srv.Addr(), 1, size)
	err := e.Run(10)
	wantErr(t, err, "echo", "connection 0", "round 3", "byte 17 of 64")
	// The client is broken now and says why.
	wantErr(t, e.Run(1), "unusable", "round 3")
}

func TestEchoDetectsStaleEcho(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, staleEchoServer(100))
	e := dialEcho(t, srv.Addr(), 1, 100)
	wantErr(t, e.Run(5), "connection 0", "round 1", "wrong echo")
}

func TestEchoServerCloses(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, closingServer(64*2+10))
	e := dialEcho(t, srv.Addr(), 1, 64)
	wantErr(t, e.Run(5), "connection 0", "round 2")
}

func TestEchoLargeMessageWriteFails(t *testing.T) {
	checkLeaks(t)
	// The server closes mid-message; the helper writer's error or the
	// read's must end the run, not hang it.
	srv := startServer(t, closingServer(100<<10))
	e := dialEcho(t, srv.Addr(), 1, 4<<20)
	e.StallTimeout = 5 * time.Second
	wantErr(t, e.Run(3), "connection 0", "round 0")
}

func TestEchoStallFailsTheRun(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, silentServer)
	e := dialEcho(t, srv.Addr(), 2, 64)
	e.StallTimeout = 200 * time.Millisecond
	wantErr(t, e.Run(10), "no round trip completed", srv.Addr())
}

func TestEchoRunFor(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, echoServer(nil))
	e := dialEcho(t, srv.Addr(), 2, 128)
	var reports []Progress
	res, err := e.RunFor(context.Background(), 2500*time.Millisecond, func(p Progress) { reports = append(reports, p) })
	if err != nil {
		t.Fatal(err)
	}
	if res.RoundTrips == 0 || res.Bytes != int64(res.RoundTrips)*128 || res.Elapsed <= 0 {
		t.Errorf("result %+v", res)
	}
	if len(reports) == 0 {
		t.Fatal("no progress reported in 2.5s")
	}
	var last uint64
	for _, p := range reports {
		if p.Requests < last || p.Requests > res.RoundTrips || p.Rate < 0 {
			t.Errorf("progress %+v after %d, total %d", p, last, res.RoundTrips)
		}
		last = p.Requests
	}
	// The drivers are reusable after a timed run.
	if err := e.Run(10); err != nil {
		t.Fatal(err)
	}
}

func TestEchoRunForContext(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, echoServer(nil))
	e := dialEcho(t, srv.Addr(), 2, 64)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	res, err := e.RunFor(ctx, time.Hour, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("RunFor ended by its context: error %v, want context.DeadlineExceeded", err)
	}
	if res.RoundTrips == 0 {
		t.Errorf("result %+v", res)
	}
}

func TestEchoClose(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, echoServer(nil))
	e := dialEcho(t, srv.Addr(), 3, 64)
	done := make(chan error)
	go func() {
		_, err := e.RunFor(context.Background(), time.Hour, nil)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Error("a run aborted by Close returned no error")
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := e.Run(1); !errors.Is(err, errClosed) {
		t.Errorf("Run after Close: %v, want errClosed", err)
	}
}

func TestDialErrorsNameTheAddress(t *testing.T) {
	checkLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	_, err = DialEcho(addr, 2, 64)
	wantErr(t, err, "echo", addr, "connection 0")
	_, err = DialHTTP(addr, 1, 1)
	wantErr(t, err, "http", addr)
	_, err = DialPump(addr, 1, 10)
	wantErr(t, err, "pump", addr)
	_, err = HoldIdle(addr, 3)
	wantErr(t, err, "idle", addr)
	_, err = OpenLoop(OpenLoopConfig{Addr: addr, Proto: "http", Conns: 1, Rate: 1, Duration: time.Second})
	wantErr(t, err, "open loop", addr)
	wantErr(t, Churn(addr, "echo", 1), "churn", addr)
}

func TestEchoAllocations(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, echoServer(nil))
	for _, size := range []int{64, 64 << 10} {
		e := dialEcho(t, srv.Addr(), 2, size)
		const rounds = 100
		allocs := testing.AllocsPerRun(5, func() {
			if err := e.Run(rounds); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 0 {
			t.Errorf("size %d: %v allocations per Run(%d), want 0", size, allocs, rounds)
		}
	}
}

func TestArgumentErrors(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, echoServer(nil))
	addr := srv.Addr()
	_, err := DialEcho(addr, 1, 0)
	wantErr(t, err, "message size 0")
	_, err = DialEcho(addr, 0, 64)
	wantErr(t, err, "0 connections")
	_, err = DialHTTP(addr, 1, 0)
	wantErr(t, err, "pipeline 0")
	_, err = DialPump(addr, 1, 1<<30)
	wantErr(t, err, "frame size 1073741824")
	_, err = HoldIdle(addr, -1)
	wantErr(t, err, "-1 connections")
	wantErr(t, Churn(addr, "echo", -1), "-1 connections")
	e := dialEcho(t, addr, 1, 64)
	wantErr(t, e.Run(-1), "-1 rounds")
}
