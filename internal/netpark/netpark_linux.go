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
