// Package bench holds the shared testing.B workloads. Every benchmark
// ranges over the strategies in strategies and names its
// sub-benchmarks only with key=value parts, strategy first:
//
//	BenchmarkPingPong/impl=futures/mode=cross
//
// so `go tool benchstat -col /impl` sets the strategies side by side. Run
// them with
//
//	go test -run '^$' -bench . ./bench            # the full catalogue, every strategy on one CPU
//	go test -run '^$' -bench . -short ./bench     # smaller parameters, a smoke run
//	go test -run '^$' -bench Inject -cpu 2 ./bench  # a budget of two CPUs
//
// # The CPU budget
//
// A benchmark's budget is its GOMAXPROCS: the -cpu flag, which this
// binary defaults to 1, and the "-N" suffix Go adds to a result name (no
// suffix: 1). At every leaf the harness pins the whole process — every
// thread, with sched_setaffinity — to the first GOMAXPROCS CPUs it was
// started on, and starts the runtime with zero Options, so loops,
// executors and rings follow GOMAXPROCS too: at cpus=1 each strategy has
// one CPU, one P and one loop, and its helper threads (a cross-thread
// ping-pong's second loop, Inject's producers, a hog) share that CPU; at
// cpus=2 each has two of each. A budget larger than the CPUs the process
// may use skips with the reason. -cpu takes one value per run: with
// b.Loop, the testing package measures every value of a list but the last
// at the wrong GOMAXPROCS, so the binary refuses a list.
//
// The socket workloads' server is this process, on its budget (CPU 0 at
// cpus=1); their client process (and the idle-connection holder) runs on
// the last CPU the budget leaves free, with GOMAXPROCS to match, so client
// and server never share a core on a machine with a CPU to spare.
//
// Every result line says where it ran, read back from the processes after
// the measured calls, never taken from the plan: cpu-util, cpus and
// gomaxprocs for the server, and client-cpus, client-gomaxprocs and
// shared-cpus for a socket workload's client.
//
// # Flags
//
//	-iostrat.shuffle=SEED   run the strategies of each benchmark in an order
//	                        shuffled by SEED (0, the default: registry order)
//	-iostrat.park=MODE      how idle loops wait: netpoll (the default: give
//	                        the P back at once) or thread (block the thread
//	                        in the kernel; see iostrat.Park)
//	-iostrat.remote=HOST:PORT         run the socket workloads' server on
//	                        the iostrat agent at HOST:PORT (iostrat agent),
//	                        the client here; see "Remote server" below
//	-iostrat.remote-token-file=FILE   the agent's token (required with
//	                        -iostrat.remote)
//	-iostrat.impls=A,B      run only these columns (strategies, or
//	                        anchor-<name>)
//	-iostrat.skip-impls=A,B run every column but these (the report runs a
//	                        strategy whose calls cost most of a pass, thread,
//	                        in a run of its own, so each gets its own count)
//	-iostrat.anchors        also run the plain-Go floor, impl=anchor-go,
//	                        after the strategies (anchors/gofloor)
//	-iostrat.anchor-servers=gnet=PATH,nethttp=PATH   Echo and HTTP also
//	                        measure these outside servers, impl=anchor-gnet
//	                        and impl=anchor-nethttp (anchor_server_test.go)
//
// The anchors (outside references: tokio, liburing, gnet, net/http, C
// probes, plain Go) are described in anchors/README.md; make
// bench-report ANCHORS=1 builds and runs them all beside the strategies.
//
// # Remote server
//
// With -iostrat.remote the socket workloads (Echo, Pump, HTTP, Churn,
// Latency, Idle: every benchmark that uses withServer) ask the agent to
// start the strategy's server in the agent's own process, pinned to the
// budget's number of CPUs on its machine, and dial the address it gives;
// the other workloads run here as usual. The client process is placed as
// in the local mode (a CPU of this machine the budget leaves free). The
// server figures keep their units and meaning, taken from the agent's
// reports before and after the measured calls: cpu-util, cpu-ns/<unit>,
// <counter>/<unit>, syscalls/<unit>, cpus and gomaxprocs (the agent's),
// and Idle's rss-B/conn. The agent does not report heap allocations,
// Go-managed memory or goroutines: allocs/<unit>, B/conn and
// goroutines/conn read n/a. shared-cpus is replaced by remote-server: 1,
// which marks every result whose server ran in the agent.
//
// # Workloads
//
// Parameters are named constants at the top of each file, with the public
// benchmark each mirrors, so per-unit figures line up with those anchors.
//
//	Handoff      park=netpoll|thread  an empty workload call: into a parked runtime and back
//	Spawn        tasks=10000          spawn N empty tasks from inside the runtime, join all (tokio spawn_many)
//	Chain        depth=10000          each task spawns the next (tokio chained_spawn, 10× deeper: see below)
//	Inject       producers=P/tasks=N  P outside OS threads push N tasks in total (tokio remote_spawn, libuv async_pummel)
//	Yield        tasks=200/yields=1000  self-wake and reschedule (tokio yield_many)
//	PingPong     mode=same|cross|hog  two tasks alternate through the model's wake primitive (tokio ping_pong, Go ChanSync, PingPongHog);
//	                                  20,000 rounds per call same-thread, 1,000 otherwise
//	WakeExternal rounds=1000          a plain OS thread wakes a parked task (libuv async1, Go netpollBreak)
//	FanOut       waiters=K            one event wakes K waiters (tokio sync_notify, Go Cond); at least 100 events
//	                                  and 20,000 wakes per call
//	Timers       op=arm-cancel|fire   timer insert+cancel cost; firing and lateness (libuv million_timers)
//	Echo         conns=C/size=S       TCP ping-pong, 1/16/256 connections × 64 B/1 KiB/16 KiB (libuv ping_pongs, Go TCP4Persistent)
//	Pump         conns=C/frame=F      bulk one-way transfer, every frame acknowledged with its hash (libuv pump)
//	HTTP         conns=C/pipeline=P   HTTP/1.1 plaintext, pipelining 1 and 16 (TechEmpower plaintext)
//	Churn        proto=echo|http      connect, one request, close (libuv tcp4_pound, Go TCP4OneShot)
//	Latency      proto=http/conns=16/rate=R  open loop at fixed rates, latency from the intended send time (wrk2)
//	Idle         conns=10000          idle connections held by a child process; memory per connection (C10K)
//	Nop          batch=1|32           no-ops through iocp_style's completion port itself, below the
//	                                  strategy interface (the C floor: liburing's no-op loop, anchor-liburing)
//	Harness      impl=none            the measurement loop around an empty call: the baseline
//
// Each strategy runs a fresh runtime per leaf benchmark, started with zero
// Options (loops follow GOMAXPROCS); a strategy that cannot run on this
// machine is skipped with its reason and reads n/a. Every call includes
// one Handoff (about 12 µs into a parked loop at cpus=1, under 1 µs for
// goroutines), and the figures per unit divide it over the call's units;
// calls are sized so that it stays a few percent of the fastest
// strategy's call, which is why Chain, same-thread PingPong and FanOut
// with few waiters do more units per call than the anchors they mirror.
// The socket workloads (Echo, Pump, HTTP, Churn, Latency, Idle) add the
// registry's I/O variants
// as columns of their own: callback_edge is the callback loop with
// edge-triggered readiness and a per-connection byte budget per turn.
//
// # Units
//
// ns/op, B/op and allocs/op are per b.Loop iteration, that is per workload
// call, and each call does a fixed batch of units (10,000 tasks, 1,000
// rounds, …), verified before the next call. The per-unit figures divide by
// the units done:
//
//	ns/task, ns/yield, ns/round, ns/wake, ns/timer,
//	ns/msg, ns/req, ns/conn, ns/call                   time per unit of work
//	MB/s                                               payload bytes per second (Echo: one way; Pump)
//	req/s, conns/s                                     rates derived from ns/req, ns/conn
//	B/conn, rss-B/conn, goroutines/conn                Idle: Go-managed memory, resident size and goroutines per connection
//	behind-sched                                       Latency: share of calls where the client fell behind its schedule
//	cpu-ns/<unit>                                      CPU time of the whole process per unit, user and system;
//	                                                   in the socket workloads the client is another process,
//	                                                   so this is the server's CPU alone
//	allocs/<unit>                                      heap allocations per unit (whole process)
//	cpu-util                                           the process's CPU time ÷ wall time over the measured calls:
//	                                                   at most the budget; near 1 at cpus=1 when nothing idles
//	cpus, gomaxprocs                                   CPUs the server process may run on (every thread's
//	                                                   affinity, read back) and its GOMAXPROCS
//	client-cpus, client-gomaxprocs, shared-cpus        socket workloads: the same for the client process, as
//	                                                   it read them back, and the CPUs both may use (0: none)
//	<counter>/<unit>                                   each Stats counter the runtime keeps, per unit:
//	                                                   tasks, polls, wakes, spurious-wakes, callbacks,
//	                                                   completions, parks, epoll-waits, epoll-ctls, enters,
//	                                                   reads, writes, accepts, eventfd-writes, eventfd-reads,
//	                                                   futex-waits, futex-wakes, sched-yields, threads,
//	                                                   ctx-switches-voluntary, ctx-switches-involuntary
//	                                                   (the last two for the whole process, from getrusage)
//	ctx-switches/<unit>                                the server process's context switches, voluntary
//	                                                   and involuntary, every thread's, as the kernel
//	                                                   counted them (getrusage; for an anchor server its
//	                                                   threads' /proc status), whatever the strategy:
//	                                                   a thread that blocks and is woken, or a hand-off
//	                                                   between threads (not with -iostrat.remote)
//	syscalls/<unit>                                    the kept syscall counters' total (futex and
//	                                                   sched_yield calls included; threads and context
//	                                                   switches are not system calls and stay out)
//	p50-ns, p99-ns, p99.9-ns, max-ns                   latency percentiles (nearest rank)
//	remote-server                                      1: the server ran in an agent's process (-iostrat.remote)
//
// A counter a runtime does not keep is not reported (n/a), never zero.
package bench
