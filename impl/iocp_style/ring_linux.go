package iocpstyle

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ring is one io_uring instance: its fd, the shared SQ and CQ rings and the
// SQE array, mapped into this process. It is the mechanism only; what the
// entries mean is the business of uringPort.
//
// Index discipline (the whole protocol between us and the kernel):
//
//	SQ: we own sqTail (write SQEs at sqTail&mask, then publish the tail
//	    just before io_uring_enter, the only place the kernel reads it
//	    without SQPOLL, so a plain store suffices); the kernel owns the SQ head and
//	    advances it as it consumes SQEs, only inside our io_uring_enter, which
//	    returns how many it took: we track it from that, and load it (an
//	    atomic load, an acquire) only when the SQ looks full.
//	CQ: the kernel owns the CQ tail (we read it with an atomic load, an
//	    acquire, before reading the CQEs it covers); we own the CQ head and
//	    publish it with an atomic store after we are done with the CQEs.
//
// The indices are free-running uint32s; Go's sync/atomic has no 16-bit
// operations but needs none here. A ring is used by its owner thread only.
type ring struct {
	fd         int    // the ring's file descriptor
	enterFD    int    // fd, or its registered index when enterFlags has enterRegisteredRing
	enterFlags uint32 // enterRegisteredRing or 0
	setupFlags uint32 // IORING_SETUP_* in effect
	features   uint32 // params.features

	sqMap, cqMap, sqeMap []byte // mmaps; cqMap aliases sqMap with SINGLE_MMAP
	singleMmap           bool

	sqHead  *uint32 // kernel-owned
	sqTail  *uint32 // ours, published
	sqFlags *uint32 // IORING_SQ_*, kernel-owned
	sqMask  uint32
	sqSize  uint32
	sqes    []sqe

	cqHead  *uint32 // ours, published
	cqTail  *uint32 // kernel-owned
	cqFlags *uint32 // IORING_CQ_*, ours (the kernel reads them); nil on kernels before 5.8
	cqMask  uint32
	cqSize  uint32
	cqes    []cqe

	tail      uint32 // next SQE to fill; sqTail lags it until publish
	head      uint32 // next CQE to read; cqHead lags it until release
	published uint32 // the tail last stored to sqTail
	headSeen  uint32 // the SQ head as last known (loaded, or advanced by what enter consumed); the kernel's is at least this
	released  uint32 // the head last stored to cqHead
}

// setupFunc is io_uring_setup(2). It is a variable of the port
// configuration so tests can make the kernel say ENOSYS, EPERM or ENOMEM.
type setupFunc func(entries uint32, p *ringParams) (fd int, err error)

func sysSetup(entries uint32, p *ringParams) (int, error) {
	// Safety: p is a heap ringParams, live for the call; the kernel reads
	// and writes it only during the call.
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(p)), 0)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

// setupError is a failed io_uring_setup, explained.
type setupError struct {
	err error
}

func (e *setupError) Error() string {
	why := ""
	switch {
	case errors.Is(e.err, syscall.ENOSYS):
		why = " (kernel built without io_uring)"
	case errors.Is(e.err, syscall.EPERM):
		why = " (blocked by seccomp or kernel.io_uring_disabled)"
	case errors.Is(e.err, syscall.ENOMEM):
		why = " (locked-memory limit, RLIMIT_MEMLOCK, too low for the rings)"
	}
	return "io_uring_setup: " + e.err.Error() + why
}

func (e *setupError) Unwrap() error { return e.err }

// ringWant is what newRing asks the kernel for.
type ringWant struct {
	sqEntries uint32
	cqEntries uint32
	flags     uint32 // preferred setup flags; dropped one group at a time on EINVAL
}

// flagFallbacks are the setup flags newRing gives up, in order, when a
// kernel rejects a combination with EINVAL: the newest first.
var flagFallbacks = []uint32{
	setupNoSQArray,
	setupDeferTaskrun | setupSingleIssuer,
	setupTaskrunFlag | setupCoopTaskrun,
	setupSubmitAll,
}

// newRing sets up and maps a ring. It must run on the thread that will
// submit to it: with SINGLE_ISSUER the kernel binds the ring to that thread.
func newRing(w ringWant, setup setupFunc) (*ring, error) {
	if setup == nil {
		setup = sysSetup
	}
	flags := w.flags | setupCQSize
	p := new(ringParams) // heap: the kernel reads and writes it
	var fd int
	var err error
	for i := 0; ; i++ {
		*p = ringParams{flags: flags, cqEntries: w.cqEntries}
		fd, err = setup(w.sqEntries, p)
		if err == nil {
			break
		}
		if err != syscall.EINVAL || i == len(flagFallbacks) {
			return nil, &setupError{err}
		}
		flags &^= flagFallbacks[i]
	}
	r := &ring{fd: fd, enterFD: fd, setupFlags: p.flags, features: p.features}
	if err := r.mmap(p); err != nil {
		unix.Close(fd)
		return nil, err
	}
	r.registerRingFD()
	return r, nil
}

// mmap maps the rings as params describes them.
func (r *ring) mmap(p *ringParams) error {
	sqLen := int(p.sqOff.array) + int(p.sqEntries)*4
	if p.flags&setupNoSQArray != 0 {
		sqLen = int(p.sqOff.array) // no array: the offset still bounds the ring header
		if sqLen == 0 {
			sqLen = int(p.sqOff.flags) + 4
		}
	}
	cqLen := int(p.cqOff.cqes) + int(p.cqEntries)*int(unsafe.Sizeof(cqe{}))
	single := p.features&featSingleMmap != 0
	if single {
		sqLen = max(sqLen, cqLen)
		cqLen = sqLen
	}
	var err error
	prot, share := unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE
	if r.sqMap, err = unix.Mmap(r.fd, offSQRing, sqLen, prot, share); err != nil {
		return fmt.Errorf("mmap SQ ring: %w", err)
	}
	if single {
		r.cqMap = r.sqMap
		r.singleMmap = true
	} else if r.cqMap, err = unix.Mmap(r.fd, offCQRing, cqLen, prot, share); err != nil {
		r.unmap()
		return fmt.Errorf("mmap CQ ring: %w", err)
	}
	sqeLen := int(p.sqEntries) * int(unsafe.Sizeof(sqe{}))
	if r.sqeMap, err = unix.Mmap(r.fd, offSQEs, sqeLen, prot, share); err != nil {
		r.unmap()
		return fmt.Errorf("mmap SQEs: %w", err)
	}

	// Safety (all conversions below): the pointers are into the mmaps just
	// made, at offsets the kernel gave in params, inside the mapped
	// lengths; the mmaps live until ring.close, after which the ring is
	// not used.
	r.sqHead = (*uint32)(unsafe.Pointer(&r.sqMap[p.sqOff.head]))
	r.sqTail = (*uint32)(unsafe.Pointer(&r.sqMap[p.sqOff.tail]))
	r.sqFlags = (*uint32)(unsafe.Pointer(&r.sqMap[p.sqOff.flags]))
	r.sqMask = *(*uint32)(unsafe.Pointer(&r.sqMap[p.sqOff.ringMask]))
	r.sqSize = *(*uint32)(unsafe.Pointer(&r.sqMap[p.sqOff.ringEntries]))
	r.sqes = unsafe.Slice((*sqe)(unsafe.Pointer(&r.sqeMap[0])), p.sqEntries)
	if p.flags&setupNoSQArray == 0 {
		// The SQ array maps ring slots to SQE indices. We always fill SQEs
		// in ring order, so it is the identity, written once.
		array := unsafe.Slice((*uint32)(unsafe.Pointer(&r.sqMap[p.sqOff.array])), p.sqEntries)
		for i := range array {
			array[i] = uint32(i)
		}
	}
	r.cqHead = (*uint32)(unsafe.Pointer(&r.cqMap[p.cqOff.head]))
	r.cqTail = (*uint32)(unsafe.Pointer(&r.cqMap[p.cqOff.tail]))
	if p.cqOff.flags != 0 {
		r.cqFlags = (*uint32)(unsafe.Pointer(&r.cqMap[p.cqOff.flags]))
	}
	r.cqMask = *(*uint32)(unsafe.Pointer(&r.cqMap[p.cqOff.ringMask]))
	r.cqSize = *(*uint32)(unsafe.Pointer(&r.cqMap[p.cqOff.ringEntries]))
	r.cqes = unsafe.Slice((*cqe)(unsafe.Pointer(&r.cqMap[p.cqOff.cqes])), p.cqEntries)
	r.tail = atomic.LoadUint32(r.sqTail)
	r.head = atomic.LoadUint32(r.cqHead)
	r.published, r.released = r.tail, r.head
	r.headSeen = atomic.LoadUint32(r.sqHead)
	return nil
}

// registerRingFD registers the ring fd with itself so io_uring_enter skips
// the fd table lookup (IORING_REGISTER_RING_FDS). Failure only costs that.
func (r *ring) registerRingFD() {
	up := &rsrcUpdate{offset: ^uint32(0), data: uint64(r.fd)} // offset -1: the kernel picks the slot
	// Safety: up is heap memory, live for the call, used by the kernel
	// only during it.
	if n, err := r.register(registerRingFDs, unsafe.Pointer(up), 1); err == nil && n == 1 {
		r.enterFD = int(up.offset)
		r.enterFlags = enterRegisteredRing
	}
}

// register is io_uring_register(2). arg points to heap or mmap memory,
// which the kernel uses only during the call.
func (r *ring) register(op uint32, arg unsafe.Pointer, n int) (int, error) {
	for {
		ret, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), uintptr(op), uintptr(arg), uintptr(n), 0, 0)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return 0, errno
		}
		return int(ret), nil
	}
}

// getSQE returns the next free SQE, zeroed, or nil when the SQ is full
// (the caller submits and tries again).
func (r *ring) getSQE() *sqe {
	if r.tail-r.headSeen >= r.sqSize {
		// Full as far as we knew: see how far the kernel has consumed.
		if r.headSeen = atomic.LoadUint32(r.sqHead); r.tail-r.headSeen >= r.sqSize {
			return nil
		}
	}
	e := &r.sqes[r.tail&r.sqMask]
	*e = sqe{}
	r.tail++
	return e
}

// unsubmitted is the number of SQEs filled and, as far as we know, not yet
// consumed by the kernel. It reads no shared memory: the kernel writes the
// SQ head only inside our own io_uring_enter, whose result says how many it
// consumed.
func (r *ring) unsubmitted() uint32 { return r.tail - r.headSeen }

// enter publishes the filled SQEs and calls io_uring_enter(2) to submit
// them and, with enterGetEvents, to wait for minComplete completions. A
// call that cannot block (mayBlock false: nothing to wait for, or only for
// completions the submitted no-ops post before the wait begins) is made as
// a raw system call, which skips the Go scheduler's bookkeeping; one that
// may block lets the scheduler hand this thread's P to other goroutines.
func (r *ring) enter(minComplete uint32, flags uint32, mayBlock bool) (submitted int, err error) {
	if r.tail != r.published {
		// A plain store: without SQPOLL the kernel reads the SQ tail only
		// inside io_uring_enter, on this thread, which sees its own
		// earlier stores in program order; an atomic store (XCHG on
		// amd64, a full barrier) would add a barrier to every enter for
		// nothing.
		*r.sqTail = r.tail
		r.published = r.tail
	}
	toSubmit := r.tail - r.headSeen
	flags |= r.enterFlags
	var ret uintptr
	var errno syscall.Errno
	if !mayBlock || minComplete == 0 {
		ret, _, errno = unix.RawSyscall6(unix.SYS_IO_URING_ENTER, uintptr(r.enterFD), uintptr(toSubmit), 0, uintptr(flags), 0, 0)
	} else {
		ret, _, errno = unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.enterFD), uintptr(toSubmit), uintptr(minComplete), uintptr(flags), 0, 0)
	}
	if errno != 0 {
		return 0, errno
	}
	r.headSeen += uint32(ret) // SQEs consumed
	return int(ret), nil
}

// needsEnter reports whether the kernel holds completions that only an
// enter with GETEVENTS will surface: an overflowed CQ, or completion work
// deferred until the task enters (IORING_SQ_TASKRUN).
func (r *ring) needsEnter() bool {
	return atomic.LoadUint32(r.sqFlags)&(sqCQOverflow|sqTaskrun) != 0
}

// cqReady returns the kernel's CQ tail: the CQEs in [r.head, tail) are
// ready to read.
func (r *ring) cqReady() uint32 { return atomic.LoadUint32(r.cqTail) }

// cqeAt returns the CQE at free-running index i.
func (r *ring) cqeAt(i uint32) *cqe { return &r.cqes[i&r.cqMask] }

// release hands the CQEs read so far back to the kernel. (A Go atomic
// store is a full barrier on amd64, dearer than the release store the
// protocol needs, so it is skipped when nothing was read.)
func (r *ring) release() {
	if r.head != r.released {
		atomic.StoreUint32(r.cqHead, r.head)
		r.released = r.head
	}
}

// close unregisters, unmaps and closes the ring. The kernel cancels
// whatever is still in flight, so the caller reaps every operation that
// borrows memory before calling it.
func (r *ring) close() error {
	if r.enterFlags&enterRegisteredRing != 0 {
		up := &rsrcUpdate{offset: uint32(r.enterFD)}
		// Safety: heap memory, used by the kernel only during the call.
		r.register(unregisterRingFDs, unsafe.Pointer(up), 1)
		r.enterFlags = 0
	}
	r.unmap()
	err := unix.Close(r.fd)
	r.fd = -1
	if err != nil {
		return os.NewSyscallError("close io_uring", err)
	}
	return nil
}

func (r *ring) unmap() {
	if r.sqeMap != nil {
		unix.Munmap(r.sqeMap)
	}
	if r.cqMap != nil && !r.singleMmap {
		unix.Munmap(r.cqMap)
	}
	if r.sqMap != nil {
		unix.Munmap(r.sqMap)
	}
	r.sqMap, r.cqMap, r.sqeMap = nil, nil, nil
	r.sqes, r.cqes = nil, nil
}
