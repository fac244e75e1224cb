package iostrat

import (
	"fmt"
	"math/bits"
	"net"
	"time"
)

// Dispatcher runs the dispatch workloads: what it costs to start a unit of
// work and run it once.
type Dispatcher interface {
	// Spawn starts n tasks from inside the runtime (from a task, callback or
	// completion handler already running on it) and waits until all have
	// run. Task i, for i in [0, n), adds i+1 to a sum; Spawn returns the
	// sum, which is n*(n+1)/2 when every task ran exactly once.
	// Anchors: tokio spawn_many, Go CreateGoroutines.
	Spawn(n int) (sum uint64, err error)

	// Chain runs a chain of depth tasks inside the runtime where each task
	// starts the next one and then finishes; only the last signals the
	// caller. It returns the number of tasks that ran, which is depth.
	// Anchor: tokio chained_spawn.
	Chain(depth int) (ran int, err error)

	// Inject starts producers OS threads outside the runtime (see
	// [OnThreads]) that together submit n tasks into the runtime through
	// its cross-thread entry point; producer p submits the indices i with
	// i%producers == p, in increasing order. Task i adds i+1 to a sum;
	// Inject returns the sum once every task has run: n*(n+1)/2.
	// Anchors: tokio remote_spawn, libuv async_pummel.
	Inject(producers, n int) (sum uint64, err error)

	// Handoff enters the runtime with one empty unit of work (a task, a
	// callback, a posted completion) and returns once it has run: the
	// call boundary every other workload call pays once, whatever its
	// size — in from the caller's goroutine to a parked runtime, and the
	// runtime's signal back out.
	Handoff() error

	// Yield starts tasks tasks inside the runtime; each gives up the CPU
	// yields times through the model's own yield (rescheduling itself
	// behind other ready work), then finishes. Yield returns the total
	// number of yields that returned, tasks*yields.
	// Anchor: tokio yield_many.
	Yield(tasks, yields int) (total uint64, err error)
}

// PingPongMode selects where the two ping-pong tasks run.
type PingPongMode uint8

const (
	// SameThread: both tasks on one thread (one loop, one executor, one
	// ring); for goroutines, two plain goroutines left to the scheduler.
	SameThread PingPongMode = iota
	// CrossThread: the tasks on two different threads (two loops,
	// executors or rings; for goroutines, each locked to its own OS thread),
	// so every wake crosses threads.
	CrossThread
	// Hog: as SameThread, with a third, CPU-bound task on the same thread
	// that burns [HogChunk] iterations of [Burn] and then yields in the
	// model's own way, until the ping-pong ends.
	Hog
)

// HogChunk is the [Burn] iterations a hog task runs between yields.
const HogChunk = 2000

func (m PingPongMode) String() string {
	switch m {
	case CrossThread:
		return "cross"
	case Hog:
		return "hog"
	}
	return "same"
}

// Wakeups runs the wake workloads: what it costs to wake a waiting task.
type Wakeups interface {
	// PingPong runs two tasks that alternate rounds times through the
	// model's task-to-task wake primitive (a channel, a posted callback, a
	// notify future, a posted completion): A wakes B, B wakes A, and that is
	// one round. It returns the number of completed rounds, which is
	// rounds. Modes are described at [PingPongMode]; an unsupported mode
	// returns an error from [Unsupported].
	// Anchors: tokio ping_pong, Go ChanSync and PingPongHog.
	PingPong(rounds int, mode PingPongMode) (completed int, err error)

	// WakeExternal parks one task inside the runtime, then wakes it rounds
	// times from a plain OS thread outside the runtime (see [OnThreads])
	// through the model's cross-thread wake (channel send, Post, Waker.Wake,
	// posted completion). After each wake the task acknowledges through a
	// [Baton], the same return path for every strategy, and parks again.
	// It returns the number of acknowledged wakes, which is rounds.
	// Anchors: libuv async1, Go netpollBreak.
	WakeExternal(rounds int) (acked int, err error)

	// FanOut starts waiters tasks that wait on one event; for each of rounds
	// rounds a notifier inside the runtime fires the event once and every
	// waiter is woken by it, counts one wake and waits again. The notifier
	// starts the next round only when all waiters have woken. FanOut returns
	// the total wakes counted, waiters*rounds.
	// Anchors: tokio sync_notify, Go Cond benchmarks.
	FanOut(waiters, rounds int) (wakes uint64, err error)
}

// TimerSpec describes a timer workload.
type TimerSpec struct {
	// Count is the number of timers armed, all from inside the runtime.
	Count int
	// Horizon spreads delays: timer i is armed with the delay
	// Horizon*(i+1)/Count (see [TimerSpec.Delay]), and its deadline is the moment it was armed plus
	// that delay — what every timer API promises. (Deadlines are not taken
	// from one start time, so the time spent arming many timers does not
	// count as lateness.)
	Horizon time.Duration
	// CancelEvery, if positive, cancels every timer with
	// i%CancelEvery == 0, once all timers are armed. A cancel that loses
	// the race with its timer firing leaves it fired.
	CancelEvery int
	// OnArm, if not nil, is called inside the runtime, on the thread that
	// arms the timers, immediately before timer i is armed. The
	// conformance suite makes arming slow with it, to check that each
	// deadline is taken from its own arming and not from one clock read
	// for all.
	OnArm func(i int)
	// Lateness, if not nil, must have length Count; the runtime stores each
	// fired timer's lateness (when its function ran minus its deadline) at
	// its index and leaves cancelled entries zero. It is caller-owned so
	// samples are preallocated outside the measurement.
	Lateness []time.Duration
}

// Delay returns timer i's delay, Horizon*(i+1)/Count, computed in 128 bits
// so long horizons over many timers cannot overflow.
func (s TimerSpec) Delay(i int) time.Duration {
	if s.Count <= 0 || s.Horizon <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(s.Horizon), uint64(i+1))
	q, _ := bits.Div64(hi, lo, uint64(s.Count))
	return time.Duration(q)
}

// Validate reports a spec no runtime can run: a negative count or
// horizon, or a Lateness slice of the wrong length. Every runtime checks it
// before arming anything.
func (s TimerSpec) Validate() error {
	switch {
	case s.Count < 0:
		return fmt.Errorf("iostrat: timer count %d < 0", s.Count)
	case s.Horizon < 0:
		return fmt.Errorf("iostrat: timer horizon %v < 0", s.Horizon)
	case s.Lateness != nil && len(s.Lateness) != s.Count:
		return fmt.Errorf("iostrat: %d lateness slots for %d timers", len(s.Lateness), s.Count)
	}
	return nil
}

// TimerResult reports what happened to a timer workload's timers.
// Fired+Cancelled == Count.
type TimerResult struct {
	Fired, Cancelled int
}

// TimerRunner runs the timer workload.
type TimerRunner interface {
	// Timers arms spec.Count timers from inside the runtime with the
	// model's own timer facility, cancels those spec.CancelEvery selects,
	// and returns once every timer has fired or been cancelled. Each timer
	// that fires runs a function in the runtime that records its lateness.
	// Anchors: libuv million_timers, Go timer benchmarks.
	Timers(spec TimerSpec) (TimerResult, error)
}

// Server serves connections with sans-I/O protocol sessions.
type Server interface {
	// Serve takes ownership of ln (a TCP listener), accepts connections on
	// it in the model's own way and runs one [Handler] per connection from
	// p. It returns at once; connections are served until the returned
	// Service or the runtime is closed. Strategies that bypass net.Conn
	// take the listener's socket over; the caller must not use ln again.
	//
	// Every strategy moves bytes with the same rules, so only the model
	// differs:
	//   - output is written at once when nothing is queued; the rest waits
	//     for writability;
	//   - a connection whose queued output exceeds Options.HighWater is not
	//     read until it drains below half (backpressure);
	//   - end of stream from the client (a half-close) means: write what is
	//     queued, then close;
	//   - when the server ends a connection (CloseAfterWrite, service close)
	//     it writes the queued output, shuts down its sending side and reads
	//     and discards input until the client closes or DrainTimeout passes
	//     (a lingering close, as net/http does): closing a socket with
	//     unread input makes the kernel send a reset that can destroy the
	//     response before the client reads it;
	//   - a client that resets or vanishes mid-response ends its connection
	//     quietly; the service keeps serving the others.
	Serve(ln net.Listener, p Protocol) (Service, error)
}

// A Service is a listener being served.
type Service interface {
	// Addr is the address being served.
	Addr() net.Addr
	// Conns is the number of connections currently open.
	Conns() int
	// Close stops accepting, stops reading, writes out the responses already
	// produced (for at most [DrainTimeout]), closes every connection and
	// returns when the service holds no goroutine, thread or fd. It is
	// idempotent.
	Close() error
}

// DrainTimeout bounds how long [Service.Close] waits for produced output to
// reach a client that does not read.
const DrainTimeout = time.Second
