package thread

import "sync/atomic"

// A Broadcast is an event many threads wait on at once: a generation
// number in one futex word. Waiters block in FUTEX_WAIT until the
// generation moves past the one they saw; Fire moves it and wakes them all
// with one FUTEX_WAKE. It is the thread-per-task form of a condition
// variable's broadcast.
//
// The zero value is ready at generation 0. A Broadcast must not be copied
// after first use.
type Broadcast struct {
	// Counters, if not nil, receives the futex calls made.
	Counters *Counters

	gen     uint32 // the futex word: events fired so far, modulo 2^32
	waiters uint32 // threads in, or on their way into, FUTEX_WAIT on gen
}

// Generation returns the number of events fired so far, modulo 2^32.
func (b *Broadcast) Generation() uint32 { return atomic.LoadUint32(&b.gen) }

// Fire starts the next generation and wakes every thread waiting for it.
// It never blocks. (The argument that no wake is lost is Sema.Post's.)
func (b *Broadcast) Fire() {
	atomic.AddUint32(&b.gen, 1)
	if atomic.LoadUint32(&b.waiters) != 0 {
		futexWake(&b.gen, wakeAll, b.Counters)
	}
}

// Wait blocks the calling thread until the generation differs from seen
// and returns the new one. A waiter that sleeps through 2^32 events would
// miss them; nothing here fires that often.
func (b *Broadcast) Wait(seen uint32) uint32 {
	for {
		if g := atomic.LoadUint32(&b.gen); g != seen {
			return g
		}
		atomic.AddUint32(&b.waiters, 1)
		futexWait(&b.gen, seen, b.Counters)
		atomic.AddUint32(&b.waiters, ^uint32(0))
	}
}
