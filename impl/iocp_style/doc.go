// Package iocpstyle is the completion-queue strategy of iostrat: a small
// library in the shape of Windows I/O completion ports, run on Linux
// io_uring, plus the adapter that drives the iostrat workloads with it.
// It sits beside impl/goroutine, impl/callback and impl/futures and is
// listed by strategies. The library — [Port] and its backends, and a
// socket server written on it ([Host], [Server], [Handler]) — uses only
// the internal epoll, netfd, netpark and timerheap helpers and can be used
// alone (see the package examples); the adapter, in the strategy*.go files
// alone, imports the iostrat contract and internal/lifecycle.
//
// # The model
//
// A [Port] is a queue of finished work. The caller submits an operation —
// accept, receive, send, read, write, a timeout, a no-op — together with a
// buffer it owns and a [Token] of its choosing, and carries on. Later it
// calls [Port.Wait] and gets back a batch of completions, each naming its
// token, its result (bytes moved, the accepted socket, an errno) and the
// buffer, now back in the caller's hands. Any goroutine may add a
// completion of its own with [Port.Post], which is how work crosses
// threads (the PostQueuedCompletionStatus of IOCP). A program built this
// way is a loop: wait for completions, run the code each one names, which
// submits more operations; the buffers and tokens say whose work it was.
//
// # Readiness and completion
//
// A readiness API (epoll, kqueue, the callback and futures strategies)
// tells you when an operation would not block: "fd 7 is readable"; you
// then make the read yourself, into your own buffer, and may still get
// EAGAIN. A completion API (IOCP, io_uring, this package) takes the
// operation itself: "read fd 7 into this buffer"; the kernel does the
// read when data arrives and tells you it is done and how many bytes
// landed. Readiness costs one notification plus one system call per
// operation, and the buffer is only needed at the moment of the read;
// completion batches submissions and results through shared rings, often
// with one system call per loop turn for everything, but lends the buffer
// to the kernel for as long as the operation is pending — which is why an
// idle connection must not hold a buffer of its own, and why this package
// uses provided buffers, picked by the kernel only when data arrives.
//
// # Backends
//
// On Linux the port is real io_uring, driven through raw system calls
// (ring ABI in ring_abi_linux.go, no cgo, no ring library): one ring per
// owner thread, set up SINGLE_ISSUER and DEFER_TASKRUN where the kernel
// has them, at most one io_uring_enter per loop turn to submit and reap
// together (see "One turn" below), multishot accept, multishot receive
// into a provided-buffer ring, cancellation by IORING_OP_ASYNC_CANCEL,
// IORING_OP_MSG_RING between rings, and the ring fd registered with
// itself (IORING_REGISTER_RING_FDS), so an enter skips the fd lookup. Where io_uring is unavailable (ENOSYS,
// EPERM from seccomp or kernel.io_uring_disabled, ENOMEM from the
// locked-memory limit, a kernel too old) the same API runs on an emulated
// proactor over edge-triggered epoll. The backend is chosen by
// [Config.Backend] and [Strategy.Backend] and is never hidden: it is in
// [Port.Backend], in the strategy's name (iocp_uring, iocp_emulated, or
// iocp_style for "either"), in Info().Backend and in every results file.
// [Probe] reports what this machine's io_uring offers.
//
// # One turn
//
// Real io_uring runtimes (tokio-uring, monoio, glommio) keep ready tasks in
// user space and use the ring for I/O, timers and wakes between threads;
// the io_uring port does the same. One Wait is one loop turn:
//
//   - The ready queue (readyqueue_linux.go), a bounded FIFO in user space,
//     holds what is ready without the kernel: completions the owner posts
//     to its own port ([Port.PostTo] the port itself), posts other threads
//     made (taken from the locked cross-thread queue), timers due and
//     timers cancelled. Wait returns it first, before it looks at the
//     ring; a self-post is a queue append, with no SQE and no enter.
//   - The ring is entered at most once per turn while there is work to
//     return: to submit what handlers queued (operations, MSG_RINGs),
//     together with reaping (GETEVENTS, without waiting), and otherwise
//     every eventInterval (61, tokio's event_interval) completions
//     returned from user space: on a DEFER_TASKRUN ring the kernel posts
//     I/O completions only inside our enters, so a loop that always has
//     ready work must still enter now and then. Only with nothing ready
//     does Wait submit and wait in one enter (ParkThread) or park on the
//     netpoller.
//   - Timeouts are a user-space timer heap (internal/timerheap, as in the
//     emulated backend); the ring holds at most one IORING_OP_TIMEOUT, for
//     the earliest deadline, armed (or re-armed, with a TIMEOUT_REMOVE of
//     the old one in the same submission) only when Wait is about to
//     sleep. Timers fire from the heap by the Monotonic clock, never early;
//     Cancel takes a timer out of the heap, and its ECANCELED completion
//     is ready at once.
//
// [Config.PostKernel] keeps the purist variant: every self-post is a no-op
// SQE carrying the token through the kernel, as PostQueuedCompletionStatus
// is, so each hop of a chain or a same-thread ping-pong costs an
// io_uring_enter: in BenchmarkPostToSelf a kernel hop takes about fifteen
// times the CPU of a user-space one, nearly all of it the enter (a no-op
// submitted and its CQE posted inside it), and a same-thread ping-pong
// round or a Chain link pays it once per hop. In user space an io_uring
// self-post costs about what the emulated backend's does, and a chain of
// them enters the ring once per eventInterval hops. The strategy publishes the choice as its post knob, and
// names the kernel variant iocp_uring_kernelpost.
//
// # Parking
//
// When no completion is ready, Wait parks its owner ([Config.Park]). By
// default it parks on the Go runtime's netpoller, as a goroutine blocked
// on a socket does, so the owner's P goes back to the scheduler at once
// and the goroutines it woke run without waiting for sysmon: the emulated
// port hands the netpoller its epoll fd; the io_uring port registers its
// cross-thread eventfd with the ring (IORING_REGISTER_EVENTFD), which the
// kernel then signals for deferred completions too, and hands the
// netpoller that (park_linux.go says why not the ring fd). [ParkThread]
// blocks the thread in io_uring_enter or epoll_wait instead.
//
// # Ownership and threads
//
//	what                          who may touch it
//	Port (Submit, Wait, Cancel,   its owner: the goroutine that created it, locked to its OS
//	  PostTo, Counters, Close)      thread (a SINGLE_ISSUER ring refuses other threads)
//	Port.Post                     any goroutine
//	Op.Buf                        the kernel (or the emulated port) from Submit until the
//	                                operation's final completion; then the caller again
//	provided-buffer views         the caller, from Wait until its next Wait
//	ring memory (SQ, CQ, SQEs)    the owner and the kernel, by the index protocol in ring_linux.go
//	Host                          its port's owner (HandleCompletion); other goroutines reach it
//	                                through Server, by jobs posted to the port
//	Server                        any goroutine; Close not from an owner of one of its hosts
//	Handler                       the owner of the host serving its connection
//
// Memory lent to the kernel — buffers, timespecs, the eventfd read target —
// is Go heap referenced from the port (its slot table, the ring timeout's
// timespec), or mmap'd memory, and stays reachable until its completion is
// reaped; io_uring user_data holds a slot index, generation and operation
// kind, for a no-op (which lends nothing) its token, or the ring timeout's
// arming generation, never a pointer (slot states in slots_linux.go).
//
// # Serving sockets
//
// The library's server is the IOCP programmer's: a [Server] keeps an
// accept submitted on its listener, a receive on each connection (into
// provided buffers, picked by the kernel only when data arrives) and at
// most one send, and reacts to their completions by calling the
// connection's [Handler] and submitting what comes next; backpressure,
// half-close, the lingering close and Close's bounded drain are its
// rules (the connection states are in server_linux.go). Its per-port
// part, a [Host], never waits on the port: the port's owner, which may
// have completions of its own on the same port, hands the host those in
// the host's token range with [Host.HandleCompletion]. A Server spans one
// or more hosts, one per owner thread, and deals connections over them.
//
// Why the owner dispatches, rather than a library loop calling handlers
// registered per token kind: the owner's own hot paths stay as they are.
// The adapter's loop dispatches every completion with one switch on its
// token's kind; no-op chains and ping-pongs go straight to their handler,
// and only completions of kind tkServe pay one direct call into the host
// (a range check and a second switch there). A library loop would put an
// indirect call, through a function value or interface, on every
// completion of every workload. A connection's receive pays one
// interface call, its Handler; the adapter's Handler wraps an
// iostrat.Handler, the one call more. A receive allocates nothing, and
// connection entries are reused from the host's table, so a connection
// costs its Handler: the adapter's wrapper is one small allocation.
//
// # The adapter
//
// The adapter is a program written on the library, as an IOCP server is
// written on the Windows API. [Strategy] starts one loop per
// Options.Loops, each a goroutine locked to its thread and owning one
// port; it waits for completions and dispatches each by its token's kind.
// Every workload is completions: spawn is no-ops submitted and handled on
// completion, chain posts the next task to its own port from each
// completion, inject and external wake are Posts from outside threads,
// yield posts the task to its own port, ping-pong posts between two
// handlers (MSG_RING between two rings for cross-thread), fan-out is one
// posted event whose handler posts one completion per waiter, timers are
// timeout operations (the port's timer heap) and Cancel, and serving is the
// library's Server over one Host per serving loop, each loop handing its
// host the completions of kind tkServe. The call boundary, paid once per workload
// call: the caller queues a job for a loop and posts it a completion
// naming the job (a queue append and at most one eventfd write), then
// waits on a channel for the loop's answer. With more than one loop,
// Inject's tasks, Yield's tasks and FanOut's waiters are dealt round-robin
// over the loops (FanOut's notifier stays on loop 0); every other workload
// runs on loop 0, cross-thread ping-pong also on a second loop. Each loop
// publishes its counters before it tells the caller its part is done.
//
// Loop states:
//
//	state     what it does                                      next
//	waiting   in Wait: parked on the netpoller, or blocked in    -> running (completions, a Post)
//	            io_uring_enter or epoll_wait (Park thread)
//	running   dispatching a batch of completions; handlers       -> waiting (next Wait: submits what
//	            submit and post, nothing blocks                     the handlers queued)
//	stopping  got tkStop: Close cancels and reaps everything    -> exited
//	            in flight, then the goroutine ends
//
// Connection states are described in server_linux.go.
//
// # Files
//
// The library; none of these files imports iostrat:
//
//	port.go, port_linux.go    the API: Op, Completion, Config, Counters, errors, Port
//	server.go                 the server's API: Handler, ServerConfig, HostTokens
//	server_linux.go           Host and Server: accept, receive, send; connection states
//	slots_linux.go            operations in flight: the slot table and its states
//	ring_abi_linux.go         io_uring structures and constants, with the kernel's names
//	ring_linux.go             one ring: setup, mmap, the SQ/CQ index protocol, io_uring_enter
//	probe_linux.go            feature probe, and Probe
//	bufring_linux.go          the provided-buffer ring
//	uring_linux.go            the io_uring backend of Port: the loop turn, self-posts, the timer heap
//	emulated_linux.go         the epoll backend of Port
//	park_linux.go             parking an io_uring port on the Go netpoller
//	readyqueue_linux.go       the ready queue: the bounded FIFO of completions Wait returns before the ring
//	post_linux.go             the cross-thread post queue and its eventfd
//	unsupported.go            other systems: every entry point reports errors.ErrUnsupported
//
// The adapter to the iostrat contract, the only files that import it:
//
//	strategy.go                  the Strategy and its names
//	strategy_linux.go            Start, the runtime: loops, tokens, the call boundary, Info, Stats, Close
//	strategy_workloads_linux.go  the workloads as completions
//	strategy_serve_linux.go      Serve: iostrat.Handler as a Handler, Options as a ServerConfig
//	strategy_other.go            other systems: Start reports errors.ErrUnsupported
package iocpstyle
