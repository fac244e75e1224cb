package netpark

import (
	"encoding/binary"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// eventfd returns a non-blocking eventfd, closed when the test ends.
func eventfd(t *testing.T) int {
	t.Helper()
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func signal(t *testing.T, fd int) {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	if _, err := unix.Write(fd, one[:]); err != nil {
		t.Error(err)
	}
}

// drain is a loop's non-blocking look: it consumes the eventfd and reports
// whether there was anything.
func drain(fd int) bool {
	var buf [8]byte
	n, _ := unix.Read(fd, buf[:])
	return n == 8
}

func newParker(t *testing.T, fd int) *Parker {
	t.Helper()
	p, err := New(fd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestWaitWakesOnReadable(t *testing.T) {
	fd := eventfd(t)
	p := newParker(t, fd)
	go func() {
		time.Sleep(5 * time.Millisecond)
		signal(t, fd)
	}()
	looks := 0
	if err := p.Wait(-1, func() bool { looks++; return drain(fd) }); err != nil {
		t.Fatal(err)
	}
	if looks < 2 {
		t.Errorf("look called %d times, want a look before parking and one after the wake", looks)
	}
}

func TestWaitReturnsAtTimeout(t *testing.T) {
	fd := eventfd(t)
	p := newParker(t, fd)
	start := time.Now()
	if err := p.Wait(20*time.Millisecond, func() bool { return drain(fd) }); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 20*time.Millisecond {
		t.Errorf("returned after %v, before its timeout", waited)
	}
	// A later wait without a timeout must not inherit the old deadline.
	go func() {
		time.Sleep(40 * time.Millisecond)
		signal(t, fd)
	}()
	found := false
	if err := p.Wait(-1, func() bool { found = drain(fd); return found }); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Error("an untimed wait returned without the event (a stale deadline?)")
	}
}

// TestNoLostWakeUp plays a loop and a poster many times over, the post
// landing at every point of the loop's look-then-park sequence. A
// readiness notification lost between the look and the park would leave
// the loop parked forever.
func TestNoLostWakeUp(t *testing.T) {
	fd := eventfd(t)
	p := newParker(t, fd)
	const rounds = 20000
	ack := make(chan struct{})
	go func() {
		for range rounds {
			signal(t, fd)
			<-ack
		}
	}()
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread() // as a loop thread is
		defer runtime.UnlockOSThread()
		defer close(done)
		for range rounds {
			if err := p.Wait(-1, func() bool { return drain(fd) }); err != nil {
				t.Error(err)
				return
			}
			ack <- struct{}{}
		}
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the loop stayed parked with an event pending: a lost wake-up")
	}
}

// TestCloseReleasesItsDescriptor: the Parker owns a duplicate; the
// original stays the caller's and stays open.
func TestCloseReleasesItsDescriptor(t *testing.T) {
	fd := eventfd(t)
	before := openFDs(t)
	p, err := New(fd)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if after := openFDs(t); after != before {
		t.Errorf("%d fds open after Close, %d before New", after, before)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
		t.Errorf("the caller's fd was closed: %v", err)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// TestWaitAllocatesNothing: a loop parks on every idle turn, so a wait
// must not cost a heap allocation.
func TestWaitAllocatesNothing(t *testing.T) {
	fd := eventfd(t)
	p := newParker(t, fd)
	look := func() bool { return true }
	if n := testing.AllocsPerRun(100, func() { p.Wait(-1, look) }); n != 0 {
		t.Errorf("Wait allocates %v times per call", n)
	}
}
