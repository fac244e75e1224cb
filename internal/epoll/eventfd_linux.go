package epoll

import (
	"encoding/binary"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Notifier is a non-blocking eventfd used to wake a loop blocked in
// epoll_wait from another thread. Signals are coalesced: between two
// Drains, only the first Signal writes to the eventfd, so a storm of
// cross-thread wake-ups costs one write per loop turn, not one per wake.
//
//	state   meaning                         Signal                 Drain
//	idle    no wake-up pending              write, -> pending       nothing to read
//	pending a write is in the eventfd       nothing (coalesced)     read, -> idle
type Notifier struct {
	fd      int
	pending atomic.Bool
	buf     [8]byte // read target; heap, via the Notifier
	one     [8]byte // the 8-byte value 1, written by Signal
}

// NewNotifier creates the eventfd (non-blocking, close-on-exec).
func NewNotifier() (*Notifier, error) {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, &OpError{"eventfd", err}
	}
	n := &Notifier{fd: fd}
	binary.NativeEndian.PutUint64(n.one[:], 1)
	return n, nil
}

// FD returns the eventfd, to register with a Poller for reading.
func (n *Notifier) FD() int { return n.fd }

// Signal wakes the loop. It reports whether it wrote to the eventfd (false:
// a wake-up was already pending). Safe from any goroutine.
func (n *Notifier) Signal() (wrote bool, err error) {
	if n.pending.Load() || n.pending.Swap(true) {
		return false, nil
	}
	for {
		_, err := unix.Write(n.fd, n.one[:])
		switch err {
		case nil, unix.EAGAIN: // EAGAIN: counter saturated, a wake-up is pending anyway
			return true, nil
		case unix.EINTR:
			continue
		default:
			return true, &OpError{"eventfd write", err}
		}
	}
}

// Drain consumes a pending wake-up on the loop's side and re-arms Signal.
// It reports whether it read from the eventfd. Call it when the poller
// reports the eventfd readable, before looking at the work the wake-up
// announced, so a Signal racing with it is never lost.
func (n *Notifier) Drain() (read bool, err error) {
	if !n.pending.Load() {
		return false, nil
	}
	// Read, then re-arm: a Signal that lands in between finds pending still
	// set and skips its write, but its work was published before it, so the
	// caller, which looks for work after Drain, sees it. Re-arming first
	// could let that Signal's write be consumed by this read while pending
	// stays set, and every later Signal would be swallowed.
	for {
		_, err := unix.Read(n.fd, n.buf[:])
		switch err {
		case nil, unix.EAGAIN:
			n.pending.Store(false)
			return true, nil
		case unix.EINTR:
			continue
		default:
			n.pending.Store(false)
			return true, &OpError{"eventfd read", err}
		}
	}
}

// Close closes the eventfd.
func (n *Notifier) Close() error {
	if err := unix.Close(n.fd); err != nil {
		return &OpError{"close", err}
	}
	return nil
}

// Rearm re-arms Signal after the eventfd was read on the loop's behalf by
// someone else (an io_uring read kept armed on it), which leaves nothing
// for Drain to read. Call it when that read completes, before looking at
// the work the wake-up announced, for the reason given in Drain.
func (n *Notifier) Rearm() { n.pending.Store(false) }

// NewWithNotifier creates a poller with a new Notifier registered in it,
// level-triggered (the eventfd stays readable until Drain reads it), its
// events carrying data: the set-up of every loop that other threads wake.
func NewWithNotifier(data uint64) (*Poller, *Notifier, error) {
	p, err := New()
	if err != nil {
		return nil, nil, err
	}
	n, err := NewNotifier()
	if err != nil {
		p.Close()
		return nil, nil, err
	}
	if err := p.Add(n.FD(), In, data); err != nil {
		n.Close()
		p.Close()
		return nil, nil, err
	}
	return p, n, nil
}
