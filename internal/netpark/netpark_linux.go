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

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A Parker waits for one file descriptor to become readable on the Go
// netpoller. It owns a duplicate of the descriptor, so the caller keeps
// ownership of the original and closes it as before. One goroutine (the
// loop's) calls Wait; Close may be called once that goroutine is done.
type Parker struct {
	f        *os.File
	rc       syscall.RawConn
	deadline bool        // a read deadline is set on f
	look     func() bool // the current Wait's look
	read     func(uintptr) bool
}

// New returns a Parker for fd, which must be pollable (an epoll fd, an
// eventfd, an io_uring fd).
func New(fd int) (*Parker, error) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("netpark: dup: %w", err)
	}
	if err := unix.SetNonblock(dup, true); err != nil {
		unix.Close(dup)
		return nil, fmt.Errorf("netpark: set non-blocking: %w", err)
	}
	// A non-blocking descriptor passed to os.NewFile is registered with
	// the netpoller.
	f := os.NewFile(uintptr(dup), "netpark")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("netpark: %w", err)
	}
	p := &Parker{f: f, rc: rc}
	// Built once: a closure made per Wait would escape to the heap.
	p.read = func(uintptr) bool { return p.look() }
	return p, nil
}

// Wait calls look, which must not block, until it reports true; between
// calls it parks the goroutine on the netpoller until the descriptor is
// readable. With timeout >= 0 it returns after at most timeout even if
// look never reported true. It returns an error only if the Parker was
// closed or the runtime refused to poll the descriptor.
func (p *Parker) Wait(timeout time.Duration, look func() bool) error {
	switch {
	case timeout >= 0:
		p.deadline = true
		if err := p.f.SetReadDeadline(time.Now().Add(timeout)); err != nil {
			return err
		}
	case p.deadline:
		p.deadline = false
		if err := p.f.SetReadDeadline(time.Time{}); err != nil {
			return err
		}
	}
	p.look = look
	err := p.rc.Read(p.read)
	p.look = nil
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nil
	}
	return err
}

// Close releases the duplicate descriptor.
func (p *Parker) Close() error { return p.f.Close() }
