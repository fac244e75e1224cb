package thread

import (
	"errors"
	"fmt"
)

// Limits are the facts that bound how many threads a thread-per-task
// program may run at once, read from the kernel when the package is first
// used, and the cap this package derives from them.
type Limits struct {
	// ThreadsMax is /proc/sys/kernel/threads-max: threads the whole
	// system may have (the kernel sizes it from memory).
	ThreadsMax int
	// PidMax is /proc/sys/kernel/pid_max: every thread takes a pid, from
	// one space shared by every process on the system.
	PidMax int
	// Nproc is the soft RLIMIT_NPROC: threads and processes this user may
	// run, or -1 for no limit.
	Nproc int
	// Cap is how many threads this package runs at once at most, all
	// Groups and Servers together: half the smallest of the three limits
	// above, leaving the other half to the rest of the system. A Group.Go
	// or accepted connection over it is refused with a [LimitError].
	Cap int
	// CapFrom says which limit Cap is half of, with its value.
	CapFrom string
	// GoMaxThreads is the Go runtime's own thread limit
	// (runtime/debug.SetMaxThreads, 10,000 by default), which kills the
	// process when exceeded. The package raises it to Cap plus that
	// default, so that its threads cannot exhaust the allowance the rest
	// of the program counts on; it never lowers it.
	GoMaxThreads int
}

// ErrThreadLimit is wrapped by every [LimitError].
var ErrThreadLimit = errors.New("thread: too many threads")

// A LimitError says that starting more threads would exceed [Limits.Cap].
// It wraps ErrThreadLimit and errors.ErrUnsupported: a workload that needs
// more threads than the machine allows is one this model cannot run here.
type LimitError struct {
	Asked   int    // threads asked for
	Running int    // threads of this package running when asked
	Cap     int    // Limits.Cap
	From    string // Limits.CapFrom
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("thread: %d more threads with %d running exceeds the cap of %d threads (half of %s)",
		e.Asked, e.Running, e.Cap, e.From)
}

func (e *LimitError) Unwrap() []error { return []error{ErrThreadLimit, errors.ErrUnsupported} }
