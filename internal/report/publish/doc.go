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
// Every figure and name on the page comes from the run; the only text
// typed in is the wording, and the one place where a strategy is known
// to do less work than the systems it stands for (differs.go).
package publish
