package callback

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"iostrat/internal/timerheap"
)

var parkModes = []Park{ParkNetpoll, ParkThread}

// TestParkedLoopWakes: a loop parked in either mode wakes for each thing
// it waits for — a Post from another goroutine (the eventfd), a ready fd,
// and its next timer. Some rounds wait for the loop to be parked, the
// others race the post with the loop going to sleep; a lost wake-up hangs.
func TestParkedLoopWakes(t *testing.T) {
	for _, park := range parkModes {
		t.Run("park="+park.String(), func(t *testing.T) {
			t.Run("post", func(t *testing.T) {
				l := newLoop(t, Config{Park: park})
				if (l.parker != nil) != (park == ParkNetpoll) {
					t.Fatalf("Config.Park %v: parker %v", park, l.parker)
				}
				done := make(chan struct{}, 1)
				signal := func() { done <- struct{}{} }
				for i := range 2000 {
					if i%200 == 0 {
						waitFor(t, "the loop to park", l.sleeping.Load)
					}
					if err := l.Post(signal); err != nil {
						t.Fatal(err)
					}
					wait(t, done, "a post to a parked loop")
				}
				if l.Stats().EventfdWrites == 0 {
					t.Error("no post found the loop parked: no eventfd write")
				}
			})
			t.Run("fd", func(t *testing.T) {
				l := newLoop(t, Config{Park: park})
				p := newPipe(t)
				readable := make(chan struct{}, 1)
				var w Watch
				onLoop(t, l, func(t *loopT) {
					var err error
					w, err = l.Watch(p.r, Readable, func(Events) {
						var b [8]byte
						unix.Read(p.r, b[:])
						readable <- struct{}{}
					})
					if err != nil {
						t.Fatal(err)
					}
				})
				for i := range 200 {
					if i%20 == 0 {
						waitFor(t, "the loop to park", l.sleeping.Load)
					}
					if _, err := unix.Write(p.w, []byte{1}); err != nil {
						t.Fatal(err)
					}
					wait(t, readable, "a readable pipe on a parked loop")
				}
				onLoop(t, l, func(t *loopT) { w.Unwatch() })
			})
			t.Run("timer", func(t *testing.T) {
				l := newLoop(t, Config{Park: park})
				fired := make(chan struct{}, 1)
				for range 5 {
					onLoop(t, l, func(t *loopT) {
						l.UpdateNow()
						due := l.now + int64(2*time.Millisecond)
						l.AfterFunc(2*time.Millisecond, func() {
							if early := due - timerheap.Now(); early > 0 {
								t.Errorf("timer ran %dns before its deadline", early)
							}
							fired <- struct{}{}
						})
					})
					wait(t, fired, "a timer on a parked loop")
				}
				if l.Stats().Parks == 0 {
					t.Error("the loop never parked waiting for its timers")
				}
			})
		})
	}
}

// TestCloseParkedLoopLeaksNothing closes loops parked in each mode — one
// waiting with no deadline, one for a timer, so the netpoller wait has a
// deadline set — and checks that every fd (the netpoller's duplicate of
// the epoll fd included) and goroutine is gone.
func TestCloseParkedLoopLeaksNothing(t *testing.T) {
	for _, park := range parkModes {
		t.Run("park="+park.String(), func(t *testing.T) {
			// The Go netpoller makes its own epoll fd on first use and
			// keeps it: let that happen before counting.
			warm, err := NewLoop(Config{})
			if err != nil {
				t.Fatal(err)
			}
			warm.Close()
			goroutines, fds := runtime.NumGoroutine(), countFDs(t)
			for i := range 10 {
				l, err := NewLoop(Config{Park: park})
				if err != nil {
					t.Fatal(err)
				}
				if i%2 == 1 {
					onLoop(t, l, func(*loopT) { l.AfterFunc(time.Hour, func() {}) })
				}
				waitFor(t, "the loop to park", l.sleeping.Load)
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
			}
			checkNoLeaks(t, goroutines, fds)
		})
	}
}
