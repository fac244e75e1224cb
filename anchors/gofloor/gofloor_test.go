package gofloor

import (
	"runtime"
	"testing"
	"time"
)

func TestResults(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, n := range []int{1, 1000} {
		if got, want := Spawn(n), uint64(n)*uint64(n+1)/2; got != want {
			t.Errorf("Spawn(%d) = %d, want %d", n, got, want)
		}
		if got := Chain(n); got != n {
			t.Errorf("Chain(%d) = %d", n, got)
		}
		if got := Yield(7, n); got != uint64(7*n) {
			t.Errorf("Yield(7, %d) = %d", n, got)
		}
		for _, cross := range []bool{false, true} {
			if got := PingPong(n, cross); got != n {
				t.Errorf("PingPong(%d, cross=%v) = %d", n, cross, got)
			}
		}
	}
	// Every goroutine has returned: none is left behind a call.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after the calls, %d before", n, before)
	}
}
