package goroutine

import (
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"iostrat"
)

// Strategy is the goroutine-per-task strategy.
type Strategy struct{}

var _ iostrat.Strategy = Strategy{}

// Name returns "goroutine".
func (Strategy) Name() string { return "goroutine" }

// Start returns a runtime. There is nothing to start: the Go runtime is
// already running.
func (Strategy) Start(o iostrat.Options) (iostrat.Runtime, error) {
	// Each blocked reader holds a read buffer of o.ReadBuffer bytes: the
	// strategy's main per-connection memory cost.
	o = o.WithDefaults()
	rt := &goRuntime{opts: o, services: make(map[*service]struct{})}
	rt.bufs.New = func() any { b := make([]byte, o.ReadBuffer); return &b }
	return rt, nil
}

// goRuntime implements iostrat.Runtime with goroutines.
type goRuntime struct {
	opts   iostrat.Options
	closed atomic.Bool

	tasks atomic.Uint64 // goroutines started by workloads and servers
	wakes atomic.Uint64 // wake-ups sent: channel handoffs, broadcasts

	bufs sync.Pool // *[]byte read buffers of opts.ReadBuffer bytes
	outs sync.Pool // *[]byte output buffers, any capacity

	mu       sync.Mutex
	services map[*service]struct{}
}

var _ iostrat.Runtime = (*goRuntime)(nil)

func (rt *goRuntime) Info() iostrat.Info {
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

func (rt *goRuntime) Stats() iostrat.Stats {
	var s iostrat.Stats
	s.Set(iostrat.TasksSpawned, rt.tasks.Load())
	s.Set(iostrat.Wakes, rt.wakes.Load())
	return s
}

// Close closes every service and waits for their goroutines. Workload
// goroutines have all ended when their call returned.
func (rt *goRuntime) Close() error {
	if rt.closed.Swap(true) {
		return nil
	}
	rt.mu.Lock()
	svcs := make([]*service, 0, len(rt.services))
	for s := range rt.services {
		svcs = append(svcs, s)
	}
	rt.mu.Unlock()
	var first error
	for _, s := range svcs {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (rt *goRuntime) check() error {
	if rt.closed.Load() {
		return iostrat.ErrClosed
	}
	return nil
}
