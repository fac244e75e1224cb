package iocpstyle

import (
	"fmt"
	"slices"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"iostrat/internal/epoll"
	"iostrat/internal/netfd"
	"iostrat/internal/netpark"
	"iostrat/internal/timerheap"
)

// emuPort is the emulated backend: a proactor built on a readiness
// mechanism, as IOCP emulations on POSIX systems are. Each fd has two
// queues of operations, reads (accept, recv, read) and writes (send,
// write). An operation submitted to an empty queue is tried at once; if
// the system call says EAGAIN it waits in its queue, and the fd joins an
// edge-triggered epoll set. When epoll reports the fd ready, the loop runs
// the queued operations until one says EAGAIN again, turning each result
// into a completion. Completions are delivered by Wait in batches, like
// CQEs. Timeouts live in a timer heap; cross-thread posts arrive through
// the same eventfd queue as for io_uring.
//
// Per-fd state (readable/writable are the edge-triggered readiness we have
// not used up yet):
//
//	readable  writable  meaning
//	false     -         a read queue waits for EPOLLIN (the last read said EAGAIN)
//	true      -         reads may proceed; an EAGAIN clears it
//	(likewise for writable and the write queue)
//
// Work done per Wait is bounded by the caller's batch: a queue that still
// has readiness when the batch is full goes on the runnable list and
// resumes in the next Wait, so provided buffers lent out stay bounded.
type emuPort struct {
	x      *crossThread
	poller *epoll.Poller
	slots  slotTable
	fds    []*emuFD // by fd number; nil for fds the port has not seen
	fdGen  uint32   // generation of the next emuFD, tags epoll data
	timers timerheap.Heap[uint32]

	ready    readyQueue // completions not yet returned by Wait
	runnable []*emuFD   // fds with readiness left when the batch filled
	events   []epoll.Event
	parked   int // operations waiting in fd queues
	batch    int // the caller's batch: how far ahead to read

	// With ParkNetpoll, Wait parks on the Go netpoller, which watches the
	// epoll fd itself (an epoll fd is readable while an event is ready in
	// it): see park.
	parker  *netpark.Parker
	look    func() bool // p.lookOnce, bound once so a park allocates nothing
	lookErr error       // a failed epoll_wait inside look

	bufSize int      // provided buffer size; 0: no provided buffers
	free    [][]byte // provided buffers not in use
	lent    [][]byte // provided buffers returned in completions since the last Wait
	postBuf []posted

	cnt    Counters
	closed bool
}

// emuFD is one fd's queues and readiness.
type emuFD struct {
	fd                 int
	gen                uint32
	registered         bool
	readable, writable bool
	hangup             bool // EPOLLRDHUP, EPOLLHUP or EPOLLERR seen: read until end of stream
	onRunnable         bool
	readQ, writeQ      []uint32 // slot indices, oldest first
}

// notifyData marks the cross-thread eventfd in epoll data; fd data is
// fd | gen<<32 and never has all bits set.
const notifyData = ^uint64(0)

// defaultEmuBatch bounds read-ahead before the first Wait says its batch.
const defaultEmuBatch = 64

func newEmuPort(cfg Config, x *crossThread) (*emuPort, error) {
	poller, err := epoll.New()
	if err != nil {
		return nil, err
	}
	// Level-triggered: a pending wake-up is reported until drained, even
	// if Wait skipped epoll for a while.
	if err := poller.Add(x.wake.FD(), epoll.In, notifyData); err != nil {
		poller.Close()
		return nil, err
	}
	p := &emuPort{
		x:      x,
		poller: poller,
		slots:  newSlotTable(),
		events: make([]epoll.Event, 128),
		batch:  defaultEmuBatch,
	}
	if cfg.Buffers > 0 {
		p.bufSize = cfg.BufferSize
	}
	p.cnt.EpollCtls++
	if cfg.Park == ParkNetpoll {
		if p.parker, err = netpark.New(poller.FD()); err != nil {
			poller.Close()
			return nil, err
		}
		p.look = p.lookOnce
	}
	return p, nil
}

func (p *emuPort) submit(op *Op) (OpID, error) {
	if p.closed {
		return 0, ErrClosed
	}
	provided := false
	switch op.Kind {
	case OpNop:
		p.ready.push(Completion{Token: op.Token})
		p.cnt.Submitted++
		return 0, nil
	case OpClose:
		p.closeFD(op)
		p.cnt.Submitted++
		return 0, nil
	case OpShutdown:
		c := Completion{Token: op.Token}
		if err := unix.Shutdown(op.FD, unix.SHUT_WR); err != nil {
			c.Err = err
		}
		p.ready.push(c)
		p.cnt.Submitted++
		return 0, nil
	case OpRecv:
		if op.Buf == nil {
			if p.bufSize == 0 {
				return 0, ErrNoBuffers
			}
			provided = true
		} else if op.Multishot {
			return 0, ErrNoBuffers
		}
	case OpAccept, OpSend, OpRead, OpWrite, OpTimeout:
	default:
		return 0, fmt.Errorf("iocpstyle: unknown operation %d", op.Kind)
	}
	i, s := p.slots.alloc()
	if s == nil {
		return 0, errTooManyOps
	}
	s.kind, s.token, s.fd, s.buf, s.provided = op.Kind, op.Token, int32(op.FD), op.Buf, provided
	s.multishot = op.Multishot && (op.Kind == OpAccept || provided)
	id := s.id(i)
	p.cnt.Submitted++
	if op.Kind == OpTimeout {
		s.timer.When = op.Deadline
		if s.timer.When == 0 {
			s.timer.When = Monotonic() + int64(op.Timeout)
		}
		s.timer.Value = i
		p.timers.Push(&s.timer)
		return id, nil
	}
	e := p.fdState(op.FD)
	q, ready := &e.readQ, &e.readable
	if op.Kind == OpSend || op.Kind == OpWrite {
		q, ready = &e.writeQ, &e.writable
	}
	*q = append(*q, i)
	p.parked++
	if len(*q) == 1 {
		// Try at once: most sends, and reads of data already there,
		// complete without waiting for epoll.
		*ready = true
		p.drive(e, q, ready)
	}
	if len(*q) > 0 && !e.registered {
		if err := p.register(e); err != nil {
			p.failQueue(q, err)
		}
	}
	return id, nil
}

// fdState returns the queues of fd, creating them on first use.
func (p *emuPort) fdState(fd int) *emuFD {
	if fd >= len(p.fds) {
		p.fds = slices.Grow(p.fds, fd+1-len(p.fds))[:fd+1]
	}
	e := p.fds[fd]
	if e == nil {
		e = &emuFD{fd: fd, gen: p.fdGen}
		p.fdGen++
		p.fds[fd] = e
	}
	return e
}

// register adds fd to the epoll set, edge-triggered, for both directions
// at once so it is registered exactly once in its life.
func (p *emuPort) register(e *emuFD) error {
	p.cnt.EpollCtls++
	err := p.poller.Add(e.fd, epoll.In|epoll.Out|epoll.RdHup|epoll.ET, uint64(uint32(e.fd))|uint64(e.gen)<<32)
	if err != nil {
		return err
	}
	e.registered = true
	return nil
}

// failQueue completes every operation of q with err (the fd cannot be
// watched).
func (p *emuPort) failQueue(q *[]uint32, err error) {
	errno := syscall.EINVAL
	if oe, ok := err.(*epoll.OpError); ok {
		if en, ok := oe.Err.(syscall.Errno); ok {
			errno = en
		}
	}
	for _, i := range *q {
		s := p.slots.at(i)
		p.ready.push(Completion{Token: s.token, Err: errno, Buf: s.buf})
		p.slots.release(i, s)
		p.parked--
	}
	*q = (*q)[:0]
}

// room is how many more completions may be produced before the caller's
// batch is full.
func (p *emuPort) room() int { return p.batch - p.ready.len() }

// drive runs the operations of one queue while the fd stays ready.
func (p *emuPort) drive(e *emuFD, q *[]uint32, ready *bool) {
	for len(*q) > 0 && *ready {
		if p.room() <= 0 {
			if !e.onRunnable {
				e.onRunnable = true
				p.runnable = append(p.runnable, e)
			}
			return
		}
		i := (*q)[0]
		again, final, short := p.perform(i, p.slots.at(i))
		if again {
			*ready = false
			return
		}
		if final {
			n := copy(*q, (*q)[1:])
			*q = (*q)[:n]
			p.parked--
		}
		if short && !e.hangup {
			// A receive that did not fill its buffer emptied the socket;
			// new data raises a new edge, so skip the read that would
			// only say EAGAIN. Not after a hang-up: its edge is spent,
			// and reading on is how the end of stream is found.
			*ready = false
			return
		}
	}
}

// perform makes the system call of the operation in slot i once. It
// reports again for EAGAIN (nothing happened), final when the operation
// is over and its slot released, and short for a receive that got fewer
// bytes than it had room for.
func (p *emuPort) perform(i uint32, s *slot) (again, final, short bool) {
	var n int
	var err error
	var buf []byte
	fd := int(s.fd)
	switch s.kind {
	case OpAccept:
		p.cnt.Accepts++
		n, err = netfd.Accept(fd)
	case OpRecv, OpRead:
		buf = s.buf
		if s.provided {
			buf = p.getBuf()
		}
		p.cnt.Reads++
		n, err = netfd.Read(fd, buf)
		short = s.kind == OpRecv && err == nil && n > 0 && n < len(buf)
		if s.provided && (err != nil || n == 0) {
			p.free = append(p.free, buf)
			buf = nil
		}
		if buf != nil {
			buf = buf[:n]
		}
	case OpSend:
		p.cnt.Writes++
		n, err = netfd.Write(fd, s.buf)
		buf = s.buf
	case OpWrite:
		p.cnt.Writes++
		n, err = writeFD(fd, s.buf)
		buf = s.buf
	}
	if err == unix.EAGAIN {
		return true, false, false
	}
	c := Completion{Token: s.token, Result: n, Buf: buf, provided: s.provided && buf != nil}
	if err != nil {
		c.Result, c.Err = 0, err
	}
	// A multishot operation ends on an error, at end of stream, or on a
	// zero-byte receive; otherwise it stays armed.
	final = !s.multishot || err != nil || (s.kind == OpRecv && n == 0)
	c.More = !final
	p.ready.push(c)
	if final {
		p.slots.release(i, s)
	}
	return false, final, short
}

// writeFD is write(2) for non-socket fds, retrying EINTR.
func writeFD(fd int, b []byte) (int, error) {
	for {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		return max(n, 0), err
	}
}

func (p *emuPort) getBuf() []byte {
	if k := len(p.free); k > 0 {
		b := p.free[k-1]
		p.free = p.free[:k-1]
		return b[:cap(b)]
	}
	return make([]byte, p.bufSize)
}

// closeFD completes an OpClose: queued operations on the fd are cancelled,
// the fd is forgotten (its generation retires, so late epoll events are
// dropped) and closed.
func (p *emuPort) closeFD(op *Op) {
	if op.FD < len(p.fds) {
		if e := p.fds[op.FD]; e != nil {
			p.cancelQueue(&e.readQ)
			p.cancelQueue(&e.writeQ)
			p.fds[op.FD] = nil
		}
	}
	c := Completion{Token: op.Token}
	if err := netfd.Close(op.FD); err != nil {
		c.Err = err
	}
	p.ready.push(c)
}

func (p *emuPort) cancelQueue(q *[]uint32) {
	for _, i := range *q {
		s := p.slots.at(i)
		p.ready.push(Completion{Token: s.token, Err: syscall.ECANCELED, Buf: s.buf})
		p.slots.release(i, s)
		p.parked--
	}
	*q = nil
}

func (p *emuPort) cancel(id OpID) error {
	if p.closed {
		return ErrClosed
	}
	i, s := p.slots.lookup(id)
	if s == nil {
		return ErrNotFound
	}
	if s.kind == OpTimeout {
		p.timers.Remove(&s.timer)
	} else {
		e := p.fds[s.fd] // set while the op waits: OpClose cancels an fd's ops before forgetting it
		q := &e.readQ
		if s.kind == OpSend || s.kind == OpWrite {
			q = &e.writeQ
		}
		k := slices.Index(*q, i)
		*q = slices.Delete(*q, k, k+1)
		p.parked--
	}
	p.ready.push(Completion{Token: s.token, Err: syscall.ECANCELED, Buf: s.buf})
	p.slots.release(i, s)
	return nil
}

func (p *emuPort) postTo(self, dst *Port, tok Token, res int32) error {
	if p.closed {
		return ErrClosed
	}
	if tok > MaxPostToken {
		return ErrTokenRange
	}
	if dst != self {
		return dst.Post(tok, res)
	}
	p.ready.push(Completion{Token: tok, Result: int(res), Posted: true})
	p.cnt.Posted++
	return nil
}

func (p *emuPort) wait(cs []Completion, atLeast int) (int, error) {
	if p.closed {
		return 0, ErrClosed
	}
	atLeast = max(0, min(atLeast, len(cs)))
	p.batch = max(len(cs), 1)
	for _, b := range p.lent {
		p.free = append(p.free, b[:cap(b)])
	}
	clear(p.lent)
	p.lent = p.lent[:0]
	n := 0
	polled := false
	for {
		p.runPending()
		n += p.takeReady(cs[n:])
		if n >= atLeast && (polled || p.parked == 0) {
			break
		}
		if n == len(cs) && polled {
			break
		}
		block := n < atLeast && len(p.runnable) == 0 && p.ready.len() == 0
		if block && p.parker != nil {
			if err := p.park(); err != nil {
				p.cnt.Completed += uint64(n)
				return n, err
			}
			polled = true
			continue
		}
		timeout := 0
		if block {
			timeout = p.timers.TimeoutMillis(Monotonic())
		}
		k, err := p.poller.Wait(p.events, timeout)
		p.cnt.EpollWaits++
		if timeout != 0 {
			p.cnt.BlockingWaits++
		}
		if err != nil {
			p.cnt.Completed += uint64(n)
			return n, err
		}
		polled = true
		for j := range k {
			p.event(&p.events[j])
		}
	}
	p.cnt.Completed += uint64(n)
	return n, nil
}

// park waits on the Go netpoller until the epoll set has an event or the
// earliest timer is due. The netpoller watches the epoll fd itself: it is
// readable while one of its fds has an event ready, so it can be polled
// like a socket (nested epoll). The look, epoll_wait with no timeout, runs
// inside the park, after the netpoller has begun to watch (see
// internal/netpark), so no event between it and the sleep is lost.
func (p *emuPort) park() error {
	timeout := time.Duration(-1)
	if t := p.timers.Peek(); t != nil {
		timeout = max(0, time.Duration(t.When-Monotonic()))
	}
	if err := p.parker.Wait(timeout, p.look); err != nil {
		return err
	}
	err := p.lookErr
	p.lookErr = nil
	return err
}

// lookOnce is park's non-blocking look: it takes the events the epoll set
// has and reports whether they, or cross-thread posts, made anything
// ready. A false answer parks the owner.
func (p *emuPort) lookOnce() bool {
	k, err := p.poller.Wait(p.events, 0)
	p.cnt.EpollWaits++
	if err != nil {
		p.lookErr = err
		return true
	}
	for j := range k {
		p.event(&p.events[j])
	}
	if p.ready.len() > 0 || len(p.runnable) > 0 || p.x.pending() {
		return true
	}
	p.cnt.NetpollParks++
	return false
}

// runPending does the work that needs no system call: posts already
// queued, timers due, fds left runnable by a full batch.
func (p *emuPort) runPending() {
	if p.x.pending() {
		p.takePosts()
	}
	if p.timers.Len() > 0 {
		now := Monotonic()
		for t := p.timers.PopDue(now); t != nil; t = p.timers.PopDue(now) {
			i := t.Value
			s := p.slots.at(i)
			p.ready.push(Completion{Token: s.token})
			p.slots.release(i, s)
		}
	}
	if len(p.runnable) > 0 && p.room() > 0 {
		run := p.runnable
		p.runnable = nil
		for _, e := range run {
			e.onRunnable = false
			if p.fds[e.fd] == e {
				p.drive(e, &e.readQ, &e.readable)
				p.drive(e, &e.writeQ, &e.writable)
			}
		}
	}
}

// event handles one epoll event.
func (p *emuPort) event(ev *epoll.Event) {
	d := epoll.Data(ev)
	if d == notifyData {
		if read, _ := p.x.wake.Drain(); read {
			p.cnt.EventfdReads++
		}
		p.takePosts()
		return
	}
	fd, gen := int(uint32(d)), uint32(d>>32)
	if fd >= len(p.fds) || p.fds[fd] == nil || p.fds[fd].gen != gen {
		return // an fd closed since; its generation retired
	}
	e := p.fds[fd]
	if ev.Events&(epoll.RdHup|epoll.Hup|epoll.Err) != 0 {
		e.hangup = true
	}
	if ev.Events&(epoll.In|epoll.RdHup|epoll.Hup|epoll.Err) != 0 {
		e.readable = true
		p.drive(e, &e.readQ, &e.readable)
	}
	if ev.Events&(epoll.Out|epoll.Hup|epoll.Err) != 0 {
		e.writable = true
		p.drive(e, &e.writeQ, &e.writable)
	}
}

func (p *emuPort) takePosts() {
	batch := p.x.take(p.postBuf)
	for _, q := range batch {
		p.ready.push(Completion{Token: q.token, Result: int(q.result), Posted: true})
	}
	p.cnt.Posted += uint64(len(batch))
	p.postBuf = batch
}

// takeReady moves ready completions into cs; provided buffers in them are
// lent from now until the next Wait.
func (p *emuPort) takeReady(cs []Completion) int {
	k := p.ready.pop(cs)
	for i := range cs[:k] {
		if cs[i].provided {
			cs[i].provided = false
			p.lent = append(p.lent, cs[i].Buf)
		}
	}
	return k
}

// close drops every operation in flight (nothing borrows memory from a
// kernel here, so nothing needs reaping) and closes the epoll fd.
func (p *emuPort) close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	for i := 0; i < p.slots.len(); i++ {
		if s := p.slots.at(uint32(i)); s.state != slotFree {
			p.slots.release(uint32(i), s)
		}
	}
	p.fds, p.runnable, p.free, p.lent = nil, nil, nil, nil
	p.ready.reset()
	var err error
	if p.parker != nil {
		err = p.parker.Close()
	}
	if cerr := p.poller.Close(); err == nil {
		err = cerr
	}
	return err
}
