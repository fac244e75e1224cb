package thread

import (
	"fmt"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"

	"iostrat"
	"iostrat/internal/lifecycle"
)

// Start reads the thread limits (raising the Go runtime's own, see
// [Limits]) and returns a runtime. There is nothing to start: every task
// brings its own thread.
func (Strategy) Start(o iostrat.Options) (iostrat.Runtime, error) {
	limits, err := ProcessLimits()
	if err != nil {
		return nil, err
	}
	rt := &strategyRuntime{opts: o.WithDefaults(), limits: limits}
	if err := unix.Getrusage(unix.RUSAGE_SELF, &rt.startUsage); err != nil {
		return nil, fmt.Errorf("thread: getrusage: %w", err)
	}
	return rt, nil
}

// strategyRuntime implements iostrat.Runtime with a thread per task: the
// workloads are in strategy_workloads_linux.go, Serve runs a [Server].
type strategyRuntime struct {
	life   lifecycle.Lifecycle
	opts   iostrat.Options
	limits Limits

	// count is shared by the workloads and every Server.
	count Counters
	// startUsage is the process's resource usage at Start: the context
	// switch counters are reported from it.
	startUsage unix.Rusage
}

var _ iostrat.Runtime = (*strategyRuntime)(nil)

func (rt *strategyRuntime) Info() iostrat.Info {
	l := rt.limits
	nproc := "unlimited"
	if l.Nproc >= 0 {
		nproc = strconv.Itoa(l.Nproc)
	}
	return iostrat.Info{
		Name:    "thread",
		Model:   "thread-per-task",
		Backend: "blocking syscalls + futex",
		Knobs: []iostrat.Knob{
			{Key: "gomaxprocs", Value: strconv.Itoa(runtime.GOMAXPROCS(0))},
			{Key: "read-buffer", Value: strconv.Itoa(rt.opts.ReadBuffer)},
			{Key: "thread-cap", Value: fmt.Sprintf("%d (half of %s)", l.Cap, l.CapFrom)},
			{Key: "threads-max", Value: strconv.Itoa(l.ThreadsMax)},
			{Key: "pid-max", Value: strconv.Itoa(l.PidMax)},
			{Key: "rlimit-nproc", Value: nproc},
			{Key: "go-max-threads", Value: strconv.Itoa(l.GoMaxThreads)},
			{Key: "thread-stack", Value: ThreadStack},
			{Key: "loops", Value: "n/a (one thread per task)"},
			{Key: "park", Value: "n/a (every wait blocks its own thread in the kernel)"},
			{Key: "waits", Value: "futex"},
			{Key: "timers", Value: "a thread per timer in FUTEX_WAIT_BITSET with an absolute CLOCK_MONOTONIC deadline"},
			{Key: "pingpong", Value: "same, hog: threads pinned to one CPU; cross: to two CPUs when allowed"},
			{Key: "backpressure", Value: "blocking write"},
		},
	}
}

func (rt *strategyRuntime) Stats() iostrat.Stats {
	var s iostrat.Stats
	threads := rt.count.Threads.Load()
	s.Set(iostrat.TasksSpawned, threads)
	s.Set(iostrat.Threads, threads)
	s.Set(iostrat.Wakes, rt.count.Wakes.Load())
	s.Set(iostrat.SysFutexWait, rt.count.FutexWaits.Load())
	s.Set(iostrat.SysFutexWake, rt.count.FutexWakes.Load())
	s.Set(iostrat.SysSchedYield, rt.count.Yields.Load())
	s.Set(iostrat.SysRead, rt.count.Reads.Load())
	s.Set(iostrat.SysWrite, rt.count.Writes.Load())
	s.Set(iostrat.SysAccept, rt.count.Accepts.Load())
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) == nil {
		s.Set(iostrat.CtxSwitchesVoluntary, uint64(ru.Nvcsw-rt.startUsage.Nvcsw))
		s.Set(iostrat.CtxSwitchesInvoluntary, uint64(ru.Nivcsw-rt.startUsage.Nivcsw))
	}
	return s
}

// Close closes every service and waits for its threads. There is no
// library to stop: the threads of a workload have all ended their tasks
// when its call returned.
func (rt *strategyRuntime) Close() error {
	return rt.life.Close(nil)
}
