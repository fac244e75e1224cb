package iostrat

import (
	"fmt"
	"log"
	"runtime"
	"strings"
)

// A Strategy is one way of running concurrent work, registered under a
// stable name. Its zero configuration is the one benchmarks use; every knob
// it turns appears in [Info.Knobs].
type Strategy interface {
	// Name is the strategy's name in benchmark keys (impl=<name>) and on the
	// command line. It contains no space, '/', or '='.
	Name() string
	// Start builds a runtime: its loops, executors, rings or nothing at all,
	// as the model needs. An error wrapping [errors.ErrUnsupported] means the
	// strategy cannot run on this machine (for example no io_uring), and
	// says why.
	Start(Options) (Runtime, error)
}

// A Runtime is a started strategy. Its workload methods are the contract:
// each one runs a workload of exact semantics to completion in the model's
// own idiom and returns a result that proves the work was done.
//
// Workload methods are called by one goroutine at a time; they are not
// called concurrently with each other. Services started by Serve run
// alongside them. After Close every method returns [ErrClosed].
type Runtime interface {
	Dispatcher
	Wakeups
	TimerRunner
	Server

	// Info describes the runtime: model, backend and knobs.
	Info() Info
	// Stats returns a snapshot of the counters the runtime keeps. Work done
	// by a workload call is visible in Stats once that call has returned.
	Stats() Stats
	// Close stops the runtime and its services and releases every
	// goroutine, OS thread and file descriptor it owns before returning.
	// It is idempotent.
	Close() error
}

// Options tune a runtime. The zero value asks for defaults; a runtime
// reports the values it actually used in [Info.Knobs].
type Options struct {
	// Loops is the number of event loops, executors or rings serving
	// connections. 0 means runtime.GOMAXPROCS(0). Strategies with no loops
	// (goroutine) ignore it and say so in their knobs.
	Loops int
	// Trigger selects level- or edge-triggered readiness for strategies
	// built on epoll that offer both. Strategies that do not, ignore it.
	Trigger Trigger
	// ReadBuffer is the size in bytes of each read. 0 means 64 KiB.
	ReadBuffer int
	// HighWater is the pending output, in bytes, at which a connection stops
	// being read until its output drains below half of it (backpressure).
	// 0 means 256 KiB.
	HighWater int
	// Batch bounds the work one loop turn does before it looks at I/O
	// again (callbacks run, completions reaped, tasks polled). 0 means the
	// strategy's default.
	Batch int
	// Logf receives notable events, such as a fallback backend being
	// chosen. nil means log.Printf.
	Logf func(format string, args ...any)
}

// Trigger is how a readiness-based loop is told about fd readiness.
type Trigger uint8

const (
	// Level: an fd is reported for as long as it is ready.
	Level Trigger = iota
	// Edge: an fd is reported when it becomes ready; the loop must drain it.
	Edge
)

func (t Trigger) String() string {
	if t == Edge {
		return "edge"
	}
	return "level"
}

// Defaults used when an [Options] field is zero.
const (
	DefaultReadBuffer = 64 << 10
	DefaultHighWater  = 256 << 10
)

// WithDefaults returns o with every zero field replaced by its default.
func (o Options) WithDefaults() Options {
	if o.Loops <= 0 {
		o.Loops = runtime.GOMAXPROCS(0)
	}
	if o.ReadBuffer <= 0 {
		o.ReadBuffer = DefaultReadBuffer
	}
	if o.HighWater <= 0 {
		o.HighWater = DefaultHighWater
	}
	if o.Logf == nil {
		o.Logf = log.Printf
	}
	return o
}

// Info describes a running runtime so results can say exactly what ran.
type Info struct {
	// Name is the strategy name (see [Strategy.Name]).
	Name string
	// Model is the concurrency model in a few words.
	Model string
	// Backend is the kernel mechanism in use: "netpoll", "epoll",
	// "io_uring", or "emulated" for a completion queue emulated over epoll.
	// It is never left to be guessed.
	Backend string
	// Knobs lists every tuning parameter and the value in use.
	Knobs []Knob
}

// A Knob is one tuning parameter and its value.
type Knob struct{ Key, Value string }

// String formats the info as one line: name, backend, then key=value knobs.
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s backend=%s", i.Name, i.Backend)
	for _, k := range i.Knobs {
		fmt.Fprintf(&b, " %s=%s", k.Key, k.Value)
	}
	return b.String()
}
