package thread

import "sync/atomic"

// A Sema is a counting semaphore on one futex word: the primitive a
// thread-per-task program wakes one thread with. Post adds a permit and
// wakes a sleeper if there may be one; Wait takes a permit, blocking its
// thread in FUTEX_WAIT while there is none. There is no spinning: a
// thread that finds no permit goes to sleep in the kernel at once, and a
// Post to a sleeping thread is a FUTEX_WAKE that the kernel's scheduler
// turns into a context switch.
//
// The zero value is a semaphore with no permits. A Sema must not be copied
// after first use.
type Sema struct {
	// Counters, if not nil, receives the futex calls made.
	Counters *Counters

	permits uint32 // the futex word: permits not yet taken
	waiters uint32 // threads in, or on their way into, FUTEX_WAIT on permits
}

// Post adds one permit and wakes one waiting thread, if any may be
// waiting. It never blocks.
//
// No wake is lost: a waiter announces itself (waiters+1) before it sleeps
// and sleeps only while permits is still 0; Post adds the permit before it
// reads waiters. With Go's sequentially consistent atomics either Post sees
// the waiter and wakes it, or the waiter's FUTEX_WAIT sees the permit and
// returns at once.
func (s *Sema) Post() {
	atomic.AddUint32(&s.permits, 1)
	if atomic.LoadUint32(&s.waiters) != 0 {
		futexWake(&s.permits, 1, s.Counters)
	}
}

// Wait takes one permit, blocking the calling thread in the kernel until
// there is one.
func (s *Sema) Wait() {
	for {
		if n := atomic.LoadUint32(&s.permits); n > 0 {
			if atomic.CompareAndSwapUint32(&s.permits, n, n-1) {
				return
			}
			continue
		}
		atomic.AddUint32(&s.waiters, 1)
		futexWait(&s.permits, 0, s.Counters)
		atomic.AddUint32(&s.waiters, ^uint32(0))
	}
}
