// Package publish renders a report's results page from data: the
// Markdown of results/README.md ([Page.Markdown]), which opens with a
// one-screen overview (overview.go) that the repository's README.md
// carries too ([Page.ReadmeBlock], [ReplaceReadmeBlock]); benchstat's
// full tables beside it ([Page.BenchstatText]); its charts ([PlanCharts],
// [DrawChart]: dot plots with full row names, the overview's scatter,
// latency against offered rate, timer lateness; one colour and marker per
// strategy on every chart, chart_style.go); the findings it states
// (notes.go) and the comparison with the previous run as the terminal
// shows it.
//
// It computes no statistics and runs nothing: internal/report/summary
// digests the raw file (internal/report/raw) and runs benchstat, and
// internal/report gathers those into a [Page] and writes it. The page
// tells how to reproduce the run in the terms of the runner
// (internal/report/runner): the benchtime, budget and shuffle lines it
// wrote, read back.
//
// A page may set runs of several machines side by side ([Page.Machines]):
// the summary then holds one table per machine under its machine line,
// and the sections below it detail the first run. A remote run (its
// socket benchmarks' server on an agent's machine) says so in its machine
// line and under each socket group's question, from its remote config
// lines.
//
// Every figure and name on the page comes from the run; the only text
// typed in is the wording, and the one place where a strategy is known
// to do less work than the systems it stands for (differs.go).
package publish
