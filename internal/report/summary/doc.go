// Package summary does a report's statistics: it digests a raw file
// (internal/report/raw) into one table per group of benchmarks, decides
// which strategy, if any, is best in each row, reads back where every
// result ran, compares a run with the previous one, and runs benchstat
// for its own tables. It writes no Markdown and draws nothing: the page
// (internal/report/publish) renders what it computes.
//
// # Groups
//
// Each top-level benchmark belongs to one group (groups.go): handoff,
// dispatch, wake, timers, I/O, latency, memory and harness. A benchmark
// no group names lands in "other"; nothing is dropped. A group has a
// headline unit per row (time per unit of work; for I/O the server's CPU
// per unit, with the throughput beside it; p99 latency; B/conn), its
// benchstat filter and its kind of chart. The overview (overview.go)
// picks one row per question for the page's opening table.
//
// # Rows and columns
//
// A row is a leaf benchmark at one CPU budget; a column is a strategy.
// Result names are taken apart with golang.org/x/perf/benchproc
// projections (names.go): /impl is the column, /gomaxprocs the budget,
// and .fullname less those two the row's name.
//
// # Statistics
//
// The summary uses benchstat's own library (golang.org/x/perf/benchmath):
// the median with its 95% confidence interval, and the Mann-Whitney U
// test. A row names a best strategy only when it is decided (decide.go):
// better than every other after a Holm-Bonferroni correction over all
// of the page's tests, and by more than the drift the run itself
// measured between its first and second halves. The same tests give each
// row its leading group — the strategies not separated from the best —
// and the margin to the best strategy outside it. Comparisons between runs
// hold changes to the same two tests (compare.go). Runs on different
// machines (goos, goarch, cpu, kernel, gomaxprocs, iouring) are not
// compared.
//
// # Placement
//
// Every result reads back where it ran (cpus, gomaxprocs, cpu-util; for
// socket benchmarks the client's CPUs and the CPUs both shared). The
// pinning line of a raw file and the page's placement paragraph are
// computed from those ([DescribePlacement]), never from what the run
// asked for, and a row where a strategy used more than its budget is
// flagged, not ranked (placement.go).
package summary
