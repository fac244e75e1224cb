package iocpstyle

import (
	"errors"
	"syscall"
	"time"

	"iostrat/internal/netpark"
)

// A Token is the caller's name for an operation, returned in its
// completion. The port never interprets it. Tokens of posted completions
// (see [Port.Post]) are limited to [MaxPostToken].
type Token uint64

// MaxPostToken is the largest token a posted completion can carry: on
// io_uring a posted completion travels in a CQE's 64-bit user_data, whose
// top byte says what the CQE is.
const MaxPostToken Token = 1<<56 - 1

// An OpID names a submitted operation for [Port.Cancel]. It stays valid
// until the operation's final completion has been returned by Wait.
type OpID uint64

// OpKind is the operation a submission asks for.
type OpKind uint8

// The operations. Each borrows Op.Buf (if any) until its final completion.
const (
	// OpNop completes at once with result 0: the cost of the queue itself.
	OpNop OpKind = iota
	// OpAccept accepts a connection on the listening socket Op.FD; the
	// result is the new socket, non-blocking and close-on-exec. With
	// Op.Multishot it stays armed and completes once per connection.
	OpAccept
	// OpRecv receives from the socket Op.FD into Op.Buf; the result is the
	// byte count, 0 at end of stream. With Op.Buf nil the port picks a
	// provided buffer (Config.Buffers), so an idle connection holds none;
	// with Op.Multishot (provided buffers only) it stays armed and
	// completes once per chunk received.
	OpRecv
	// OpSend sends Op.Buf on the socket Op.FD; the result is the byte count
	// sent, which may be short (the caller submits the rest).
	OpSend
	// OpRead reads from Op.FD (a pipe, eventfd or other stream) into Op.Buf.
	OpRead
	// OpWrite writes Op.Buf to Op.FD.
	OpWrite
	// OpTimeout completes when Op.Deadline (or Op.Timeout from submission)
	// passes, with a nil error, or with ECANCELED if cancelled first.
	OpTimeout
	// OpClose closes Op.FD; every other operation on it must have
	// completed. Close fds the port has worked on this way rather than
	// with close(2): the emulated backend drops its per-fd state here.
	OpClose
	// OpShutdown shuts down the sending side of the socket Op.FD
	// (shutdown(2) with SHUT_WR): the peer reads end of stream once what
	// was sent has arrived.
	OpShutdown
	numOpKinds
)

var opKindNames = [numOpKinds]string{"nop", "accept", "recv", "send", "read", "write", "timeout", "close", "shutdown"}

func (k OpKind) String() string {
	if k < numOpKinds {
		return opKindNames[k]
	}
	return "unknown"
}

// An Op is one submission: what to do, on which fd, with which
// caller-owned buffer, and the token its completion will carry.
type Op struct {
	Kind  OpKind
	FD    int
	Token Token
	// Buf is lent to the kernel (or, emulated, to the port) from Submit
	// until the operation's final completion is returned by Wait; the
	// caller must not read or write it in between, and the port keeps it
	// reachable for as long. After that completion the port never touches
	// it again.
	Buf []byte
	// Multishot keeps an accept or a provided-buffer recv armed: it
	// completes many times, each completion with More set, until a final
	// one without.
	Multishot bool
	// Deadline is an OpTimeout's absolute expiry on the [Monotonic] clock;
	// when zero, Timeout from submission is used.
	Deadline int64
	Timeout  time.Duration
}

// A Completion is one finished operation or posted event.
type Completion struct {
	// Token is the operation's or the post's token.
	Token Token
	// Result is the operation's result: bytes transferred, the accepted
	// fd, or the value posted. It is 0 when Err is set.
	Result int
	// Err is nil on success, ECANCELED (see [ErrCanceled]) for a cancelled
	// operation, or the errno the operation failed with.
	Err error
	// Buf is the operation's buffer, back in the caller's hands, cut to
	// the bytes received for receives and reads. For a provided-buffer
	// receive it is a view of the port's buffer, valid until the next
	// Wait, which recycles it.
	Buf []byte
	// More says a multishot operation stays armed: more completions will
	// follow for it, and its buffer (if any) stays lent.
	More bool
	// Posted says the completion came from Post or PostTo, not from an
	// operation.
	Posted bool

	provided bool // Buf is an emulated provided buffer, recycled after delivery
}

// Errors of the port.
var (
	// ErrCanceled is the error of a cancelled operation's completion:
	// ECANCELED, as io_uring reports it.
	ErrCanceled error = syscall.ECANCELED
	// ErrClosed: the port was closed.
	ErrClosed = errors.New("iocpstyle: port closed")
	// ErrNotFound: Cancel of an operation that already completed.
	ErrNotFound = errors.New("iocpstyle: no such operation in flight")
	// ErrTokenRange: a posted token above MaxPostToken.
	ErrTokenRange = errors.New("iocpstyle: posted token above MaxPostToken")
	// ErrNoBuffers: a receive without a buffer on a port with no provided
	// buffers, or a multishot receive with a buffer.
	ErrNoBuffers = errors.New("iocpstyle: receive needs Op.Buf or provided buffers (Config.Buffers), and multishot needs provided buffers")
)

// Backend selects the port's mechanism.
type Backend uint8

const (
	// Auto uses io_uring if this kernel allows it, else the emulated
	// backend, saying so through Config.Logf.
	Auto Backend = iota
	// Uring uses io_uring only: NewPort fails, wrapping
	// errors.ErrUnsupported, when it is unavailable.
	Uring
	// Emulated runs the same API on an emulated proactor over
	// edge-triggered epoll, even where io_uring works, so the two can be
	// measured side by side.
	Emulated
)

func (b Backend) String() string {
	switch b {
	case Uring:
		return "io_uring"
	case Emulated:
		return "emulated"
	}
	return "auto"
}

// Config tunes a port. The zero value is usable.
type Config struct {
	// Backend chooses io_uring, the emulated proactor, or either.
	Backend Backend
	// Entries is the submission queue size (io_uring SQ entries), rounded
	// up to a power of two by the kernel. 0 means 256.
	Entries int
	// CQEntries is the completion queue size; 0 means 4*Entries. It is
	// kept larger than the SQ so a full SQ's completions fit.
	CQEntries int
	// Buffers and BufferSize describe the provided buffers shared by the
	// port's receives with Op.Buf nil. Buffers 0 means none.
	Buffers    int
	BufferSize int
	// Park says how Wait waits when no completion is ready: on the Go
	// netpoller (the default) or blocked in the kernel.
	Park Park
	// PostKernel makes every completion the owner posts to its own port
	// (PostTo the port itself) a no-op SQE carrying the token through the
	// ring, as IOCP's PostQueuedCompletionStatus goes through the kernel:
	// each such hop then costs an io_uring_enter. By default (false) a
	// self-post goes to the port's user-space ready queue, as io_uring
	// runtimes keep ready tasks, and the ring carries only I/O, the timer
	// and posts between threads. The emulated backend always posts in user
	// space and ignores it.
	PostKernel bool
	// Logf receives notable events, such as the fallback to the emulated
	// backend. nil means none.
	Logf func(format string, args ...any)

	// setup replaces io_uring_setup(2) in tests.
	setup setupFunc
}

// Park is how Wait waits for completions when none is ready.
//
// A goroutine blocked in a system call (io_uring_enter, epoll_wait) keeps
// the Go scheduler's P it runs on until the runtime's monitor thread,
// sysmon, takes it back (after 20 µs to 10 ms); with GOMAXPROCS 1 every
// goroutine the owner has just made runnable waits that long. Parked on
// the netpoller, the owner gives its P back at once, as a goroutine
// blocked on a socket does.
type Park = netpark.Mode

const (
	// ParkNetpoll parks the owner goroutine on the Go netpoller: the
	// emulated port's epoll fd, or an eventfd the ring signals, is
	// registered with the Go runtime's own poller (see park_linux.go).
	// The default.
	ParkNetpoll = netpark.Netpoll
	// ParkThread blocks the owner's thread in io_uring_enter or epoll_wait.
	ParkThread = netpark.Thread
)

// Defaults for a zero Config.
const (
	defaultEntries = 256
	cqPerSQ        = 4
)

// Counters are a port's own counts. They are kept by the owner thread
// without atomics, except EventfdWrites which Post makes from any thread.
type Counters struct {
	Submitted     uint64 // operations submitted
	Completed     uint64 // completions returned by Wait (operations and posts)
	Posted        uint64 // posted completions returned by Wait
	Enters        uint64 // io_uring_enter calls
	WaitingEnters uint64 // of which could block waiting for completions (ParkThread)
	EpollWaits    uint64 // epoll_wait calls (emulated)
	BlockingWaits uint64 // of which might block (emulated, ParkThread)
	NetpollParks  uint64 // times Wait parked the owner on the Go netpoller (ParkNetpoll)
	EpollCtls     uint64 // epoll_ctl calls (emulated)
	Reads         uint64 // read/recv calls (emulated)
	Writes        uint64 // write/send calls (emulated)
	Accepts       uint64 // accept4 calls (emulated)
	EventfdReads  uint64 // eventfd reads (emulated; io_uring's ring reads it itself)
	EventfdWrites uint64 // eventfd writes made by Post
	Stale         uint64 // CQEs naming no operation in flight: 0 unless there is a bug
	RingTimeouts  uint64 // ring timeouts armed for the earliest OpTimeout deadline (io_uring)
}

// monotonicEpoch pins [Monotonic] to the kernel's CLOCK_MONOTONIC.
var monoBase, goBase = monotonicEpoch()

// Monotonic returns the time on the clock of Op.Deadline: CLOCK_MONOTONIC,
// in nanoseconds, read through Go's monotonic clock (the same clock, read
// without a system call) from a base taken once. The base is read just
// after the Go clock, so Monotonic is never behind the kernel's clock and
// a deadline computed from it is never early.
func Monotonic() int64 { return monoBase + int64(time.Since(goBase)) }
