// Package thread is the thread-per-task strategy: the model the others
// were invented to escape. Every task is a kernel thread, every wait a
// blocking system call on the waiting thread, and the kernel's scheduler
// does the multiplexing. There is no loop, no executor, no ready queue
// and no poller of the strategy's own.
//
// # Threads in a Go program
//
// A task is a goroutine that calls runtime.LockOSThread and returns
// without unlocking. What the Go runtime (runtime/proc.go) then does:
//
//   - LockOSThread creates no thread. It wires the goroutine to the M
//     (the runtime's thread) it is running on, which is whatever M picked
//     it from a run queue: one taken from the idle list (sched.midle), or
//     one newly cloned by newm when startm found none idle.
//   - When the goroutine returns still locked, gdestroy does not give the
//     thread back to the pool: it returns to mstart, and mexit hands the
//     P to another M, unlinks the M and ends the thread (since Go 1.10).
//     The main thread is the exception: the runtime cannot end it, so
//     the first task that lands there leaves it parked for good (mexit
//     wedges it) and it never runs Go code again — one idle thread for
//     the life of the process, after which every task gets a thread of
//     its own.
//   - So every task consumes one thread, the idle list stays empty, and
//     the runtime clones a replacement (clone(2) in newosproc) whenever
//     it next needs an M: in steady state one thread is created and one
//     destroyed per task, as pthread_create and exit would, though the
//     clone may happen just before the task whose thread it becomes.
//     The tests check it: no two tasks share a thread id, none of their
//     threads survives the join, and the process's Threads: count grows
//     by one per blocked task and comes back.
//
// A thread runs Go code only while it holds a P, and there are GOMAXPROCS
// of them. A thread blocked in a futex wait (a system call) keeps its P
// until it returns or until sysmon takes the P back (after 20 µs or
// more); a woken thread needs a P again before it runs. So with more
// runnable threads than GOMAXPROCS, the Go runtime admits them a few at a
// time, and the kernel multiplexes only those — a cost of hosting this
// model in Go that a C program does not pay, and one the wake benchmarks
// include. The hog ping-pong needs three threads running at once and
// reads n/a with GOMAXPROCS=1.
//
// # Limits
//
// Every thread takes a pid from the system's pid space, a kernel task
// and kernel stack (16 KiB on x86-64), and a stack of its own
// ([ThreadStack]). [ProcessLimits] reads /proc/sys/kernel/threads-max,
// /proc/sys/kernel/pid_max and RLIMIT_NPROC; the package runs at most
// half the smallest of them at once ([Limits.Cap]) and refuses more with
// a [LimitError], which wraps errors.ErrUnsupported: a workload asking
// more threads at once than the cap (100,000 timers, say) reads n/a with
// the limit and the number asked, rather than crashing the process. The Go
// runtime's own limit (runtime/debug.SetMaxThreads, 10,000 by default,
// fatal when exceeded) is raised to the cap plus that default, so 10,000
// idle connections fit.
//
// # Library
//
//   - thread_linux.go: [Group] starts tasks on threads of their own and
//     joins them; [Pin] binds a task's thread to a CPU; [Yield] is
//     sched_yield; [AllowedCPUs].
//   - futex_linux.go: FUTEX_WAIT, FUTEX_WAIT_BITSET (absolute
//     CLOCK_MONOTONIC deadline) and FUTEX_WAKE through
//     golang.org/x/sys/unix, on private futex words.
//   - sema_linux.go, broadcast_linux.go, latch_linux.go: the waits, each
//     one futex word: [Sema] wakes one thread, [Broadcast] wakes all
//     waiters with one FUTEX_WAKE, [Latch] is the join. None spins; none
//     uses a Go channel or sync primitive, which would hand the wait back
//     to the Go scheduler.
//   - timer_linux.go: [Timer], a thread per timer asleep in a futex wait
//     until its absolute deadline, stopped with one FUTEX_WAKE (a thread
//     in clock_nanosleep could be woken early only by a signal).
//   - server_linux.go: [Server] takes a TCP listener's socket over, sets
//     it blocking and accepts on a thread of its own; each connection's
//     thread blocks in read and send ([Handler] is one connection's
//     session, as in the goroutine strategy's library). No netpoller and
//     no epoll. The transport rules are every strategy's: a blocked send
//     is the backpressure, a client's FIN ends reading after the answers
//     are written, the server's own close lingers, and Close shuts
//     sockets down after [ServerConfig.DrainTimeout] so blocked threads
//     return. shutdown(2) on the listening socket wakes the accept thread.
//   - limits.go, limits_linux.go: [Limits], [LimitError], the cap.
//   - counters.go: [Counters]. stack_cgo.go, stack_nocgo.go:
//     [ThreadStack]. unsupported.go: [ProcessLimits] fails off Linux.
//
// # Adapter
//
// The files named strategy*.go adapt the library to the iostrat contract
// and are the only ones that import it: strategy.go (Strategy),
// strategy_linux.go (Start, the runtime, Info, Stats, Close),
// strategy_workloads_linux.go (the workloads), strategy_serve_linux.go
// (Serve: each iostrat.Handler runs as a [Handler] on a Server) and
// strategy_other.go (Start fails off Linux).
//
// The caller of a workload is a goroutine outside the model: it enters
// through a root thread and waits for it on a channel (a futex wait would
// hold its P, and with GOMAXPROCS=1 the root thread could not start until
// sysmon took the P back). Every wait inside the model is a futex.
//
// How the workloads map onto the model: Spawn, Chain, Inject, Yield and
// the timers start a thread per task; Handoff starts one empty thread and
// joins it, so its unit is a thread created and ended (there is no parked
// worker to wake: that would be a pool, another model). PingPong's
// threads wait on semaphores; every task is a thread, so SameThread means
// both threads pinned to one CPU (each wake a context switch on it, none
// crossing CPUs) and CrossThread pins them to two CPUs when the process
// may use two. FanOut's waiters block on one futex word.
//
// Counters: threads (equal to tasks: every task is a thread), wakes,
// futex-waits, futex-wakes, sched-yields, and a Server's reads, writes
// and accepts; ctx-switches-voluntary and -involuntary are the whole
// process's, from getrusage(RUSAGE_SELF), since Start.
package thread
