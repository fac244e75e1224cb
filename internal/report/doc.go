// Package report turns the benchmarks in bench/ into the published
// results: a raw benchmark file with its provenance, benchstat tables,
// a Markdown page, charts, and a comparison with the previous run. It is
// the logic behind `iostrat report` (cmd/iostrat) and so behind
// `make bench-report`; scripts/bench-report.sh only calls the command.
//
// This package only orders the work. Its parts, after
// golang.org/x/perf's split into benchfmt, benchproc and benchmath, are
// small packages whose imports point one way, each down the list:
//
//	process   runs child processes behind an interface tests replace
//	raw       the raw file: Go benchmark format (benchfmt) under a provenance header
//	runner    the benchmark binary: build, jobs and budgets, calibration, plan, shuffle seeds
//	summary   statistics: tables per group (benchproc names), verdicts, placement, comparisons, benchstat
//	publish   the page: Markdown, charts, notes
//
// The strategies come from the command (cmd/iostrat passes
// strategies.Benchmarked()); nothing here imports them.
//
// # Run
//
// [Run] makes a raw file in phases, one function each:
//
//   - defaults: count, time budget, seed and clock (newRun);
//   - build: go test -c ./bench once, and the list of its top-level
//     benchmarks, each at each of its CPU budgets a job;
//   - remote (a remote run only): the agent's machine and the round trip
//     of the path to it (runner.ProbeRemote), before any benchmark loads
//     them; from here on the socket benchmarks' server runs in the agent;
//   - calibrate: every job once with one call per leaf;
//   - plan: a -test.benchtime per job so that the whole report fits its
//     time budget (runner.PlanBenchtime);
//   - provenance: the machine, the strategies' knobs and the settings;
//   - repetitions: the jobs Count times, interleaved — the outer loop is
//     the repetition, the inner loop the jobs, so slow drift of a shared
//     machine spreads over every strategy instead of favouring one.
//     Repetition r passes -iostrat.shuffle=seed+r, so the strategies
//     inside a benchmark run in a different order each time. When the
//     count was left to its default and the next repetition would end
//     past the budget, it stops early and says so;
//   - write: the header on top (its count says how many runs were made,
//     its pinning line where the results ran, as they observed it) and
//     the file under OutDir/raw/<date>-<commit>.txt (-quick.txt for quick
//     runs), never overwriting one.
//
// # Publish
//
// [Publish] reads a raw file (and, with MorePaths, other machines' raw
// files, whose summary tables the page sets beside its own), digests it
// per group
// (summary.Summarize), runs `go tool benchstat -col /impl -filter …` per
// group, draws the charts (publish.PlanCharts, publish.DrawChart),
// compares the run with the newest older raw file of the same kind
// (quick with quick, full with full; raw.FindPrevious,
// summary.CompareRuns) and writes OutDir/README.md (publish.Page) with
// benchstat's full output beside it in OutDir/benchstat.txt. When OutDir
// is a directory of the module's root (results/), it also rewrites the
// summary block of the module's README.md, between its marker comments;
// a README without them is left alone, with a warning.
//
// # Errors
//
// Per-line problems in a raw file are warnings: the line is skipped and
// reported. A benchmark that fails (not one that skips), a binary that
// does not build, or a benchstat that cannot run is an error carrying
// the tail of the failing output.
package report
