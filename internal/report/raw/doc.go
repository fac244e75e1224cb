// Package raw reads and writes the raw benchmark files of a report: the
// Go benchmark format, as golang.org/x/perf/benchfmt reads it, headed by
// config lines that record the run's provenance.
//
// It sits at the bottom of the report's packages: the runner
// (internal/report/runner) writes raw files through a [Transcriber] and
// [WriteNew]; the statistics (internal/report/summary) and the page
// (internal/report/publish) read them back as a [File]. It runs nothing
// and computes no statistics.
//
// # Format
//
// A raw file is valid benchstat input. Its header is file-level
// configuration, one "key: value" line per [Provenance] entry, in this
// order:
//
//	date        when the run started (RFC 3339, UTC)
//	goos        goarch  cpu  kernel  go  commit  gomaxprocs
//	iouring     io_uring features, or why it is unavailable
//	vcpus       CPUs online on the machine (absent in older files)
//	virt        "vm (…)" when the CPU's hypervisor flag is set, "none seen (…)" otherwise (absent in older files)
//	hostname    the machine's host name (absent in older files)
//	remote…     a remote run only (iostrat report -remote): the agent's address
//	            (remote), its machine (remote-hostname, remote-cpu, remote-kernel,
//	            remote-go, remote-commit, remote-vcpus), the path's round trip
//	            (remote-rtt, see RTTMethod) and the benchmarks whose server ran
//	            there (remote-benchmarks)
//	count       repetitions made
//	benchtime   each job's -test.benchtime ("PingPong-2=48x") and the rule that chose it
//	quick       true for a smoke run (-short workloads)
//	bench       the -bench pattern, only for a run of a subset
//	budget      each benchmark's CPU budgets ("PingPong=1,2")
//	shuffle     the base seed of the strategies' order
//	pinning     where the results ran, as their placement metrics say
//	knobs-NAME  one line per registered strategy: backend and knobs, per budget
//
// The body is the benchmark binary's output, transcribed: result lines
// as the binary printed them, config lines the header does not fix, and
// "--- SKIP:" records with their reasons (benchstat ignores them; the
// page shows them as n/a). The binary's own goos, goarch and cpu lines
// are dropped, so benchstat sees one configuration.
//
// # Errors
//
// Per-line problems are warnings: a line that looks like a result but
// does not parse is skipped and kept in [File.Warnings]. Only an
// unreadable file is an error.
package raw
