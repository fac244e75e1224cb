// Package report turns the benchmarks in bench/ into the published
// results: a raw benchmark file with its provenance, benchstat tables,
// a Markdown page, charts, and a comparison with the previous run. It is
// the logic behind `iostrat report` (cmd/iostrat) and so behind
// `make bench-report`; scripts/bench-report.sh only calls the command.
//
// # Pipeline
//
// [Run] builds the benchmark binary once (go test -c ./bench), lists its
// top-level benchmarks (-test.list) and turns them into jobs: each
// benchmark at each of its CPU budgets (budget.go; the binary takes one
// -test.cpu value per run). It calibrates every job with one call per
// leaf, chooses a -test.benchtime per job so the whole report fits its
// time budget (see plan.go), and runs the jobs Count times, interleaved:
// the outer loop is the repetition, the inner loop the jobs, so slow
// drift of a shared machine spreads over every strategy instead of
// favouring one. Repetition r passes -iostrat.shuffle=seed+r, so the
// strategies inside a benchmark run in a different order each time.
// When the count was left to its default and the next repetition would
// end past the budget, it stops early and says so. It writes the Go
// benchmark format to OutDir/raw/<date>-<commit>.txt (-quick.txt for
// quick runs), never overwriting a file, headed by config lines:
//
//	date        when the run started (RFC 3339, UTC)
//	goos        goarch  cpu  kernel  go  commit  gomaxprocs
//	iouring     io_uring features, or why it is unavailable
//	count       repetitions made
//	benchtime   each job's -test.benchtime ("PingPong-2=48x") and the rule that chose it
//	quick       true for a smoke run (-short workloads)
//	bench       the -bench pattern, only for a run of a subset
//	budget      each benchmark's CPU budgets ("PingPong=1,2")
//	shuffle     the base seed of the strategies' order
//	pinning     where the results ran, as their placement metrics say (placement.go)
//	knobs-NAME  one line per registered strategy: backend and knobs, per budget
//
// The file stays valid benchstat input: the header is file-level
// configuration, and the transcription drops the binary's own goos,
// goarch and cpu lines so that benchstat sees one configuration. Skipped
// benchmarks are kept as "--- SKIP:" records with their reasons, which
// benchstat ignores and the page shows as n/a.
//
// [Publish] reads a raw file ([ReadRaw]), digests it per group
// ([Summarize]), runs `go tool benchstat -col /impl -filter …` per group,
// draws the charts ([PlanCharts], [DrawChart]), compares the run with
// the previous one ([FindPrevious], [CompareRuns]) and writes
// OutDir/README.md ([Page.Markdown]).
//
// # Groups
//
// Each top-level benchmark belongs to one group (groups.go): handoff,
// dispatch, wake, timers, I/O, latency, memory and harness. A benchmark
// no group names lands in "other"; nothing is dropped. A group has a
// headline unit per row (time per unit of work; req/s, B/s or conns/s
// for I/O; p99 latency; B/conn), its benchstat filter and its kind of
// chart. The dispatch, wake and timers tables also show each strategy's
// Handoff figure, which every call of their workloads includes, and the
// page says where a strategy does less work than the systems it stands
// for (differs.go).
//
// # Budgets and placement
//
// A row's budget is the "-N" suffix of its results' names (none: 1):
// rows at different budgets are different rows. Every result reads back
// where it ran (cpus, gomaxprocs, cpu-util; for socket benchmarks the
// client's CPUs and the CPUs both shared); the pinning line and the
// page's placement paragraph are computed from those, never from what
// the run asked for, and a row where a strategy used more than its budget
// is flagged, not ranked (placement.go).
//
// # Statistics
//
// The summary uses benchstat's own library (golang.org/x/perf/benchmath):
// the median with its 95% confidence interval, and the Mann-Whitney U
// test. A row names a best strategy only when it is decided (decide.go):
// better than every other after a Holm-Bonferroni correction over all
// of the page's tests, and by more than the drift the run itself
// measured between its first and second halves. Comparisons between runs
// hold changes to the same two tests. Quick runs have few samples, so
// wide (or infinite) intervals and rarely a decided row; the page says
// so, and benchstat's footnotes and benchmath's warnings are shown on the
// page and on standard error.
//
// # Previous run
//
// A run is compared with the newest older raw file of the same kind:
// quick runs with quick runs, full runs with full runs. Runs on
// different machines (goos, goarch, cpu, kernel, gomaxprocs, iouring)
// are not compared, and the page says what differs; other differences
// (Go version, benchtime, knobs) are listed next to the comparison.
//
// # Errors
//
// Per-line problems in a raw file are warnings: the line is skipped and
// reported. A benchmark that fails (not one that skips), a binary that
// does not build, or a benchstat that cannot run is an error carrying
// the tail of the failing output.
package report
