package epoll

import (
	"golang.org/x/sys/unix"
)

// Event is one readiness event: the ready mask and the 64-bit data the fd
// was registered with.
type Event = unix.EpollEvent

// Readiness bits, re-exported so callers need not import unix for them.
const (
	In    = unix.EPOLLIN
	Out   = unix.EPOLLOUT
	Err   = unix.EPOLLERR
	Hup   = unix.EPOLLHUP
	RdHup = unix.EPOLLRDHUP
	ET    = unix.EPOLLET
)

// Data returns the 64-bit data of an event.
func Data(ev *Event) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

// Poller is an epoll instance. Its methods may be called from any
// goroutine; Wait is normally called by one loop goroutine.
type Poller struct {
	fd int
}

// New creates an epoll instance (close-on-exec).
func New() (*Poller, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, &OpError{"epoll_create1", err}
	}
	return &Poller{fd: fd}, nil
}

// FD returns the epoll file descriptor.
func (p *Poller) FD() int { return p.fd }

// Add registers fd for events, carrying data in every event it produces.
func (p *Poller) Add(fd int, events uint32, data uint64) error {
	return p.ctl(unix.EPOLL_CTL_ADD, fd, events, data)
}

// Modify changes the events and data registered for fd.
func (p *Poller) Modify(fd int, events uint32, data uint64) error {
	return p.ctl(unix.EPOLL_CTL_MOD, fd, events, data)
}

// Delete removes fd from the interest list.
func (p *Poller) Delete(fd int) error {
	return p.ctl(unix.EPOLL_CTL_DEL, fd, 0, 0)
}

func (p *Poller) ctl(op, fd int, events uint32, data uint64) error {
	ev := Event{Events: events, Fd: int32(uint32(data)), Pad: int32(uint32(data >> 32))}
	for {
		err := unix.EpollCtl(p.fd, op, fd, &ev)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &OpError{"epoll_ctl", err}
		}
		return nil
	}
}

// Wait fills events with ready fds, blocking for at most msec milliseconds
// (-1: no limit, 0: do not block). An interrupted wait returns 0 events
// and no error, so the caller's loop simply turns again.
func (p *Poller) Wait(events []Event, msec int) (int, error) {
	n, err := unix.EpollWait(p.fd, events, msec)
	if err == unix.EINTR {
		return 0, nil
	}
	if err != nil {
		return 0, &OpError{"epoll_wait", err}
	}
	return n, nil
}

// Close closes the epoll instance.
func (p *Poller) Close() error {
	if err := unix.Close(p.fd); err != nil {
		return &OpError{"close", err}
	}
	return nil
}

// OpError is a failed system call with its name.
type OpError struct {
	Op  string
	Err error
}

func (e *OpError) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *OpError) Unwrap() error { return e.Err }
