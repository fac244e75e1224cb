package goroutine

import (
	"runtime"
	"strconv"

	"iostrat"
	"iostrat/internal/lifecycle"
)

// Strategy is the goroutine-per-task strategy.
type Strategy struct{}

var _ iostrat.Strategy = Strategy{}

// Name returns "goroutine".
func (Strategy) Name() string { return "goroutine" }

// Start returns a runtime. There is nothing to start: the Go runtime is
// already running.
func (Strategy) Start(o iostrat.Options) (iostrat.Runtime, error) {
	return &strategyRuntime{opts: o.WithDefaults()}, nil
}

// strategyRuntime implements iostrat.Runtime with goroutines: the
// workloads are plain Go in strategy_workloads.go, Serve runs a [Server].
type strategyRuntime struct {
	life lifecycle.Lifecycle
	opts iostrat.Options

	// count is shared by the workloads and every Server: Tasks counts
	// workload goroutines and connection goroutines, Wakes the wake-ups
	// the workloads send.
	count Counters
}

var _ iostrat.Runtime = (*strategyRuntime)(nil)

func (rt *strategyRuntime) Info() iostrat.Info {
	return iostrat.Info{
		Name:    "goroutine",
		Model:   "goroutine-per-task",
		Backend: "netpoll",
		Knobs: []iostrat.Knob{
			{Key: "gomaxprocs", Value: strconv.Itoa(runtime.GOMAXPROCS(0))},
			{Key: "read-buffer", Value: strconv.Itoa(rt.opts.ReadBuffer)},
			{Key: "loops", Value: "n/a (Go scheduler)"},
			{Key: "park", Value: "n/a (no loop: a blocked goroutine gives its P back)"},
			{Key: "backpressure", Value: "blocking write"},
		},
	}
}

func (rt *strategyRuntime) Stats() iostrat.Stats {
	var s iostrat.Stats
	s.Set(iostrat.TasksSpawned, rt.count.Tasks.Load())
	s.Set(iostrat.Wakes, rt.count.Wakes.Load())
	return s
}

// Close closes every service and waits for their goroutines. There is no
// library to stop: workload goroutines have all ended when their call
// returned, and the Go runtime is not ours to stop.
func (rt *strategyRuntime) Close() error {
	return rt.life.Close(nil)
}
