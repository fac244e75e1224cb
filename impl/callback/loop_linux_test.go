package callback

import (
	"errors"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// hang is how long a test waits for something that a correct loop does in
// microseconds; reaching it means a lost wake-up, not a slow machine.
const hang = 30 * time.Second

func newLoop(t testing.TB, cfg Config) *Loop {
	t.Helper()
	l, err := NewLoop(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// onLoop runs fn on l and waits for it. fn gets a T whose Fatal and Skip
// end only fn (the loop goroutine must not call runtime.Goexit) and are
// carried over to the test's goroutine when onLoop returns. Callbacks that
// fn arms must use only Error and Log.
func onLoop(t testing.TB, l *Loop, fn func(t *loopT)) {
	t.Helper()
	lt := &loopT{TB: t}
	if !l.call(func() {
		defer func() {
			if r := recover(); r != nil && r != errStopCallback {
				panic(r)
			}
		}()
		fn(lt)
	}) {
		t.Fatal("loop stopped before running the callback")
	}
	if lt.skipped {
		t.SkipNow()
	}
	if lt.stopped {
		t.FailNow()
	}
}

var errStopCallback = errors.New("test callback stopped")

// loopT is the testing.TB of code running on a loop.
type loopT struct {
	testing.TB
	stopped, skipped bool
}

func (t *loopT) Fatal(args ...any) {
	t.TB.Error(args...)
	t.stopped = true
	panic(errStopCallback)
}

func (t *loopT) Fatalf(format string, args ...any) {
	t.TB.Errorf(format, args...)
	t.stopped = true
	panic(errStopCallback)
}

func (t *loopT) Skipf(format string, args ...any) {
	t.TB.Logf(format, args...)
	t.skipped = true
	panic(errStopCallback)
}

func wait(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(hang):
		t.Fatalf("%s: nothing after %v (lost wake-up?)", what, hang)
	}
}

// TestPostStormExactlyOnceInOrder posts from many goroutines at once; every
// callback must run exactly once, and each producer's in the order posted.
func TestPostStormExactlyOnceInOrder(t *testing.T) {
	l := newLoop(t, Config{Batch: 64})
	const producers, perProducer = 16, 5000
	next := make([]int, producers)              // loop-owned: next sequence expected per producer
	seen := make([]bool, producers*perProducer) // loop-owned
	var errs []error
	done := make(chan struct{})
	ran := 0
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := range perProducer {
				err := l.Post(func() {
					if seq != next[p] {
						errs = append(errs, errors.New("out of order"))
					}
					next[p] = seq + 1
					id := p*perProducer + seq
					if seen[id] {
						errs = append(errs, errors.New("ran twice"))
					}
					seen[id] = true
					if ran++; ran == producers*perProducer {
						close(done)
					}
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	wait(t, done, "storm")
	onLoop(t, l, func(t *loopT) {})
	if len(errs) > 0 {
		t.Fatalf("%d errors, first: %v", len(errs), errs[0])
	}
	for id, ok := range seen {
		if !ok {
			t.Fatalf("callback %d never ran", id)
		}
	}
	writes := l.Stats().EventfdWrites
	if writes > producers*perProducer {
		t.Fatalf("%d eventfd writes for %d posts", writes, producers*perProducer)
	}
	t.Logf("%d posts, %d eventfd writes", producers*perProducer, writes)
}

// TestPostLocalOrder: local posts run in FIFO order across ring growth,
// after the callback that posted them, and interleave with their own
// re-posts in order.
func TestPostLocalOrder(t *testing.T) {
	l := newLoop(t, Config{Batch: 7})
	var got []int
	done := make(chan struct{})
	const n = 1000
	onLoop(t, l, func(t *loopT) {
		check := func() {
			if len(got) == 1+n+n/2 {
				close(done)
			}
		}
		for i := range n {
			l.PostLocal(func() {
				got = append(got, i)
				if i%2 == 0 {
					l.PostLocal(func() { got = append(got, n+i); check() })
				}
				check()
			})
		}
		got = append(got, -1) // runs before any of them
	})
	wait(t, done, "local posts")
	onLoop(t, l, func(t *loopT) {
		if got[0] != -1 {
			t.Errorf("posted callbacks ran inside the posting callback")
		}
		got = got[1:]
		for i := range n {
			if got[i] != i {
				t.Fatalf("position %d ran %d", i, got[i])
			}
		}
		for k, v := range got[n:] {
			if v != n+2*k {
				t.Fatalf("re-post %d ran %d, want %d", k, v, n+2*k)
			}
		}
	})
}

// TestPostsDoNotStarveIO: a callback that re-posts itself forever must not
// keep a ready fd from being served; the batch bound guarantees a poll.
func TestPostsDoNotStarveIO(t *testing.T) {
	l := newLoop(t, Config{})
	p := newPipe(t)
	served := make(chan struct{})
	stop := false
	var spin func()
	spins := 0
	spin = func() {
		spins++
		if !stop {
			l.PostLocal(spin)
		}
	}
	onLoop(t, l, func(t *loopT) {
		l.PostLocal(spin)
		_, err := l.Watch(p.r, Readable, func(Events) {
			if !stop {
				stop = true
				close(served)
			}
		})
		if err != nil {
			t.Error(err)
		}
	})
	if _, err := unix.Write(p.w, []byte{1}); err != nil {
		t.Fatal(err)
	}
	wait(t, served, "readable pipe while callbacks spin")
	onLoop(t, l, func(t *loopT) {
		if spins == 0 {
			t.Error("the spinning callback never ran")
		}
	})
}

// TestRemotePostsWhileBusy: remote posts are taken every turn even while
// a callback that re-posts itself forever keeps the loop busy, so no
// eventfd write is needed to reach them and none may be lost. A loop that
// starved them would never run the posts below: the test then fails after
// hang, and ends the spin so that the loop can be closed.
func TestRemotePostsWhileBusy(t *testing.T) {
	l := newLoop(t, Config{Batch: 16})
	var stop atomic.Bool
	var spin func()
	spin = func() {
		if !stop.Load() {
			l.PostLocal(spin)
		}
	}
	defer stop.Store(true) // before the cleanup closes the loop
	onLoop(t, l, func(t *loopT) { l.PostLocal(spin) })
	const posts = 1000
	ran := make(chan int, 1)
	go func() {
		n := 0
		for n < posts && l.call(func() {}) {
			n++
		}
		ran <- n
	}()
	select {
	case n := <-ran:
		if n != posts {
			t.Fatalf("the loop stopped after %d of %d posts", n, posts)
		}
	case <-time.After(hang):
		t.Fatalf("%d posts from another goroutine did not run within %v while a callback kept re-posting itself: remote posts starved", posts, hang)
	}
}

func TestPostAfterClose(t *testing.T) {
	l, err := NewLoop(Config{})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{})
	l.Post(func() { close(ran) })
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
	default:
		t.Fatal("a callback posted before Close did not run")
	}
	if err := l.Post(func() {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Post after Close = %v, want ErrClosed", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// The final counts: the callback posted before Close and Close's own.
	if n := l.Stats().Callbacks; n < 2 {
		t.Fatalf("Stats after Close counts %d callbacks, want at least 2", n)
	}
}

// TestCloseFromLoopRefused: a blocking method called on the loop's own
// goroutine would deadlock; it returns an error instead.
func TestCloseFromLoopRefused(t *testing.T) {
	l := newLoop(t, Config{})
	var err error
	onLoop(t, l, func(t *loopT) { err = l.Close() })
	if err == nil {
		t.Fatal("Close from the loop goroutine returned nil")
	}
}

// TestLoopsLeakNothing starts and closes loops and checks that goroutines
// and fds come back to where they were.
func TestLoopsLeakNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	fdsBefore := countFDs(t)
	for range 20 {
		l, err := NewLoop(Config{})
		if err != nil {
			t.Fatal(err)
		}
		l.Post(func() { l.AfterFunc(time.Hour, func() {}) })
		l.Close()
	}
	checkNoLeaks(t, before, fdsBefore)
}

func countFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// checkNoLeaks waits briefly for exiting goroutines and closed client
// sockets to settle, then compares counts.
func checkNoLeaks(t testing.TB, goroutines, fds int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		g, f := runtime.NumGoroutine(), countFDs(t)
		if g <= goroutines && f <= fds {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("leak: goroutines %d -> %d, fds %d -> %d", goroutines, g, fds, f)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type pipe struct{ r, w int }

func newPipe(t testing.TB) pipe {
	t.Helper()
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	p := pipe{fds[0], fds[1]}
	t.Cleanup(func() { unix.Close(p.r); unix.Close(p.w) })
	return p
}
