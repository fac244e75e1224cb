// Package netpark parks a loop goroutine on the Go runtime's own
// netpoller instead of in a blocking system call. It sits below the
// strategies that run their own loop (callback, futures, the completion
// port), beside internal/epoll.
//
// # Why
//
// A goroutine blocked in a system call (epoll_wait, io_uring_enter) keeps
// its P — the right to run Go code — until the runtime's monitor thread,
// sysmon, notices and hands the P to someone else. sysmon looks every
// 20 µs when busy and backs off to 10 ms when idle. With GOMAXPROCS 1 the
// goroutine that is waiting for the loop's answer (the caller of a
// workload) is runnable but has no P until then: every hand-off from the
// loop back to Go code waits a sysmon tick, and wall time per call grows
// far beyond the CPU time the loop used.
//
// A goroutine parked on the netpoller gives its P back at once, as any
// goroutine blocked on a channel or a net.Conn does. The loop's own wait
// object — an epoll fd, or an eventfd a ring signals — is itself readable
// when there is something to do, so it can be registered with the Go
// runtime's epoll (nested epoll) like a socket, and the loop waits for it
// as net.Conn.Read waits for a socket.
//
// # The lost-wake-up rule
//
// The runtime clears a pending readiness notification when a wait begins
// (internal/poll's prepareRead), so a notification that arrived after the
// loop's last look and before the wait would be lost. [Parker.Wait]
// therefore takes the loop's non-blocking look as a function and calls it
// after the wait has begun, as internal/poll calls a read: any event after
// that look raises a new notification, which the wait sees.
package netpark

// Mode is how an idle loop waits for its next event. The loop libraries
// (callback, futures, the completion port) take it in their Config under
// the name Park; the contract's iostrat.Park is translated into it by
// their adapters.
type Mode uint8

const (
	// Netpoll parks the loop goroutine on the Go netpoller with a
	// [Parker]: it gives its P back at once. The zero value.
	Netpoll Mode = iota
	// Thread blocks the loop's thread in the kernel (epoll_wait,
	// io_uring_enter), as a C event loop embedded in a Go program does: it
	// keeps its P until sysmon retakes it.
	Thread
)

func (m Mode) String() string {
	if m == Thread {
		return "thread"
	}
	return "netpoll"
}
