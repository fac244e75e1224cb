package iocpstyle

import (
	"errors"
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"iostrat/internal/netfd"
	"iostrat/internal/netpark"
	"iostrat/internal/timerheap"
)

// user_data layout. The top byte says what a CQE is; the rest never holds
// a Go pointer.
//
//	kind      bits 56-63   bits 0-55
//	udOp      1            the OpID: slot generation, OpKind, slot index (see slots_linux.go)
//	udPosted  2            the posted token (MSG_RING, or with PostKernel a NOP posted to ourselves)
//	udWake    3            0: the eventfd read armed for cross-thread posts
//	udAux     4            0: a cancel or MSG_RING whose success CQE is skipped; only failures arrive
//	udNop     5            the no-op's token: a no-op lends no memory, so it needs no slot
//	udTimer   6            the ring timeout's arming generation (see armTimer)
const (
	udShift  = 56
	udOp     = 1 << udShift
	udPosted = 2 << udShift
	udWake   = 3 << udShift
	udAux    = 4 << udShift
	udNop    = 5 << udShift
	udTimer  = 6 << udShift

	udKindMask = ^uint64(1<<udShift - 1)
)

// errWrongThread explains io_uring_enter failing on another thread: EEXIST
// from a SINGLE_ISSUER ring, or EBADF for a ring fd registered (per
// thread) by the owner.
var errWrongThread = errors.New("iocpstyle: io_uring_enter from a thread other than the port's owner: call Submit, Wait and Close on the goroutine that created the port, locked to its OS thread")

// eventInterval bounds how many completions Wait returns from user space
// (the ready queue, timers due) before it enters the ring again, as
// tokio's event_interval (61 ticks) bounds the tasks it polls between
// looks at the I/O driver. While ready work remains, Wait enters only to
// submit what handlers queued; a loop whose handlers keep posting to
// themselves and submit nothing would otherwise never enter, and on a
// DEFER_TASKRUN ring the kernel posts I/O completions only inside our
// enters: every eventInterval completions an enter without waiting
// (GETEVENTS) lets them in. A same-thread ping-pong round is two
// completions, so it costs 2/eventInterval enters.
const eventInterval = 61

// uringPort is the io_uring backend: operations become SQEs, completions
// come from the CQ. It is used by its owner thread only; other threads
// reach it through crossThread.
//
// What the ring carries, and what it does not:
//
//	work                          path
//	I/O operations, OpNop         SQE -> CQE (kernel)
//	PostTo the port itself        ready queue (user space); with PostKernel a NOP SQE
//	PostTo another io_uring port  IORING_OP_MSG_RING into its ring
//	Post from any thread          crossThread: locked queue and eventfd, then ready queue
//	OpTimeout                     timer heap (user space); ONE ring timeout, armed for the
//	                                earliest deadline only when Wait is about to sleep
//
// One turn (one Wait) enters the ring at most once while it has work to
// return: to submit what was queued, or every eventInterval completions to
// let the kernel post deferred I/O completions. With nothing ready it
// enters to submit and wait (ParkThread) or parks on the netpoller.
type uringPort struct {
	r     ring // embedded: the hot path touches one object, not two
	feat  ringFeatures
	slots slotTable
	x     *crossThread
	bufs  *bufRing // provided buffers, or nil

	wakeBuf   *[8]byte // target of the eventfd read kept armed in the ring
	wakeArmed bool
	nops      uint32 // no-ops (each posts a CQE inline) queued since the last enter

	postKernel bool // Config.PostKernel: a self-post is a NOP SQE, not a ready-queue entry
	sinceEnter int  // completions returned since the last enter (see eventInterval)

	// Timeouts live in a heap of slots; the ring holds at most one
	// IORING_OP_TIMEOUT, for the earliest deadline, armed when Wait is
	// about to sleep (see armTimer).
	timers    timerheap.Heap[uint32] // pending OpTimeouts by deadline; Value is the slot index
	timerTS   *kernelTimespec        // the ring timeout's deadline: heap memory, read by the kernel when it consumes the SQE
	timerWhen int64                  // deadline of the armed ring timeout; 0: none armed
	timerGen  uint64                 // arming generation of the ring timeout, in its user_data
	timerTail uint32                 // SQ index after the ring timeout's SQE: consumed once headSeen reaches it

	deferTaskrun bool // the ring is DEFER_TASKRUN: CQEs appear only during our enters
	drained      bool // the last reap emptied the CQ as of its tail

	ready   readyQueue // posts taken from x, not yet returned by Wait
	postBuf []posted   // reused batch for x.take

	// With ParkNetpoll, Wait parks on the Go netpoller, woken through the
	// cross-thread eventfd, which the ring signals too (see park_linux.go).
	parker *netpark.Parker
	look   func() bool // u.lookOnce, bound once so a park allocates nothing

	auxErr error // a failed MSG_RING or wake-up read, reported by the next Wait
	cnt    Counters
	closed bool

	ownerTID int // the thread that set the ring up; checked only when an enter fails
}

// newUringPort sets up a ring on the calling thread, probes it and arms
// the cross-thread wake. cfg has its defaults filled in.
func newUringPort(cfg Config, x *crossThread) (*uringPort, error) {
	r, err := newRing(ringWant{
		sqEntries: uint32(cfg.Entries),
		cqEntries: uint32(cfg.CQEntries),
		flags: setupSubmitAll | setupCoopTaskrun | setupTaskrunFlag |
			setupSingleIssuer | setupDeferTaskrun | setupNoSQArray,
	}, cfg.setup)
	if err != nil {
		return nil, &unavailableError{err}
	}
	u := &uringPort{r: *r, slots: newSlotTable(), x: x, wakeBuf: new([8]byte), ownerTID: unix.Gettid(),
		postKernel: cfg.PostKernel, timerTS: new(kernelTimespec)}
	u.deferTaskrun = r.setupFlags&setupDeferTaskrun != 0
	if u.feat, err = probeRing(&u.r); err != nil {
		u.r.close()
		return nil, &unavailableError{err}
	}
	if cfg.Buffers > 0 {
		if u.bufs, err = newBufRing(&u.r, 0, cfg.Buffers, cfg.BufferSize); err == nil {
			u.feat.pbufRing = true
		} else if cfg.Logf != nil {
			cfg.Logf("iocpstyle: io_uring provided buffers unavailable, receives need their own buffers: %v", err)
		}
	}
	u.feat.injectResult = u.tryInjectResult()
	if cfg.Park == ParkNetpoll {
		if err := u.setupNetpoll(); err != nil && cfg.Logf != nil {
			cfg.Logf("%v", err)
		}
	}
	if u.parker == nil {
		u.armWake()
	}
	return u, nil
}

// tryInjectResult posts a NOP asking for result 42 and checks the kernel
// honoured it (IORING_NOP_INJECT_RESULT, Linux 6.10); older kernels ignore
// the flag or refuse it.
func (u *uringPort) tryInjectResult() bool {
	e := u.r.getSQE()
	e.opcode = opNop
	e.opFlags = nopInjectResult
	e.len = 42
	e.userData = udAux
	if _, err := u.r.enter(1, enterGetEvents, false); err != nil {
		return false
	}
	ok := false
	for tail := u.r.cqReady(); u.r.head != tail; u.r.head++ {
		c := u.r.cqeAt(u.r.head)
		ok = ok || (c.userData == udAux && c.res == 42)
	}
	u.r.release()
	return ok
}

// errSQFull: the kernel took none of a full submission queue.
var errSQFull = errors.New("iocpstyle: io_uring submission queue full and the kernel takes no more (reap completions first)")

// sqe returns a free SQE, submitting what is queued if the SQ is full.
func (u *uringPort) sqe() (*sqe, error) {
	if e := u.r.getSQE(); e != nil {
		return e, nil
	}
	if err := u.enter(0, false); err != nil {
		return nil, err
	}
	if e := u.r.getSQE(); e != nil {
		return e, nil
	}
	return nil, errSQFull
}

// enter submits queued SQEs and, if wait > 0, waits for that many
// completions. getEvents also makes the kernel run deferred completion
// work and flush an overflowed CQ.
func (u *uringPort) enter(wait uint32, getEvents bool) error {
	var flags uint32
	if getEvents || wait > 0 {
		flags = enterGetEvents
	}
	for {
		// No-ops complete inside the submitting enter, before its wait
		// starts: waiting for no more than the no-ops being submitted
		// cannot block.
		mayBlock := wait > u.nops
		_, err := u.r.enter(wait, flags, mayBlock)
		u.nops = 0
		u.sinceEnter = 0
		u.drained = false // completions may have been posted during the enter
		u.cnt.Enters++
		if mayBlock {
			u.cnt.WaitingEnters++
		}
		if err != nil && err != syscall.EINTR && unix.Gettid() != u.ownerTID {
			// From another thread a SINGLE_ISSUER ring says EEXIST, and a
			// registered ring index names whatever that thread registered
			// (EBADF, EINVAL, …): name the real mistake instead.
			return errWrongThread
		}
		switch err {
		case nil:
			return nil
		case syscall.EINTR:
			if wait > 0 {
				return nil // the caller looks at the CQ and waits again if needed
			}
			continue
		case syscall.EBUSY, syscall.EAGAIN:
			// The kernel wants the CQ reaped before it takes more SQEs.
			return nil
		case syscall.EEXIST:
			return errWrongThread // SINGLE_ISSUER: not the ring's task
		case syscall.EBADF:
			if u.r.enterFlags&enterRegisteredRing != 0 {
				return errWrongThread // registered ring fds are per thread
			}
			return fmt.Errorf("io_uring_enter: %w", err)
		default:
			return fmt.Errorf("io_uring_enter: %w", err)
		}
	}
}

func (u *uringPort) submit(op *Op) (OpID, error) {
	if u.closed {
		return 0, ErrClosed
	}
	if op.Kind == OpNop && op.Token <= MaxPostToken {
		// The fast path of the dispatch workloads: a no-op lends nothing,
		// so its token rides in user_data, no slot is taken and there is
		// nothing to cancel (OpID 0).
		e, err := u.sqe()
		if err != nil {
			return 0, err
		}
		e.userData = udNop | uint64(op.Token) // opcode: opNop is 0
		u.nops++
		u.cnt.Submitted++
		return 0, nil
	}
	provided := false
	switch op.Kind {
	case OpRecv:
		if op.Buf == nil {
			if u.bufs == nil || (op.Multishot && !u.feat.multishotRecv) {
				return 0, ErrNoBuffers
			}
			provided = true
		} else if op.Multishot {
			return 0, ErrNoBuffers
		}
	case OpTimeout:
		return u.addTimer(op)
	case OpNop, OpAccept, OpSend, OpRead, OpWrite, OpClose, OpShutdown:
	default:
		return 0, fmt.Errorf("iocpstyle: unknown operation %d", op.Kind)
	}
	e, err := u.sqe()
	if err != nil {
		return 0, err
	}
	i, s := u.slots.alloc()
	if s == nil {
		e.opcode, e.userData = opNop, udAux // the SQE is taken: make it harmless
		return 0, errTooManyOps
	}
	s.kind, s.token, s.fd, s.buf, s.provided = op.Kind, op.Token, int32(op.FD), op.Buf, provided
	id := s.id(i)
	e.userData = udOp | uint64(id)
	e.fd = int32(op.FD)
	switch op.Kind {
	case OpNop:
		e.opcode = opNop
		u.nops++
	case OpAccept:
		e.opcode = opAccept
		e.opFlags = unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC
		if op.Multishot && u.feat.multishotAccept {
			e.ioprio = acceptMultishot
			s.multishot = true
		}
	case OpRecv:
		e.opcode = opRecv
		if provided {
			e.flags = sqeBufferSelect
			e.bufIndex = u.bufs.bgid
			if op.Multishot {
				e.ioprio = recvMultishot
				s.multishot = true
			}
		} else {
			setBuf(e, op.Buf)
		}
	case OpSend:
		e.opcode = opSend
		e.opFlags = unix.MSG_NOSIGNAL
		setBuf(e, op.Buf)
	case OpRead, OpWrite:
		e.opcode = opRead
		if op.Kind == OpWrite {
			e.opcode = opWrite
		}
		s.anonFD = u.parker != nil && anonInode(op.FD)
		e.off = ^uint64(0) // the current position: streams, pipes, eventfds
		setBuf(e, op.Buf)
	case OpClose:
		e.opcode = opClose
	case OpShutdown:
		e.opcode = opShutdown
		e.len = unix.SHUT_WR
	}
	u.cnt.Submitted++
	return id, nil
}

// setBuf points an SQE at b. b is the op's buffer, which the slot keeps
// reachable until the final completion; Go's heap does not move objects.
func setBuf(e *sqe, b []byte) {
	// Safety: b's backing array is heap memory (Submit stores it in the
	// slot table, so it escapes) kept alive by the slot until the final
	// completion.
	e.addr = uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
	e.len = uint32(len(b))
}

func (u *uringPort) cancel(id OpID) error {
	if u.closed {
		return ErrClosed
	}
	return u.cancelOp(id)
}

// cancelOp cancels operation id: a timeout leaves the heap and its
// ECANCELED completion goes to the ready queue at once; any other
// operation gets an ASYNC_CANCEL and then completes with ECANCELED, or
// normally if it won the race.
func (u *uringPort) cancelOp(id OpID) error {
	i, s := u.slots.lookup(id)
	if s == nil {
		return ErrNotFound
	}
	if s.kind == OpTimeout {
		u.timers.Remove(&s.timer)
		u.ready.push(Completion{Token: s.token, Err: ErrCanceled})
		u.slots.release(i, s)
		return nil
	}
	if s.state == slotCancelling {
		return nil
	}
	e, err := u.sqe()
	if err != nil {
		return err
	}
	e.opcode = opAsyncCancel
	e.addr = udOp | uint64(id)
	e.flags = sqeCQESkipSuccess
	e.userData = udAux
	s.state = slotCancelling
	return nil
}

// postTo posts a completion to dst from this port's owner thread: to
// this port through the ready queue (PostKernel: a NOP carrying the token
// into this ring), into another ring with IORING_OP_MSG_RING, else
// through dst's cross-thread queue.
//
// A self-post in user space is a queue append, returned by the next Wait
// with no system call. Through the kernel it is an SQE that the next Wait
// must submit, so a chain of self-posts enters the ring once per hop: a
// hop then costs an io_uring_enter (a NOP submitted and its CQE posted
// inside it) instead of an append (BenchmarkPostToSelf measures both).
func (u *uringPort) postTo(self, dst *Port, tok Token, res int32) error {
	if u.closed {
		return ErrClosed
	}
	if tok > MaxPostToken {
		return ErrTokenRange
	}
	var target int = -1
	switch {
	case dst == self && !u.postKernel:
		u.ready.push(Completion{Token: tok, Result: int(res), Posted: true})
		return nil
	case dst == self && (res == 0 || u.feat.injectResult):
		e, err := u.sqe()
		if err != nil {
			return err
		}
		e.opcode = opNop
		e.opFlags = nopInjectResult
		e.len = uint32(res)
		e.userData = udPosted | uint64(tok)
		u.nops++
		return nil
	case dst == self && u.feat.msgRing:
		target = u.r.fd
	case dst.u != nil && u.feat.msgRing:
		target = dst.ringFD
	default:
		return dst.Post(tok, res)
	}
	e, err := u.sqe()
	if err != nil {
		return err
	}
	e.opcode = opMsgRing
	e.fd = int32(target)
	e.addr = msgRingData
	e.len = uint32(res)
	e.off = udPosted | uint64(tok)
	e.flags = sqeCQESkipSuccess
	e.userData = udAux
	return nil
}

// armWake keeps a read of the cross-thread eventfd in the ring: a post
// from another thread completes it and so wakes a Wait blocked in
// io_uring_enter, with no polling and no timeout.
func (u *uringPort) armWake() {
	e, err := u.sqe()
	if err != nil {
		return // reported by the Wait that fails the same way
	}
	e.opcode = opRead
	e.fd = int32(u.x.wake.FD())
	e.off = ^uint64(0)
	setBuf(e, u.wakeBuf[:])
	e.userData = udWake
	u.wakeArmed = true
}

func (u *uringPort) wait(cs []Completion, atLeast int) (int, error) {
	if u.closed {
		return 0, ErrClosed
	}
	atLeast = max(0, min(atLeast, len(cs)))
	if u.bufs != nil {
		u.bufs.recycle()
	}
	if err := u.auxErr; err != nil {
		u.auxErr = nil
		return 0, err
	}
	n := 0
	entered := false
	for {
		// User space first: timers due, posts from other threads (a
		// netpoll-parked port reads no eventfd), the ready queue.
		if u.timers.Len() > 0 {
			u.fireTimers(len(cs) - n)
		}
		if u.parker != nil {
			u.takePostsDirect()
		}
		n += u.takeReady(cs[n:])
		// With DEFER_TASKRUN the kernel posts completions only inside our
		// own io_uring_enter, so a CQ drained after the last enter is
		// still empty: skip reading its tail (memory the kernel wrote,
		// a cache miss) until we enter again.
		if n < len(cs) && (!(u.drained && u.deferTaskrun) || entered) {
			n += u.reap(cs[n:])
		}
		needSubmit := u.r.unsubmitted() > 0
		if n >= atLeast {
			// Enough to return. Enter only to submit what is queued, or,
			// every eventInterval completions, to let deferred completions
			// in; with nothing at all (atLeast 0), when the kernel says it
			// holds some.
			skip := !needSubmit && u.sinceEnter+n < eventInterval
			if n == 0 {
				skip = !needSubmit && !u.r.needsEnter()
			}
			if entered || skip {
				break
			}
			if err := u.enter(0, n < len(cs)); err != nil {
				u.cnt.Completed += uint64(n)
				return n, err
			}
			entered = true
			continue
		}
		// Too little ready: Wait will sleep, so the ring must hold a
		// timeout for the earliest timer.
		if u.timers.Len() > 0 {
			u.armTimer()
		}
		needSubmit = u.r.unsubmitted() > 0
		want := uint32(atLeast - n)
		if u.parker != nil {
			if entered || (!needSubmit && !u.r.needsEnter()) {
				// Nothing to submit, no deferred work, CQ reaped: nothing
				// yet. (An enter now would find nothing either.)
				if err := u.park(); err != nil {
					u.cnt.Completed += uint64(n)
					return n, err
				}
				entered = false
				continue
			}
			want = 0 // submit and look without blocking; park if still short
		}
		if err := u.enter(want, true); err != nil {
			u.cnt.Completed += uint64(n)
			return n, err
		}
		entered = true
	}
	u.sinceEnter += n
	u.cnt.Completed += uint64(n)
	return n, nil
}

// takeReady moves completions from the ready queue (self-posts, posts
// taken from the cross-thread queue, timers fired or cancelled) into cs.
func (u *uringPort) takeReady(cs []Completion) int {
	k := u.ready.pop(cs)
	for i := range cs[:k] {
		if cs[i].Posted {
			u.cnt.Posted++
		}
	}
	return k
}

// addTimer puts an OpTimeout in the timer heap. It takes a slot, as every
// operation does, so OpIDs and Cancel work as for the others, but lends
// the kernel nothing.
func (u *uringPort) addTimer(op *Op) (OpID, error) {
	i, s := u.slots.alloc()
	if s == nil {
		return 0, errTooManyOps
	}
	s.kind, s.token = OpTimeout, op.Token
	s.timer.When = op.Deadline
	if s.timer.When == 0 {
		s.timer.When = Monotonic() + int64(op.Timeout)
	}
	s.timer.Value = i
	u.timers.Push(&s.timer)
	u.cnt.Submitted++
	return s.id(i), nil
}

// fireTimers moves up to limit timers whose deadline has passed on the
// Monotonic clock (never behind the kernel's, so never early) from the
// heap to the ready queue, earliest first. The rest wait for the next
// turn: a burst of expiries is handed out a batch per turn.
func (u *uringPort) fireTimers(limit int) {
	now := Monotonic()
	for ; limit > 0; limit-- {
		t := u.timers.PopDue(now)
		if t == nil {
			return
		}
		i := t.Value
		s := u.slots.at(i)
		u.ready.push(Completion{Token: s.token})
		u.slots.release(i, s)
	}
}

// armTimer makes the ring's one timeout match the earliest pending
// deadline before Wait sleeps: an IORING_OP_TIMEOUT (absolute, on
// CLOCK_MONOTONIC) when none is armed; when the earliest deadline has
// changed, a TIMEOUT_REMOVE of the armed one and a new timeout in the
// same submission, or, if the armed timeout's SQE has not reached the
// kernel yet, its timespec rewritten in place. A timeout left armed for a
// deadline cancelled since only wakes Wait early, to re-arm: timers fire
// by the heap, never by the ring timeout, so none fires early. However
// many timers are pending, the kernel holds one.
func (u *uringPort) armTimer() {
	t := u.timers.Peek()
	if t == nil || t.When == u.timerWhen {
		return
	}
	ts := kernelTimespec{sec: t.When / 1e9, nsec: t.When % 1e9}
	if u.timerWhen != 0 && int32(u.r.headSeen-u.timerTail) < 0 {
		*u.timerTS = ts // not consumed yet: the kernel reads it when it is
		u.timerWhen = t.When
		return
	}
	if u.timerWhen != 0 {
		e, err := u.sqe()
		if err != nil {
			return // the enter that follows fails the same way and says so
		}
		e.opcode = opTimeoutRemove
		e.addr = udTimer | u.timerGen&^udKindMask
		e.flags = sqeCQESkipSuccess
		e.userData = udAux
		u.timerWhen = 0
	}
	e, err := u.sqe()
	if err != nil {
		return
	}
	u.timerGen++
	*u.timerTS = ts
	e.opcode = opTimeout
	// Safety: timerTS is heap memory the port holds for its life; the
	// kernel copies the timespec when it consumes the SQE.
	e.addr = uint64(uintptr(unsafe.Pointer(u.timerTS)))
	e.len = 1
	e.opFlags = timeoutAbs
	e.userData = udTimer | u.timerGen&^udKindMask
	u.timerWhen = t.When
	u.timerTail = u.r.tail
	u.cnt.RingTimeouts++
}

// reap turns ready CQEs into completions in cs and returns how many.
func (u *uringPort) reap(cs []Completion) int {
	r := &u.r
	n := 0
	tail := r.cqReady()
	for r.head != tail && n < len(cs) {
		c := r.cqeAt(r.head)
		ud, res, flags := c.userData, c.res, c.flags
		r.head++
		switch ud & udKindMask {
		case udOp:
			if u.complete(&cs[n], ud, res, flags) {
				n++
			}
		case udNop:
			cs[n] = Completion{Token: Token(ud &^ udKindMask), Result: int(res)}
			n++
		case udPosted:
			cs[n] = Completion{Token: Token(ud &^ udKindMask), Result: int(res), Posted: true}
			u.cnt.Posted++
			n++
		case udTimer:
			// The ring timeout expired (or was removed): the next turn
			// fires what is due. A CQE of an older arming says nothing.
			if ud&^udKindMask == u.timerGen&^udKindMask {
				u.timerWhen = 0
			}
		case udWake:
			// The ring consumed the eventfd: re-arm the signal, re-arm
			// the read, then take the posts (in that order, see
			// epoll.Notifier.Drain).
			u.wakeArmed = false
			if res < 0 && res != -int32(syscall.ECANCELED) {
				u.auxErr = fmt.Errorf("iocpstyle: io_uring read of the wake-up eventfd: %w", syscall.Errno(-res))
			}
			u.x.wake.Rearm()
			if !u.closed {
				u.armWake()
			}
			u.takePosts()
		case udAux:
			if res < 0 && res != -int32(syscall.ENOENT) && res != -int32(syscall.EALREADY) {
				u.auxErr = fmt.Errorf("iocpstyle: io_uring cancel or MSG_RING post failed: %w", syscall.Errno(-res))
			}
		default:
			u.cnt.Stale++
		}
	}
	u.drained = r.head == tail
	r.release()
	return n + u.takeReady(cs[n:])
}

// complete fills out from the CQE of operation ud and frees its slot on
// the final CQE. It reports false for a CQE that names no operation in
// flight (a bug, counted in Counters.Stale).
func (u *uringPort) complete(out *Completion, ud uint64, res int32, flags uint32) bool {
	i, s := u.slots.lookup(OpID(ud &^ udKindMask))
	if s == nil {
		u.cnt.Stale++
		return false
	}
	*out = Completion{Token: s.token, More: flags&cqeFMore != 0}
	if res >= 0 {
		out.Result = int(res)
	} else if errno := syscall.Errno(-res); s.kind != OpTimeout || errno != syscall.ETIME {
		out.Err = errno // a timeout that expired reports -ETIME: that is its success
	}
	switch {
	case flags&cqeFBuffer != 0 && u.bufs != nil:
		out.Buf = u.bufs.lend(uint16(flags>>cqeBufferShift), out.Result)
	case s.buf != nil:
		out.Buf = s.buf
		if s.kind == OpRecv || s.kind == OpRead {
			out.Buf = s.buf[:out.Result]
		}
	}
	if s.kind == OpAccept && out.Err == nil {
		netfd.SetNoDelay(out.Result) // as netfd.Accept does for the emulated port
	}
	if !out.More {
		if s.anonFD {
			u.renewEventfd()
		}
		u.slots.release(i, s)
	}
	return true
}

// takePosts moves the cross-thread queue into ready.
func (u *uringPort) takePosts() {
	batch := u.x.take(u.postBuf)
	for _, p := range batch {
		u.ready.push(Completion{Token: p.token, Result: int(p.result), Posted: true})
	}
	u.postBuf = batch
}

// close cancels everything in flight, reaps every final CQE so no buffer
// is still lent to the kernel, then releases the ring. Completions reaped
// here are dropped.
func (u *uringPort) close() error {
	if u.closed {
		return nil
	}
	u.closed = true
	for u.timers.Len() > 0 {
		// Pending timeouts lend the kernel nothing: drop them.
		t := u.timers.Peek()
		u.timers.Remove(t)
		u.slots.release(t.Value, u.slots.at(t.Value))
	}
	if u.slots.busy > 0 || u.wakeArmed || u.timerWhen != 0 {
		u.cancelAll()
	}
	var scratch [64]Completion
	for u.slots.busy > 0 || u.wakeArmed || u.timerWhen != 0 {
		if err := u.enter(1, true); err != nil {
			break // the ring is unusable; closing its fd cancels the rest
		}
		u.reap(scratch[:])
		u.ready.reset()
		if u.bufs != nil {
			u.bufs.recycle()
		}
	}
	if u.bufs != nil {
		u.bufs.unregister(&u.r)
	}
	var perr error
	if u.parker != nil {
		perr = u.parker.Close()
	}
	err := u.r.close()
	if err == nil {
		err = perr
	}
	if u.bufs != nil {
		u.bufs.free()
	}
	return err
}

// cancelAll asks the kernel to cancel every request: one
// IORING_ASYNC_CANCEL_ANY|ALL where the kernel has it, else one cancel per
// slot and one for the wake read.
func (u *uringPort) cancelAll() {
	if u.feat.cancelAny {
		if e, err := u.sqe(); err == nil {
			e.opcode = opAsyncCancel
			e.opFlags = asyncCancelAny | asyncCancelAll
			e.userData = udAux
			return
		}
	}
	for i := 0; i < u.slots.len(); i++ {
		s := u.slots.at(uint32(i))
		if s.state == slotBusy {
			u.cancelOp(s.id(uint32(i)))
		}
	}
	if e, err := u.sqe(); err == nil {
		e.opcode = opAsyncCancel
		e.addr = udWake
		e.flags = sqeCQESkipSuccess
		e.userData = udAux
	}
	if u.timerWhen != 0 {
		if e, err := u.sqe(); err == nil {
			e.opcode = opTimeoutRemove
			e.addr = udTimer | u.timerGen&^udKindMask
			e.flags = sqeCQESkipSuccess
			e.userData = udAux
		}
	}
}
