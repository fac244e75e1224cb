package thread

import (
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// A Latch counts down outstanding work and lets threads wait for zero:
// the join of a thread-per-task program (a sync.WaitGroup whose Wait
// blocks its thread in the kernel instead of parking a goroutine). Only
// the Done that reaches zero wakes the waiters, with one FUTEX_WAKE.
//
// The zero value is a latch at zero. A Latch must not be copied after
// first use.
type Latch struct {
	// Counters, if not nil, receives the futex calls made.
	Counters *Counters

	count   uint32 // the futex word: work outstanding
	waiters uint32 // threads in, or on their way into, FUTEX_WAIT on count
}

// Add adds n (which may be negative) to the count. Reaching zero wakes
// the waiters; going below zero panics.
func (l *Latch) Add(n int) { l.add(n, l.Counters) }

func (l *Latch) add(n int, counters *Counters) {
	c := atomic.AddUint32(&l.count, uint32(n))
	if int32(c) < 0 {
		panic("thread: negative Latch count")
	}
	if c == 0 && atomic.LoadUint32(&l.waiters) != 0 {
		futexWake(&l.count, wakeAll, counters)
	}
}

// Done subtracts one from the count.
func (l *Latch) Done() { l.Add(-1) }

// Wait blocks the calling thread until the count is zero. A waiter
// sleeps with the count it saw; a Done that does not reach zero changes
// the word without waking it, so it re-checks only when woken or when its
// FUTEX_WAIT finds the count already moved.
func (l *Latch) Wait() { l.wait(l.Counters) }

func (l *Latch) wait(counters *Counters) {
	for {
		c := atomic.LoadUint32(&l.count)
		if c == 0 {
			return
		}
		atomic.AddUint32(&l.waiters, 1)
		futexWait(&l.count, c, counters)
		atomic.AddUint32(&l.waiters, ^uint32(0))
	}
}

// WaitFor is Wait bounded by d: it reports whether the count reached zero
// before d passed.
func (l *Latch) WaitFor(d time.Duration) bool { return l.waitFor(d, l.Counters) }

func (l *Latch) waitFor(d time.Duration, counters *Counters) bool {
	deadline := monotonicNow() + d
	ts := new(unix.Timespec)
	*ts = unix.NsecToTimespec(int64(deadline))
	for {
		c := atomic.LoadUint32(&l.count)
		if c == 0 {
			return true
		}
		if monotonicNow() >= deadline {
			return false
		}
		atomic.AddUint32(&l.waiters, 1)
		futexWaitUntil(&l.count, c, ts, counters)
		atomic.AddUint32(&l.waiters, ^uint32(0))
	}
}
