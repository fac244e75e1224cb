package iostrat

import (
	"fmt"
	"log"
	"runtime"
	"strconv"
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
	// Park selects how an idle loop, executor or ring waits for work
	// (see [Park]). Strategies with no loop of their own (goroutine)
	// ignore it and say so in their knobs.
	Park Park
	// ReadBuffer is the size in bytes of each read. 0 means
	// [DefaultReadBuffer], the same for every strategy.
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

// Park is how an idle loop thread waits for its next event.
//
// A loop thread blocked in a system call (epoll_wait, io_uring_enter)
// keeps the Go scheduler's P it was running on until the runtime's monitor
// thread (sysmon, every 20 µs to 10 ms) takes it back; with GOMAXPROCS 1
// the goroutine the loop just woke — a workload's caller, a Go peer —
// waits that long for a P. Parked on the netpoller, the loop gives its P
// back at once, as a goroutine blocked on a socket does: the loop's epoll
// fd (or the eventfd its ring signals) is registered with the Go runtime's
// own poller, and the loop waits on it like a net.Conn read.
type Park uint8

const (
	// ParkNetpoll: an idle loop waits on the Go runtime's netpoller and
	// gives its P back at once. The default.
	ParkNetpoll Park = iota
	// ParkThread: an idle loop blocks its thread in the kernel (epoll_wait,
	// io_uring_enter with a wait) and keeps its P until sysmon retakes it,
	// as a C event loop embedded in a Go program would.
	ParkThread
)

func (p Park) String() string {
	if p == ParkThread {
		return "thread"
	}
	return "netpoll"
}

// Defaults used when an [Options] field is zero.
const (
	// DefaultReadBuffer is the size of every read, for every strategy.
	// 16 KiB: the largest TLS record, and the buffer Go's net/http,
	// gnet and most io_uring servers read into. Every blocked reader of
	// the goroutine strategy holds one (10,000 idle connections hold
	// 160 MiB at 16 KiB, 640 MiB at 64 KiB), and the completion queue
	// lends the kernel a ring of them; a loop strategy holds one per loop,
	// so the size is its only difference from the others, not the number.
	DefaultReadBuffer = 16 << 10
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

// Knob returns the value of the knob key, or "" if the runtime has none.
func (i Info) Knob(key string) string {
	for _, k := range i.Knobs {
		if k.Key == key {
			return k.Value
		}
	}
	return ""
}

// A Knob is one tuning parameter and its value.
type Knob struct{ Key, Value string }

// String formats the knob as key=value, quoting a value that is empty or
// holds a space, tab or quote, so a line of knobs splits back into them.
// It is the one formatter of knobs: headers, logs and `iostrat list` use it.
func (k Knob) String() string {
	v := k.Value
	if v == "" || strings.ContainsAny(v, " \t\"") {
		v = strconv.Quote(v)
	}
	return k.Key + "=" + v
}

// String formats the info as one line: name, backend, then key=value knobs.
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s backend=%s", i.Name, i.Backend)
	for _, k := range i.Knobs {
		b.WriteString(" " + k.String())
	}
	return b.String()
}
