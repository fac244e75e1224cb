// Package iostrattest is the conformance suite every iostrat strategy must
// pass, in the spirit of testing/fstest: a strategy's own test calls
//
//	func TestConformance(t *testing.T) { iostrattest.TestStrategy(t, mystrategy.Strategy{}) }
//
// and the suite starts fresh runtimes and checks every workload's result
// exactly (sums of task indices, rounds, wakes, timer counts and lateness),
// echoes random bytes over real loopback TCP with 1 and 256 connections and
// sizes from 1 B to 64 KiB byte for byte, sends HTTP/1.1 requests (single,
// pipelined, malformed) and parses every answer, checks that the Stats
// counters move where a workload says they must, and after every Close
// checks that no goroutine is left running (go.uber.org/goleak) and the
// process holds the same open file descriptors as before Start.
//
// Checks never assert timings: a workload that does not finish within a
// generous limit fails as hung (a lost wake-up), however slow the machine.
//
// The checks are also available one by one through [Checks], so the suite
// itself is tested: strategies broken on purpose must fail it.
package iostrattest
