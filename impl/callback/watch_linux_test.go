package callback

import (
	"testing"

	"golang.org/x/sys/unix"

	"iostrat/internal/epoll"
)

// TestStaleEventDropped replays an event collected for a pipe that was
// then closed and whose fd number was reused by a new watch: the event
// carries the old generation and must reach neither callback.
func TestStaleEventDropped(t *testing.T) {
	l := newLoop(t, Config{})
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	oldCalls, newCalls := 0, 0
	var stale epoll.Event
	var reused [2]int
	onLoop(t, l, func(t *loopT) {
		w, err := l.Watch(fds[0], Readable, func(Events) { oldCalls++ })
		if err != nil {
			t.Fatal(err)
		}
		data := eventData(w.fd, w.gen)
		stale = epoll.Event{Events: epoll.In, Fd: int32(uint32(data)), Pad: int32(uint32(data >> 32))}
		// Close and reuse the number, as a callback earlier in the same
		// batch might.
		w.Unwatch()
		unix.Close(fds[0])
		unix.Close(fds[1])
		if err := unix.Pipe2(reused[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		if reused[0] != fds[0] {
			t.Skipf("the kernel gave fd %d, not the freed %d", reused[0], fds[0])
		}
		if _, err := l.Watch(reused[0], Readable, func(Events) { newCalls++ }); err != nil {
			t.Fatal(err)
		}
		before := l.count.SpuriousWakes
		l.dispatch(&stale)
		if l.count.SpuriousWakes != before+1 {
			t.Error("stale event not counted as spurious")
		}
	})
	defer unix.Close(reused[1])
	defer unix.Close(reused[0])
	onLoop(t, l, func(t *loopT) {
		if oldCalls != 0 || newCalls != 0 {
			t.Fatalf("stale event delivered: old callback %d calls, new callback %d", oldCalls, newCalls)
		}
		if w := (Watch{loop: l, fd: fds[0], gen: 1}); w.Modify(Readable) != ErrStale {
			t.Fatal("Modify through a stale Watch did not fail")
		}
	})
}

// TestStaleEventInOneBatch makes the replacement happen for real: two
// pipes are readable in the same epoll_wait; whichever callback runs first
// closes the other pipe and reuses its fd number with a new, idle watch.
// The second event of the batch is stale and must be dropped.
func TestStaleEventInOneBatch(t *testing.T) {
	l := newLoop(t, Config{})
	var a, b [2]int
	for _, p := range []*[2]int{&a, &b} {
		if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		unix.Write(p[1], []byte{1})
	}
	open := map[int]int{a[0]: a[1], b[0]: b[1]} // read end -> write end
	defer func() {
		for r, w := range open {
			unix.Close(r)
			unix.Close(w)
		}
	}()
	calls := map[int]int{} // read fd -> callback runs (loop-owned)
	replacedCalls := 0
	watches := map[int]Watch{}
	swapped := false
	onLoop(t, l, func(t *loopT) {
		for _, r := range []int{a[0], b[0]} {
			w, err := l.Watch(r, Readable, func(Events) {
				calls[r]++
				if swapped {
					return
				}
				swapped = true
				other := a[0] + b[0] - r
				watches[other].Unwatch()
				unix.Close(other)
				unix.Close(open[other])
				delete(open, other)
				var p [2]int
				if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
					t.Error(err)
					return
				}
				open[p[0]] = p[1]
				if p[0] != other {
					t.Logf("fd %d not reused (got %d); the check still holds", other, p[0])
				}
				if _, err := l.Watch(p[0], Readable, func(Events) { replacedCalls++ }); err != nil {
					t.Error(err)
				}
				// Drain our own pipe so level-triggering stops reporting it.
				unix.Read(r, make([]byte, 8))
			})
			if err != nil {
				t.Fatal(err)
			}
			watches[r] = w
		}
	})
	// Let a few more turns pass.
	for range 3 {
		onLoop(t, l, func(t *loopT) {})
	}
	onLoop(t, l, func(t *loopT) {
		if !swapped {
			t.Fatal("no callback ran")
		}
		total := calls[a[0]] + calls[b[0]]
		if total != 1 || replacedCalls != 0 {
			t.Fatalf("callbacks after the swap: %v, replacement %d; want exactly one call in all", calls, replacedCalls)
		}
		for r := range open {
			if w, ok := watches[r]; ok {
				w.Unwatch()
			}
		}
	})
}

// TestWatchLevelAndEdge: level-triggered reports a readable pipe every
// turn until drained; edge-triggered once per write.
func TestWatchLevelAndEdge(t *testing.T) {
	l := newLoop(t, Config{})
	lt, et := newPipe(t), newPipe(t)
	ltCalls, etCalls, n := 0, 0, 0
	var wl, we Watch
	onLoop(t, l, func(t *loopT) {
		var err error
		if wl, err = l.Watch(lt.r, Readable, func(Events) { ltCalls++ }); err != nil {
			t.Fatal(err)
		}
		if we, err = l.Watch(et.r, Readable|EdgeTriggered, func(Events) { etCalls++ }); err != nil {
			t.Fatal(err)
		}
	})
	unix.Write(lt.w, []byte{1})
	unix.Write(et.w, []byte{1})
	for range 5 {
		onLoop(t, l, func(t *loopT) {})
	}
	onLoop(t, l, func(t *loopT) {
		if ltCalls < 2 {
			t.Errorf("level-triggered undrained pipe reported %d times, want every turn", ltCalls)
		}
		if etCalls != 1 {
			t.Errorf("edge-triggered pipe reported %d times for one write, want 1", etCalls)
		}
		wl.Unwatch()
		we.Unwatch()
		n = ltCalls
		if err := wl.Unwatch(); err != ErrStale {
			t.Errorf("second Unwatch = %v, want ErrStale", err)
		}
	})
	unix.Write(lt.w, []byte{1})
	for range 3 {
		onLoop(t, l, func(t *loopT) {})
	}
	onLoop(t, l, func(t *loopT) {
		if ltCalls != n {
			t.Errorf("callback ran after Unwatch")
		}
	})
}

// TestLoopSleepsAfterLastUnwatch: the non-blocking poll that follows I/O
// must not keep an idle loop spinning once its last watch is gone.
func TestLoopSleepsAfterLastUnwatch(t *testing.T) {
	l := newLoop(t, Config{})
	p := newPipe(t)
	fired := make(chan struct{})
	onLoop(t, l, func(t *loopT) {
		var w Watch
		var err error
		w, err = l.Watch(p.r, Readable, func(Events) {
			w.Unwatch()
			close(fired)
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	unix.Write(p.w, []byte{1})
	wait(t, fired, "watch")
	waitFor(t, "the idle loop to go to sleep", l.sleeping.Load)
}
