package thread

import (
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// A Timer is a thread that sleeps until a deadline and then runs a
// function, unless it is stopped first: the thread-per-task timer, with
// no timer heap or wheel anywhere but the kernel's own (hrtimers).
//
// The thread sleeps in FUTEX_WAIT_BITSET on the timer's state word with
// the absolute CLOCK_MONOTONIC deadline, not in clock_nanosleep: a thread
// in clock_nanosleep can only be woken early by a signal, and the Go
// runtime owns the process's signals, while a futex wait is woken by Stop
// with one FUTEX_WAKE. Either way the kernel arms one hrtimer per sleeping
// thread.
//
// The state word:
//
//	timerArmed   -> timerFired    the deadline passed first: fn runs
//	timerArmed   -> timerStopped  Stop won: the thread wakes and ends
//
// Each transition is a compare-and-swap, so exactly one side wins.
type Timer struct {
	state    uint32        // the futex word: one of the states below
	deadline unix.Timespec // absolute CLOCK_MONOTONIC; read by the kernel
	counters *Counters
}

const (
	timerArmed   = iota // the thread sleeps, or is about to
	timerFired          // the deadline passed; fn has run or is running
	timerStopped        // Stop won; fn never runs
)

// AfterFunc starts a task that runs fn at d from now, passing how late it
// runs (the time since the deadline, on CLOCK_MONOTONIC, never negative).
// The deadline is read from the clock in this call. The task is part of
// the group: Wait waits for it to fire or be stopped.
func (g *Group) AfterFunc(d time.Duration, fn func(late time.Duration)) (*Timer, error) {
	t := &Timer{counters: g.Counters}
	deadline := monotonicNow() + max(d, 0)
	t.deadline = unix.NsecToTimespec(int64(deadline))
	if err := g.Go(func() { t.sleep(deadline, fn) }); err != nil {
		return nil, err
	}
	return t, nil
}

// sleep is the timer thread: it sleeps until the deadline or a Stop.
func (t *Timer) sleep(deadline time.Duration, fn func(late time.Duration)) {
	for atomic.LoadUint32(&t.state) == timerArmed {
		if !futexWaitUntil(&t.state, timerArmed, &t.deadline, t.counters) {
			continue // stopped, or a spurious or interrupted wait
		}
		if atomic.CompareAndSwapUint32(&t.state, timerArmed, timerFired) {
			fn(monotonicNow() - deadline)
		}
		return
	}
}

// Stop stops the timer and reports whether it did: false means it had
// already fired. A stopped timer's thread is woken and ends.
func (t *Timer) Stop() bool {
	if !atomic.CompareAndSwapUint32(&t.state, timerArmed, timerStopped) {
		return false
	}
	futexWake(&t.state, 1, t.counters)
	return true
}

// monotonicNow reads CLOCK_MONOTONIC, the clock futex deadlines are on.
// It is the clock Go's own monotonic readings come from on Linux.
func monotonicNow() time.Duration {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return time.Duration(ts.Nano())
}
