// Package futures is the poll-based futures strategy of iostrat: Rust's
// std::task model — Future, Poll, Context, Waker built from a RawWaker and
// a hand-made RawWakerVTable — written in Go, with a current-thread
// executor, an epoll reactor, leaf futures (Accept, Read, Write, Sleep,
// Yield, Notify, Broadcast), combinators (Map, Then, Join, JoinAll,
// Select) and a socket Server running a Handler per connection. It is a
// small library in its own right, usable without the rest of iostrat (the
// package examples use it alone); a few strategy*.go files adapt it to the iostrat.Runtime contract, and the iostrattest
// suite checks that adapter.
//
// # Files
//
// The library, which never imports the root iostrat package (only
// internal/epoll, internal/netfd, internal/netpark and
// internal/timerheap):
//
//	future.go, combinators.go      Future, Poll, Context; Map, Then, Join, JoinAll, Select
//	waker.go, task.go              Waker, RawWakerVTable; the task cell, its waker functions,
//	                               JoinHandle
//	executor.go, stats.go          the executor (NewExecutor, Spawn, BlockOn), its loop and
//	                               its counters (Stats)
//	reactor_linux.go, io_linux.go  the epoll reactor; Source, Accept, Read, Write
//	server_linux.go                Server, Handler, ServerConfig: an accept task and
//	                               a task per connection over a set of executors
//	                               (backpressure, lingering close, drain on Close)
//	sleep.go, yield.go             Sleep and Yield
//	notify.go, broadcast.go        Notify; Broadcast and SharedBroadcast
//	goroutine_token.go,            which goroutine is calling (see below): the
//	goroutine_amd64.s,             g address, read in assembly; none elsewhere
//	goroutine_arm64.s,             (goroutine_token_other.go)
//	goroutine_token_other.go
//	unsupported.go                 the reactor's stub where there is no epoll
//
// The adapter, the only files that import iostrat (and
// internal/lifecycle, the closed flag, services and close order every
// strategy shares):
//
//	strategy.go                    Strategy and Name
//	strategy_linux.go              Start, the runtime (strategyRuntime): its loops,
//	                               a workload call into them, Info, Stats, Close
//	strategy_other.go              Start where there is no epoll: unsupported
//	strategy_workloads.go          the workloads' futures (spawn_many, chained_spawn, ...)
//	strategy_workloads_linux.go    the workload methods: which loop runs what
//	strategy_serve_linux.go        Serve: a Server on every loop, each
//	                               iostrat.Handler wrapped in a Handler (session)
//
// # The model
//
// A future is a state machine that does nothing until polled. Poll runs it
// as far as it can go without blocking; if it must wait, it stores a clone
// of the Waker it finds in its Context wherever the awaited event will
// happen — a reactor slot for a socket, the timer heap for a Sleep, a
// Notify — and returns Pending. When the event happens, whoever caused it
// calls Wake, which puts the task back on its executor's run queue, and the
// executor polls it again. Nothing blocks and no goroutine waits: a
// thousand pending tasks are a thousand structs.
//
// The Waker is the interesting part. It is two words, a data pointer and a
// pointer to a vtable of four functions (Clone, Wake, WakeByRef, Drop), so
// the same Waker type can wake a task of this executor, a test's counter,
// or anything else that fills in a vtable: dynamic dispatch built by hand,
// the fat pointer Go's interfaces build for you. Read waker.go for the
// types, then the four task waker functions and taskWakerVTable in task.go:
// that is where a wake becomes "set a bit, push on the run queue". The
// call benchmarks (callstyle_bench_linux_test.go) put a price on each
// step: BenchmarkCallStyle times a direct call, an interface call, a func
// value, a hand-made vtable and a generic method, and BenchmarkWakerVTable
// the waker's own calls through its vtable; TestSizes (sizes_test.go)
// compares the sizes of these types with Rust's.
//
// A task is one heap object (a cell): a header the executor and the vtable
// know, the future stored inline, and its output. Tasks are pooled per
// future type; a reference count, split between the executor's goroutine
// (a plain int) and other goroutines (an atomic), says when no waker or
// handle refers to a cell any more so it may be reused — in Go the garbage
// collector, not the count, keeps the memory alive. Config.PoolCap NoPool
// turns the pool off.
//
// # Who runs what
//
// One goroutine at a time runs an executor's loop (Run or BlockOn): its
// owner. Tasks are polled only there, and the task state, run queue,
// reactor slots, timer heap, Notify permits and counters are plain fields
// only the owner touches. A wake, a spawn or a Notify from another
// goroutine never touches them: it is posted to the executor's inbox (a
// mutex-guarded slice) and, if the loop is parked, signals its eventfd;
// the owner applies it at its next turn. Whether the caller is the owner
// is decided by comparing goroutine tokens (goroutine_token.go), Go's
// stand-in for the thread-local "current executor" of a Rust runtime.
// So the same-thread wake — a yield, a notify between two tasks of one
// loop, a socket becoming ready — costs no atomic instruction.
//
//	field                             owner goroutine     other goroutines
//	header.state, refs, next          read, write         never
//	header.remoteRefs, remoteWoken    atomic              atomic
//	run queue, pools, timers, slots   read, write         never
//	Notify.permit, waiter             read, write         never (post to inbox)
//	inbox                             drain (mutex)       append (mutex)
//	owner, parked, hasInbox           atomic              atomic load
//	counters                          write, publish      Stats (mutex)
//
// # States
//
// Tasks (task.go): notified (queued, or requeued when its running poll
// returns), running, idle (waiting for a waker), complete; a task woken
// twice before it runs is queued once.
//
// The loop (executor.go):
//
//	state      doing                                          leaves when
//	running    drain the inbox, poll up to Batch tasks,        the run queue is empty
//	           poll epoll without blocking if fds are open
//	parking    parked set, one last look at the inbox          inbox not empty: running
//	parked     waiting for the epoll fd, timeout = next timer  an fd event, a timer, the eventfd
//	stopped    Run/BlockOn returned (Stop, or root done)       Close drops every task
//
// Where a parked loop waits is Config.Park: on the Go netpoller
// (ParkNetpoll, the default), which watches the epoll fd and lets the
// loop's goroutine give its P back while it waits, or in epoll_wait
// (ParkThread), which keeps the P until the Go runtime's monitor takes it
// back. Park says why that matters.
//
// Reactor slots (reactor_linux.go) hold, per fd and direction, a readiness
// bit and the waiting task's waker, in the manner of the Go runtime's
// pollDesc; every fd is registered once, edge-triggered, for both
// directions.
//
// # Thread-per-core
//
// The adapter runs one executor per loop, each on a goroutine locked to an
// OS thread; tasks stay on the executor that spawned them, so a workload
// that uses several loops starts its share on each (the table at the top
// of strategy_linux.go says which do), and a wake across loops is a Waker's
// remote path, as a SharedBroadcast's NotifyAll makes it. Serve runs a
// Server (server_linux.go) on every loop: it accepts on loop 0 and hands
// connections to the loops in turn; each connection is one task, a state
// machine over its fd's Source, which reads into its loop's read buffer,
// writes directly, queues only after EAGAIN, and stops reading above the
// high-water mark.
//
// # What differs from tokio
//
// The package benchmarks mirror tokio's and are set beside them, but this
// executor does less work per task than tokio does, by design, and the
// ratios must be read with that in mind:
//
//   - Pooled task cells. A spawn on the executor's own goroutine reuses a
//     finished cell of the same future type: no allocation, no garbage.
//     tokio allocates every task and frees it when its last reference
//     goes. The package benchmarks run both ways (pool=on, pool=off with
//     Config.PoolCap NoPool); without the pool a spawn costs an
//     allocation and its share of garbage collection.
//   - No atomics on the owner. Task state, the owner's half of the
//     reference count, the run queue and the counters are plain fields;
//     only a wake, clone or spawn from another goroutine touches an atomic
//     (and the inbox mutex). tokio's task state and reference count are
//     atomic words on every path, because any worker may run any task.
//     The price here is that tasks never move between executors: no work
//     stealing, so a loop with nothing to do cannot help a busy one.
package futures
