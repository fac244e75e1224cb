package thread

import "sync/atomic"

// Counters counts work done in the thread-per-task style. The zero value
// is ready to use; every field is safe for concurrent use and costs one
// atomic add to update. Groups, Servers and the code around them may
// count into one Counters.
type Counters struct {
	// Threads is the number of OS threads started for tasks: one per
	// [Group.Go], one per connection a Server serves and one for its
	// accept loop. Each ends with its task.
	Threads atomic.Uint64
	// Wakes is the number of wake-ups delivered to waiting threads, counted
	// by the code that delivers or receives them (a Sema post its partner
	// waited for, a broadcast a waiter saw). The primitives do not count
	// them: whether a post is a wake depends on the protocol built on it.
	Wakes atomic.Uint64
	// FutexWaits is the number of FUTEX_WAIT calls made: every time a
	// thread blocked in the kernel (or tried to, and found the word
	// already changed), timers' timed waits included.
	FutexWaits atomic.Uint64
	// FutexWakes is the number of FUTEX_WAKE calls made. A primitive makes
	// one only when a thread may be asleep on the word.
	FutexWakes atomic.Uint64
	// Yields is the number of sched_yield calls made by [Yield].
	Yields atomic.Uint64
	// Reads, Writes and Accepts count a Server's read, send and accept4
	// calls.
	Reads, Writes, Accepts atomic.Uint64
}
