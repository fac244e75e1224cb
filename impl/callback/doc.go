// Package callback is the callback strategy of iostrat: an event loop in
// the tradition of libuv (Node.js), Redis's ae and gnet, driving Linux
// epoll directly through internal/epoll and raw sockets through
// internal/netfd, never net.Conn. It is a small library in its own right
// — Loop, Post, Watch, AfterFunc, Event, Server — plus an adapter (see
// Strategy) that runs the iostrat workloads in that idiom.
//
// # Files
//
// The library, which does not import the iostrat contract and can be
// used alone (see the package examples):
//
//   - loop_linux.go: Loop and its Config, Park, posting, timers, Counters
//     and ErrClosed
//   - queue_linux.go: the two posting queues, cross-thread and loop-local
//   - watch_linux.go: Watch, the fd table and event dispatch
//   - event_linux.go: Event, a one-shot broadcast to callbacks
//   - server_linux.go: Server, its ServerConfig, Trigger and Callbacks
//   - conn_linux.go: Conn, one served connection
//   - race_linux.go, norace_linux.go: the loop-goroutine check, on with -race
//
// The adapter, the only files that import iostrat; they translate
// options, counters and errors and hold no mechanism of their own:
//
//   - strategy.go: Strategy, Name and Start
//   - strategy_linux.go: the runtime (start, Info, Stats, Close) and the
//     translation of park mode, trigger, counters and closed errors
//   - strategy_workloads_linux.go: every workload written as callbacks
//   - strategy_serve_linux.go: Serve, an iostrat.Protocol as Callbacks
//   - strategy_other.go: Start's error on systems without epoll
//
// # The model
//
// A loop is one thread that does one thing at a time and never blocks
// except in one place: waiting on its epoll instance, where it asks the
// kernel "which of my file descriptors are ready, or how long until my
// next timer?". Everything
// else is a callback — a function the loop calls when the thing it was
// waiting for has happened: a socket has bytes to read, a timer is due,
// another piece of code posted work. A callback must return quickly and
// must not block; to wait for something it registers another callback and
// returns. State that a thread-per-task program would keep on a stack
// lives in structs and closures instead, and because only the loop's
// thread touches them, they need no locks. The price is that a long
// callback delays everything behind it, and that code is turned inside out
// (continuations instead of straight-line code). To use more than one core
// you run several loops and shard connections between them; work crosses
// loops only by posting a callback to the other loop's queue, which wakes
// it through an eventfd. Compare the goroutine strategy (the same program
// written as blocking code, with the Go runtime running an event loop like
// this one underneath), the futures strategy (the continuation is a state
// machine polled again on wake-up) and the completion-queue strategy
// (you are told when an operation is done, not when it may be started).
//
// # One turn of the loop
//
//  1. wait until an fd is ready, a post arrives or the next timer is due
//     (see Parking); do not block if callbacks are already queued (and do
//     not poll at all then if no fd is watched)
//  2. dispatch each event to its watch or connection (stale ones dropped)
//  3. run the due timers, in deadline order
//  4. read edge-triggered connections that spent their budget last turn
//  5. run up to Config.Batch cross-thread posts, then up to Config.Batch
//     loop-local posts, so no stream of posts can starve the sockets
//
// Post from another goroutine appends to a mutex-protected slice that the
// loop swaps out whole; it writes the eventfd only if the post makes that
// queue non-empty while the loop is blocked or about to block (a flag the
// loop sets before its last look at the queue), so posts to a busy loop,
// and all but the first of a burst, cost no system call. PostLocal, from
// the loop's own callbacks, is a ring-buffer push with no atomic at all.
//
// # Parking
//
// A loop goroutine is locked to its OS thread. Blocked in epoll_wait, that
// thread keeps the Go scheduler's P until sysmon retakes it, 20 µs to
// 10 ms later, and with GOMAXPROCS 1 the goroutine the loop has just
// woken (a caller waiting for a result, a Go peer) waits that long to run.
// So by default (Config.Park = ParkNetpoll) an idle loop parks on the Go
// runtime's own netpoller instead: the loop's epoll fd is itself readable
// whenever one of its fds is ready, so it is registered with the runtime's
// epoll (internal/netpark) and the loop waits on it as a net.Conn read
// waits on a socket, giving its P back at once. The wait calls the loop's
// non-blocking epoll_wait after it has begun, so nothing that became ready
// before the goroutine parked is missed; the next timer's deadline becomes
// the wait's deadline. ParkThread keeps the C-style blocking epoll_wait.
// Both wait for a timer in whole milliseconds, rounded up (Loop.park says
// why). The sleeping flag and the eventfd are the same in both: a post
// that finds the loop asleep writes the eventfd, which makes the loop's
// epoll fd readable and so wakes the netpoller too.
//
// # Loop states and who may touch what
//
//	state    meaning                                    left when
//	running  in a turn: polling without blocking, or      the turn ends with nothing queued:
//	         running callbacks                            parked; Close's callback ran: stopped
//	parked   sleeping flag set; blocked in epoll_wait     an fd is ready, a timer is due, or a
//	         or on the netpoller (see Parking)            post writes the eventfd: running
//	closing  Close has queued its stop callback; posts    the stop callback runs: stopped
//	         are refused, those before it still run
//	stopped  connections, eventfd, epoll fd and its       —
//	         netpoller duplicate closed;
//	         goroutine and its OS thread ended
//
//	data                                    loop goroutine        other goroutines
//	local queue, timers, fd table, conns,   read and write        never (PostLocal, AfterFunc,
//	read/write buffers, counters                                  Watch, Conn methods: loop only)
//	remote queue, closed flag               take under the lock   append under the lock (Post)
//	sleeping flag                           store                 load (Post)
//	eventfd (epoll.Notifier)                Drain                 Signal, under the queue lock
//	eventfd-writes counter                  —                     atomic add
//	Stats                                   snapshot              ask the loop with Post, wait
//
// Methods that block (Close, Stats, Server.Close) must not be called from
// the loop's own goroutine. Loop-only methods do not check their caller:
// with -race they panic when called from elsewhere.
//
// # File descriptors
//
// The loop's fd table is indexed by fd number; each slot carries a
// generation bumped on every watch of that number, and the epoll data of a
// registration is the fd number and the generation, never a Go pointer.
// An event for a descriptor that was closed — and perhaps reused by a new
// connection — between epoll_wait and its dispatch carries an old
// generation and is dropped (counted as a spurious wake).
//
// # The server
//
// Loop 0 accepts and hands connections to the loops in round-robin order
// (one Post each; its own share it registers directly). That costs one
// cross-thread post per connection and puts every accept on one loop, but
// it spreads connections exactly evenly. The alternatives were weighed:
// SO_REUSEPORT per loop needs the option set before bind, and Serve is
// handed a listener already bound; every loop watching the one listening
// socket with EPOLLEXCLUSIVE avoids the hand-off but lets whichever loop
// is idle take a whole burst, so 256 connections opened at once can land
// unevenly. Each loop has one read buffer for all its connections, handed
// to OnData as a view; a connection gets an output buffer, from a per-loop
// pool, only while it has unsent output. Output is written at once when
// nothing is queued; EPOLLOUT is registered only after a short write or
// EAGAIN and removed once the queue drains (level-triggered; edge-triggered
// registers it once). Past ServerConfig.HighWater of queued output the
// connection stops being read until it drains below half, so a client
// that does not read cannot grow the server's memory without bound.
// Connection states are tabled at connState.
//
// Edge-triggered mode (ServerConfig.Trigger) reads a connection until a
// short read, end of stream, or its per-turn byte budget, and puts a
// connection that spent its budget on a ready list for the next turn, so
// one fast sender cannot starve the others.
//
// # Counters
//
// Each loop counts in plain fields: callbacks run, parks, spurious wakes
// (stale events, reads that found nothing), and its system calls by kind
// (epoll_wait, epoll_ctl, read, write, accept4, eventfd read); eventfd
// writes are counted by the posting goroutines, atomically, as they are
// rare. Loop.Stats reads them on the loop, as a Counters value; the
// adapter sums every loop's into iostrat.Stats (Callbacks as CallbacksRun,
// EpollWaits as SysEpollWait, and so on).
package callback
