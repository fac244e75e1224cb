// Package report turns the benchmarks in bench/ into the published
// results: a raw benchmark file with its provenance, benchstat tables,
// a Markdown page, charts, and a comparison with the previous run. It is
// the logic behind `iostrat report` (cmd/iostrat) and so behind
// `make bench-report`; scripts/bench-report.sh only calls the command.
//
// # Pipeline
//
// [Run] builds the benchmark binary once (go test -c ./bench), lists its
// top-level benchmarks (-test.list), calibrates them with one call per
// leaf, chooses a -test.benchtime per benchmark so the whole report fits
// its time budget (see plan.go), and runs the catalogue Count times,
// interleaved: the outer loop is the repetition, the inner loop the
// benchmarks, so slow drift of a shared machine spreads over every
// strategy instead of favouring one. When the count was left to its
// default and the next repetition would end past the budget, it stops
// early and says so. It writes the Go benchmark format to
// OutDir/raw/<date>-<commit>.txt (-quick.txt for quick runs), never
// overwriting a file, headed by config lines:
//
//	date        when the run started (RFC 3339, UTC)
//	goos        goarch  cpu  kernel  go  commit  gomaxprocs
//	iouring     io_uring features, or why it is unavailable
//	count       repetitions made
//	benchtime   each benchmark's -test.benchtime and the rule that chose it
//	quick       true for a smoke run (-short workloads)
//	bench       the -bench pattern, only for a run of a subset
//	knobs-NAME  one line per registered strategy: backend and knobs
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
// Each top-level benchmark belongs to one group (groups.go): dispatch,
// wake, timers, I/O, latency, memory and harness. A benchmark no group
// names lands in "other"; nothing is dropped. A group has a headline
// unit per row (time per unit of work; req/s, B/s or conns/s for I/O;
// p99 latency; B/conn), its benchstat filter and its kind of chart.
//
// # Statistics
//
// The summary uses benchstat's own library (golang.org/x/perf/benchmath)
// with benchstat's defaults: the median with its 95% confidence
// interval, and the Mann-Whitney U test at α = 0.05. A row names a best
// strategy only when it is significantly better than every other; else
// "~". Comparisons between runs use the same test on each benchmark's
// headline metric. Quick runs have few samples, so wide (or infinite)
// intervals and rarely a significant difference; the page says so, and
// benchstat's footnotes and benchmath's warnings are shown on the page
// and on standard error.
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
