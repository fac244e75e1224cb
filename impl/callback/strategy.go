package callback

import "iostrat"

// Strategy is the callback strategy: event loops over epoll that run
// posted, timer and readiness callbacks. Its zero value is ready to use.
//
// Strategy and the files named strategy*.go are the adapter from the
// iostrat contract to this package's library (Loop, Server): they
// translate options, counters and errors, and write each workload as a
// callback program.
type Strategy struct{}

var _ iostrat.Strategy = Strategy{}

// Name returns "callback".
func (Strategy) Name() string { return "callback" }

// Start starts Options.Loops event loops (default GOMAXPROCS), each on its
// own OS thread, and returns the runtime that drives them.
func (Strategy) Start(o iostrat.Options) (iostrat.Runtime, error) { return start(o) }
