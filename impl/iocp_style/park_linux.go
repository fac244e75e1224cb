package iocpstyle

import (
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"iostrat/internal/netpark"
)

// Parking an io_uring port on the Go netpoller (Config.Park ParkNetpoll).
//
// The netpoller can only wait for an fd to become readable, so the ring
// needs an fd that becomes readable when a completion is pending. There
// are two candidates, and only one works with DEFER_TASKRUN:
//
//   - The ring fd itself is pollable, but on a DEFER_TASKRUN ring a
//     completion (a timeout expiring, data arriving for a receive, a
//     MSG_RING from another ring) is first queued as deferred work for the
//     owner's next io_uring_enter, and queueing it wakes only a task
//     waiting in io_uring_enter, never the ring fd's poll waiters: they
//     are woken when CQEs are posted, which happens inside our own enter.
//     A loop parked on the ring fd sleeps through its completions
//     (TestRingFDMissesDeferredWork shows it on the running kernel).
//   - An eventfd registered with IORING_REGISTER_EVENTFD is signalled both
//     when CQEs are posted and when deferred work is queued to an empty
//     list, unless IORING_CQ_EVENTFD_DISABLED is set in the CQ ring flags.
//
// So the port registers an eventfd, and it registers the one it already
// has: the cross-thread post eventfd (crossThread.wake). A Post writes it,
// the ring signals it, and the netpoller wakes the owner for either: one
// fd, and a post costs the poster one eventfd write and the owner no
// system call at all (in ParkThread mode the ring keeps a read of that
// eventfd armed instead, which the owner must re-arm after every wake-up).
// Keeping the read armed in netpoll mode as well would not work: the read
// completes inside the poster's eventfd write, where io_uring may not
// signal an eventfd directly; it defers the signal by an RCU grace period,
// and on Linux 6.18 the registration's "signal deferred" bit stays set
// afterwards: every later signal made from inside an eventfd wake-up is
// dropped, for the life of the registration (observed, not traced in the
// kernel source: the first cross-thread post woke the loop only after the
// grace period, the next ones never did). The eventfd is never read in
// netpoll mode: the netpoller is edge-triggered, every signal is a new
// edge, and its count means nothing.
//
// The same deferral hits a caller's OpRead or OpWrite of an eventfd that
// another thread writes or reads: its completion is queued inside that
// thread's eventfd wake-up. The port cannot afford to ask which fds are
// eventfds on every submission, but reads and writes (of pipes and other
// streams; sockets use OpRecv and OpSend) are rare enough to fstat: one of
// an anonymous-inode fd (an eventfd, timerfd, signalfd, …) renews the
// registration when it completes, which clears the bit. Its wake-up still
// waits the RCU grace period; park the thread (ParkThread) where that
// matters.
//
// While the owner runs, CQ_EVENTFD_DISABLED is set, so the kernel signals
// nothing for the CQEs our own enters post; the look clears it just before
// the owner parks and the park sets it again on waking. Clearing it is a
// sequentially consistent atomic store followed by loads of the SQ flags
// and the CQ tail; the kernel queues deferred work with a full barrier,
// sets IORING_SQ_TASKRUN with a locked instruction (on amd64 a full
// barrier too), then reads the CQ flags to decide whether to signal.
// Either it sees the flag clear and signals, or the look sees
// IORING_SQ_TASKRUN: no completion is slept through. (On arm64 the
// kernel's flag update is a relaxed atomic that its read may pass; there
// the look would have to enter the ring once more after clearing the
// flag, a system call per park that amd64 does not need.)
//
// The netpoller needs DEFER_TASKRUN for this. Without it, completions are
// run as task work on the owner thread, which a goroutine parked on the
// netpoller does not run while it sleeps; such a port parks its thread.

// errParkNeedsDeferTaskrun: ParkNetpoll on a ring the kernel would not set
// up DEFER_TASKRUN, or without CQ ring flags (Linux before 5.8).
var errParkNeedsDeferTaskrun = errors.New("iocpstyle: parking on the netpoller needs a DEFER_TASKRUN ring with CQ flags; parking the thread instead")

// setupNetpoll registers the cross-thread eventfd with the ring and with
// the Go netpoller, and silences it while the owner runs.
func (u *uringPort) setupNetpoll() error {
	if !u.deferTaskrun || u.r.cqFlags == nil {
		return errParkNeedsDeferTaskrun
	}
	fd := new(int32) // heap: the kernel reads it during the call
	*fd = int32(u.x.wake.FD())
	// Safety: fd is heap memory, read by the kernel only during the call.
	if _, err := u.r.register(registerEventfd, unsafe.Pointer(fd), 1); err != nil {
		return err
	}
	atomic.StoreUint32(u.r.cqFlags, cqEventfdDisabled)
	p, err := netpark.New(u.x.wake.FD())
	if err != nil {
		u.r.register(unregisterEventfd, nil, 0)
		atomic.StoreUint32(u.r.cqFlags, 0)
		return err
	}
	u.parker = p
	u.look = u.lookOnce
	return nil
}

// renewEventfd registers the eventfd afresh (see above: a new
// registration has its "signal deferred" bit clear). A failure leaves the
// old registration, which still signals outside eventfd wake-ups.
func (u *uringPort) renewEventfd() {
	fd := new(int32)
	*fd = int32(u.x.wake.FD())
	if _, err := u.r.register(unregisterEventfd, nil, 0); err != nil {
		return
	}
	// Safety: fd is heap memory, read by the kernel only during the call.
	if _, err := u.r.register(registerEventfd, unsafe.Pointer(fd), 1); err != nil {
		u.auxErr = fmt.Errorf("iocpstyle: renewing the ring's eventfd: %w", err)
	}
}

// anonInode reports whether fd is an anonymous-inode fd, which has no
// file type in its mode: an eventfd, a timerfd, a signalfd and the like.
func anonInode(fd int) bool {
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == 0
}

// park waits on the Go netpoller until the kernel has a completion for us
// or another thread has posted one.
func (u *uringPort) park() error {
	err := u.parker.Wait(-1, u.look)
	atomic.StoreUint32(u.r.cqFlags, cqEventfdDisabled)
	return err
}

// lookOnce is park's non-blocking look, called by the netpoller after it
// has begun to watch the eventfd (it has dropped any readiness seen
// before). It re-arms Post's signal and lets the kernel signal, then
// reports whether anything is pending already; false parks the owner.
//
// Post's signal is re-armed here, just before parking, and not when posts
// are taken: while the owner runs, posters skip the eventfd write (their
// posts are taken at the next turn), and a signal sent before this look
// may have been dropped with the readiness it raised, so the next one
// must write again. Rearm is a store and x.pending a load, both
// sequentially consistent, against the poster's queue store and its load
// of the signal flag: either the poster writes after the netpoller began
// to watch, or the look sees its post.
func (u *uringPort) lookOnce() bool {
	u.x.wake.Rearm()
	atomic.StoreUint32(u.r.cqFlags, 0)
	if u.x.pending() || u.r.needsEnter() || u.r.cqReady() != u.r.head {
		return true
	}
	u.cnt.NetpollParks++
	return false
}

// takePostsDirect takes the posts queued for a netpoll-parked port, whose
// eventfd is never read (see lookOnce for when its signal is re-armed).
func (u *uringPort) takePostsDirect() {
	if u.x.pending() {
		u.takePosts()
	}
}
