// Package iostrat is the contract of the iostrat suite: the interfaces every
// concurrency strategy implements so the same workloads can drive all of them,
// and nothing else. It holds no strategy code.
//
// iostrat compares five ways a program can handle concurrent work and I/O:
//
//	goroutine   impl/goroutine   blocking code on green threads (Go net, netpoller)
//	callback    impl/callback    a readiness event loop calling functions (libuv, Redis ae, gnet)
//	futures     impl/futures     lazy state machines polled by an executor, vtable wakers (Rust)
//	iocp        impl/iocp_style  submit an operation with a buffer, reap its completion (IOCP, io_uring)
//	thread      impl/thread      an OS thread per task, every wait a blocking system call (pthreads)
//
// Each strategy package is a small library in its own model plus an adapter
// that implements [Strategy]. The contract is made of workloads with exact
// semantics — parameters in, a verifiable result out — that each strategy
// implements in its own idiom: [Dispatcher] (spawn, chain, inject, yield),
// [Wakeups] (ping-pong, external wake, fan-out), [TimerRunner] and [Server].
// Protocols are sans-I/O [Handler]s written once (internal/proto), so
// strategies differ only in how they move bytes and schedule work.
//
// Layers, imports pointing down only:
//
//	cmd/iostrat         command: list, serve, load, report
//	bench, iostrattest  workloads as testing.B benchmarks; the conformance suite
//	strategies          the composition root: the one list of strategies, the
//	                    only package that imports every impl/ package
//	impl/*              the strategies; never import each other, bench or strategies
//	iostrat (this)      the contract
//	internal/*          below the strategies: syscall helpers (epoll, netfd,
//	                    netpark, affinity), shared adapter scaffolding
//	                    (lifecycle), timer heap, load generator, and the
//	                    protocols (internal/proto), which implement this
//	                    package's [Handler]; internal/report reads and
//	                    publishes results and imports no strategy
//
// Inside each impl/ package the same split holds: the model is a small
// library a Go program can use on its own, which never imports this
// package, and the adapter in the package's strategy*.go files is the
// only code that does. Adding a strategy is one package plus one line in
// strategies.All.
package iostrat
