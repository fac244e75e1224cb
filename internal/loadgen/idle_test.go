package loadgen

import (
	"syscall"
	"testing"
	"time"
)

func TestHoldIdle(t *testing.T) {
	checkLeaks(t)
	n := 10_000
	if raceEnabled {
		n = 2_000 // the race detector allows 8128 live goroutines; the test server has one per connection
	}
	if testing.Short() {
		n = 500
	}
	// Client and server share this process: two descriptors a connection.
	if err := RaiseFDLimit(2*n + 256); err != nil {
		t.Skipf("cannot open %d connections in one process: %v", n, err)
	}
	srv := startServer(t, echoServer(nil))
	idle, err := HoldIdle(srv.Addr(), n)
	if err != nil {
		t.Fatal(err)
	}
	if idle.Len() != n {
		t.Errorf("Len() = %d, want %d", idle.Len(), n)
	}
	// Every connection made its round trip, so the server has them all.
	if got := srv.accepted.Load(); got != int64(n) {
		t.Errorf("server accepted %d connections, want %d", got, n)
	}
	if got := srv.open.Load(); got != int64(n) {
		t.Errorf("server holds %d connections, want %d", got, n)
	}
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// The server sees every connection end. Waiting is bounded only so a
	// failure does not hang the test.
	for deadline := time.Now().Add(20 * time.Second); srv.open.Load() > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("server still holds %d connections after Close", srv.open.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestHoldIdleZero(t *testing.T) {
	checkLeaks(t)
	idle, err := HoldIdle("127.0.0.1:1", 0)
	if err != nil || idle.Len() != 0 {
		t.Fatalf("HoldIdle of 0: %v, %v", idle, err)
	}
	idle.Close()
}

func TestHoldIdleVerifiesTheEcho(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, corruptEchoServer(0))
	_, err := HoldIdle(srv.Addr(), 100)
	wantErr(t, err, "idle", srv.Addr(), "want")
	// HoldIdle closed what it had opened.
	for deadline := time.Now().Add(20 * time.Second); srv.open.Load() > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("server still holds %d connections after a failed HoldIdle", srv.open.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRaiseFDLimit(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if err := RaiseFDLimit(int(lim.Cur)); err != nil {
		t.Errorf("RaiseFDLimit(current %d): %v", lim.Cur, err)
	}
	// No kernel allows this many: the error says what the limit is.
	wantErr(t, RaiseFDLimit(1<<40), "need 1099511627776 file descriptors", "got soft limit")
	var after syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &after); err != nil {
		t.Fatal(err)
	}
	if after.Cur < lim.Cur || after.Max < lim.Max {
		t.Errorf("limits lowered from %+v to %+v", lim, after)
	}
}
