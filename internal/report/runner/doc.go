// Package runner runs the benchmark binary for a report: it builds it
// once (go test -c ./bench), lists its top-level benchmarks, turns them
// into jobs (a benchmark at one CPU budget), calibrates each job with one
// call per leaf, plans a -test.benchtime per job so that the run fits its
// time budget, and runs a job with a repetition's shuffle seed. It also
// probes the machine and describes the strategies for the raw file's
// header.
//
// It runs its commands through internal/report/process and writes
// nothing itself: internal/report orders the phases (the repetitions,
// interleaved) and transcribes the output into a raw file with
// internal/report/raw. The page (internal/report/publish) reads the
// settings lines this package writes (benchtime, budget, shuffle) back
// with [NamedValues], [ParseJobID] and [ShuffleSeed] to say how to
// reproduce a run.
//
// # Budgets
//
// A benchmark's budget is its GOMAXPROCS: Go's -test.cpu value, the "-N"
// suffix of a result's name (no suffix means 1). The bench harness pins
// the whole process to that many CPUs at every leaf, and every strategy
// starts with zero Options, so loops follow GOMAXPROCS: one loop at
// cpus=1, two at cpus=2. Socket benchmarks put the server (the benchmark
// process) on its budget and the client process on a CPU of its own. The
// binary takes one -test.cpu value per run (with b.Loop, the testing
// package would measure every value of a list but the last at the wrong
// GOMAXPROCS), so a benchmark with two budgets is two jobs, calibrated,
// planned and run apart.
//
// # Remote runs
//
// With a [Remote], the socket benchmarks ([SocketBenchmarks]) run with the
// bench binary's -iostrat.remote flags, so their server runs in the
// iostrat agent's process on the agent's machine and their client here;
// the rest run here as usual. [ProbeRemote] describes the agent's machine
// and measures the path's round trip for the header.
//
// # Shuffling
//
// The binary runs the strategies of a top-level benchmark in registry
// order unless -iostrat.shuffle gives it a non-zero seed, which permutes
// that order (deterministically per seed and benchmark). A run passes a
// different seed to every repetition, base+r for repetition r = 1…count,
// so no strategy always runs first (on a cold cache) or last (after its
// neighbours warmed the machine). The base seed is recorded in the
// shuffle config line, so a run can be reproduced with -seed.
package runner
