package iostrat

// A Counter names one statistic a runtime may keep. Runtimes count only
// what their model actually does; a counter a runtime does not keep is
// absent from its [Stats] (reported as n/a), never zero-filled.
type Counter uint8

// The counters. Syscall counters (Sys*) count calls the strategy itself
// makes; the goroutine strategy cannot see the Go runtime's own netpoller
// calls and does not claim them.
const (
	TasksSpawned      Counter = iota // tasks, goroutines or operations started
	Polls                            // Future.Poll calls made by an executor
	Wakes                            // wake-ups delivered to waiting tasks
	SpuriousWakes                    // polls or wake-ups that found nothing to do
	CallbacksRun                     // callbacks run by an event loop
	CompletionsReaped                // completions taken off a completion queue
	Parks                            // times a loop or executor blocked in the kernel waiting for work
	SysEpollWait                     // epoll_wait / epoll_pwait calls
	SysEpollCtl                      // epoll_ctl calls
	SysIOUringEnter                  // io_uring_enter calls
	SysRead                          // read / recv calls on sockets
	SysWrite                         // write / send calls on sockets
	SysAccept                        // accept4 calls
	SysEventfdWrite                  // eventfd writes (cross-thread wake signals)
	SysEventfdRead                   // eventfd reads

	// Counters of the thread-per-task model; the first three are syscalls.
	SysFutexWait           // FUTEX_WAIT calls (a thread blocking in the kernel, timed waits included)
	SysFutexWake           // FUTEX_WAKE calls
	SysSchedYield          // sched_yield calls
	Threads                // OS threads started, each for one task and ended with it
	CtxSwitchesVoluntary   // voluntary context switches of the whole process (getrusage)
	CtxSwitchesInvoluntary // involuntary context switches of the whole process (getrusage)

	numCounters

	// lastSyscall is the last syscall counter: the counters after it are
	// not system calls and stay out of [Stats.Syscalls].
	lastSyscall = SysSchedYield
)

var counterNames = [numCounters]string{
	TasksSpawned:      "tasks",
	Polls:             "polls",
	Wakes:             "wakes",
	SpuriousWakes:     "spurious-wakes",
	CallbacksRun:      "callbacks",
	CompletionsReaped: "completions",
	Parks:             "parks",
	SysEpollWait:      "epoll-waits",
	SysEpollCtl:       "epoll-ctls",
	SysIOUringEnter:   "enters",
	SysRead:           "reads",
	SysWrite:          "writes",
	SysAccept:         "accepts",
	SysEventfdWrite:   "eventfd-writes",
	SysEventfdRead:    "eventfd-reads",
	SysFutexWait:      "futex-waits",
	SysFutexWake:      "futex-wakes",
	SysSchedYield:     "sched-yields",
	Threads:           "threads",

	CtxSwitchesVoluntary:   "ctx-switches-voluntary",
	CtxSwitchesInvoluntary: "ctx-switches-involuntary",
}

// String is the counter's name as used in benchmark units ("wakes" gives
// "wakes/op").
func (c Counter) String() string {
	if c < numCounters {
		return counterNames[c]
	}
	return "unknown"
}

// Counters lists every counter in order.
func Counters() []Counter {
	cs := make([]Counter, numCounters)
	for i := range cs {
		cs[i] = Counter(i)
	}
	return cs
}

// Stats is a snapshot of a runtime's counters. The zero value keeps nothing.
type Stats struct {
	kept   uint32 // bit c set: counter c is kept
	values [numCounters]uint64
}

// Set records counter c with value v and marks it kept.
func (s *Stats) Set(c Counter, v uint64) {
	s.kept |= 1 << c
	s.values[c] = v
}

// Add adds v to counter c and marks it kept.
func (s *Stats) Add(c Counter, v uint64) {
	s.kept |= 1 << c
	s.values[c] += v
}

// Get returns counter c and whether the runtime keeps it.
func (s Stats) Get(c Counter) (v uint64, kept bool) {
	return s.values[c], s.kept&(1<<c) != 0
}

// Kept reports whether counter c is kept.
func (s Stats) Kept(c Counter) bool { return s.kept&(1<<c) != 0 }

// Syscalls returns the total of the syscall counters kept, and whether any
// is kept.
func (s Stats) Syscalls() (total uint64, kept bool) {
	for c := SysEpollWait; c <= lastSyscall; c++ {
		if s.Kept(c) {
			total += s.values[c]
			kept = true
		}
	}
	return total, kept
}

// Sub returns s minus earlier, counter by counter, for the counters kept in
// s: the work done between two snapshots.
func (s Stats) Sub(earlier Stats) Stats {
	d := Stats{kept: s.kept}
	for c := range numCounters {
		d.values[c] = s.values[c] - earlier.values[c]
	}
	return d
}

// Merge adds every counter kept in o to s; runtimes with several loops use
// it to sum per-loop counters.
func (s *Stats) Merge(o Stats) {
	for c := range numCounters {
		if o.Kept(c) {
			s.Add(c, o.values[c])
		}
	}
}
