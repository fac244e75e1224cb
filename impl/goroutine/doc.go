// Package goroutine is the goroutine-per-task strategy: plain, idiomatic
// Go. Every unit of work is a goroutine, every wait is a blocking call
// (a channel receive, sync.Cond, net.Conn.Read), and the Go runtime does the
// rest: its scheduler multiplexes goroutines onto GOMAXPROCS threads and its
// netpoller (epoll on Linux) parks a goroutine whose socket is not ready and
// readies it when the kernel says so.
//
// This is the baseline the other strategies are compared with: it is what
// most Go programs do, and its costs — a goroutine and a stack per task and
// per connection, a buffer held by every blocked reader, wake-ups through
// the scheduler — are the ones the event loop, the futures executor and the
// completion port try to avoid.
//
// # Library
//
// The library is small, because the language already is the library:
//
//   - server.go: [Server] serves a net.Listener with one goroutine per
//     connection, each blocking in Read on a pooled buffer of
//     [ServerConfig.ReadBuffer] bytes and in Write (a blocked Write is the
//     backpressure), ending connections with a lingering close and
//     draining within [ServerConfig.DrainTimeout] on Close. Each
//     connection runs its own [Handler].
//   - counters.go: [Counters], the goroutines started (tasks) and wake-ups
//     sent (channel handoffs, broadcasts), shared by a Server and the code
//     around it.
//
// Tasks need no helper: a task is a go statement, a join is a
// sync.WaitGroup or a channel. A wrapper that took the task as a function
// would add an allocation and an indirect call per task to the very costs
// this package exists to measure.
//
// # Adapter
//
// The files named strategy*.go adapt the library to the iostrat contract
// and are the only ones that import it: strategy.go (Strategy, the runtime,
// Info, Stats, Close), strategy_workloads.go (the workloads, written as
// plain goroutines, channels and sync) and strategy_serve.go (Serve: each
// iostrat.Handler runs as a [Handler] on a Server).
//
// Tuning, stated honestly: per-connection read buffers and output slices
// come from sync.Pools; no read or write deadlines are set while serving
// (none are needed); TCP_NODELAY is Go's default. The read buffer size is
// the one knob (16 KiB unless Options.ReadBuffer says otherwise, the same
// order as net/http's 4 KiB bufio plus headroom for bulk reads).
//
// Counters: the strategy counts the goroutines it starts (tasks) and the
// wake-ups it sends (channel handoffs, broadcasts). It cannot see the
// syscalls the Go runtime makes on its behalf, so it keeps no syscall
// counters rather than guess them.
package goroutine
