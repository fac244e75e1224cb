package futures

import (
	"math"
	"time"

	"iostrat/internal/epoll"
	"iostrat/internal/netpark"
)

// The reactor is the part of an executor that talks to the kernel: an
// epoll instance where every registered fd sits once, edge-triggered, for
// reading and writing; an eventfd (epoll.Notifier) other goroutines write
// to wake a parked loop; and a table of fd slots, each holding the wakers
// of the task waiting to read and the task waiting to write. It runs on the
// executor's owner goroutine, between polls, never during one.
//
// A slot plays the part of the Go runtime's pollDesc (runtime/netpoll.go),
// one half per direction:
//
//	readiness   waker     meaning                           next step
//	ready       -         may be ready: try the syscall     the future reads
//	ready       set       an event woke the waker           the woken task reads
//	not ready   -         EAGAIN seen, nobody waits         an event sets ready
//	not ready   set       EAGAIN seen, a task waits         an event sets ready
//	                                                         and wakes the task
//
// The netpoller's rule — install the waker, then re-check readiness, so an
// event landing in between is not lost — is needed there because the
// poller runs on other threads. Here the events are delivered by the same
// goroutine that polls the futures, between polls, so a future's "saw
// EAGAIN, installed the waker" is never interleaved with an event: the
// event comes after and finds the waker. Cross-thread wakes, where the
// interleaving is real, go through the executor's inbox instead.
//
// epoll data carries slot index and generation (index | gen<<32), never a
// pointer; the generation changes when a slot is freed, so an event still
// queued for a closed fd is recognised and dropped.
//
// Where the idle loop waits depends on the executor's Park: in
// epoll_wait itself (ParkThread), or on the Go netpoller (ParkNetpoll),
// which watches a duplicate of the epoll fd — readable whenever epoll_wait
// would return something — so that the loop's goroutine gives its P back
// while it waits.
type reactor struct {
	poller   *epoll.Poller
	notifier *epoll.Notifier
	parker   *netpark.Parker // nil with ParkThread
	look     func() bool     // the Parker's look: poll without blocking (made once: no allocation per park)
	events   []epoll.Event
	slots    []ioSlot
	free     []uint32 // free slot indices
	sources  int      // slots in use
}

type ioSlot struct {
	fd         int
	gen        uint32
	inUse      bool
	readReady  bool
	writeReady bool
	readWaker  Waker
	writeWaker Waker
}

// notifierData is the epoll data of the eventfd; slot data never has it,
// as slot indices stay far below 1<<32-1.
const notifierData = ^uint64(0)

// eventBatch is the most events one epoll_wait returns.
const eventBatch = 256

func newReactor(mode Park) (*reactor, error) {
	p, n, err := epoll.NewWithNotifier(notifierData)
	if err != nil {
		return nil, err
	}
	r := &reactor{poller: p, notifier: n, events: make([]epoll.Event, eventBatch)}
	if mode == ParkNetpoll {
		if r.parker, err = netpark.New(p.FD()); err != nil {
			r.close()
			return nil, err
		}
	}
	return r, nil
}

// active reports whether any fd is registered, which is when a busy loop
// must look at epoll between batches.
func (r *reactor) active() bool { return r.sources > 0 }

// wakeup makes a parked loop return from its wait; coalesced by the
// Notifier, it writes the eventfd only if no wake-up is pending. Any
// goroutine. It reports whether it wrote.
func (r *reactor) wakeup() bool {
	wrote, _ := r.notifier.Signal()
	return wrote
}

// maxPark bounds one wait, so that a far deadline (a timer a year out)
// cannot overflow epoll_wait's 32-bit milliseconds; the loop just turns
// again when it passes.
const maxPark = math.MaxInt32 * time.Millisecond

// park waits until an fd event, the eventfd or timeout (-1: no limit)
// and delivers what it finds.
//
// With a Parker the goroutine waits on the Go netpoller, which wakes it
// when the epoll fd becomes readable or the deadline passes; the look
// inside the wait is a non-blocking epoll_wait, so what arrived before the
// wait began is found there and not lost (see internal/netpark). Without
// one it blocks in epoll_wait.
//
// In both modes a timer's wait is rounded up to a whole millisecond, so
// the loop never wakes before its timer and the timers due within one
// millisecond fire in one turn: tokio's timer has the same 1 ms
// resolution, and the park mode changes where the loop waits, nothing
// else. Waiting to the nanosecond instead would make a timer's median
// lateness the wake-up latency rather than most of a millisecond, but the
// loop would park once per distinct deadline instead of once per
// millisecond, and each timer would cost more CPU; its worst case would
// not improve.
func (r *reactor) park(e *Executor, timeout time.Duration) {
	if timeout == 0 {
		r.poll(e, 0) // a timer is due: look, do not wait
		return
	}
	ms := -1
	if timeout > 0 {
		ms = int((min(timeout, maxPark) + time.Millisecond - 1) / time.Millisecond)
	}
	if r.parker != nil {
		if r.look == nil {
			r.look = func() bool { return r.poll(e, 0) > 0 }
		}
		// ms -1 becomes a negative duration: no deadline.
		if err := r.parker.Wait(time.Duration(ms)*time.Millisecond, r.look); err == nil {
			return
		}
		// The runtime refused to poll the fd: wait in the kernel, as
		// ParkThread does, rather than spin.
	}
	r.poll(e, ms)
}

// poll waits up to timeout milliseconds (-1: no limit, 0: do not block)
// and delivers the events: readiness to the slots, wakes to their wakers.
// It returns the number of events epoll_wait returned.
func (r *reactor) poll(e *Executor, timeout int) int {
	n, err := r.poller.Wait(r.events, timeout)
	e.count.epollWaits++
	if err != nil {
		return 0 // only EBADF or EINVAL, which a running executor cannot get
	}
	for i := range n {
		ev := &r.events[i]
		data := epoll.Data(ev)
		if data == notifierData {
			if read, _ := r.notifier.Drain(); read {
				e.count.eventfdReads++
			}
			continue
		}
		idx, gen := uint32(data), uint32(data>>32)
		if int(idx) >= len(r.slots) {
			continue
		}
		s := &r.slots[idx]
		if !s.inUse || s.gen != gen {
			continue // an event for an fd closed since
		}
		if ev.Events&(epoll.In|epoll.RdHup|epoll.Hup|epoll.Err) != 0 {
			s.readReady = true
			s.readWaker.Wake()
		}
		if ev.Events&(epoll.Out|epoll.Hup|epoll.Err) != 0 {
			s.writeReady = true
			s.writeWaker.Wake()
		}
	}
	return n
}

// register adds fd to epoll for both directions, edge-triggered, once.
func (r *reactor) register(e *Executor, fd int) (idx, gen uint32, err error) {
	if k := len(r.free); k > 0 {
		idx = r.free[k-1]
		r.free = r.free[:k-1]
	} else {
		idx = uint32(len(r.slots))
		r.slots = append(r.slots, ioSlot{})
	}
	s := &r.slots[idx]
	// Unknown readiness counts as ready: the first read or write tries
	// the syscall.
	s.fd, s.inUse, s.readReady, s.writeReady = fd, true, true, true
	gen = s.gen
	e.count.epollCtls++
	if err := r.poller.Add(fd, epoll.In|epoll.Out|epoll.RdHup|epoll.ET, uint64(idx)|uint64(gen)<<32); err != nil {
		r.release(idx)
		return 0, 0, err
	}
	r.sources++
	return idx, gen, nil
}

// deregister frees slot idx, dropping any waker left in it. The fd is
// closed by the caller right after, which removes it from epoll (it was
// never duplicated), so no epoll_ctl(DEL) is needed.
func (r *reactor) deregister(idx uint32) {
	r.sources--
	r.release(idx)
}

func (r *reactor) release(idx uint32) {
	s := &r.slots[idx]
	s.readWaker.Drop()
	s.writeWaker.Drop()
	*s = ioSlot{gen: s.gen + 1, fd: -1}
	r.free = append(r.free, idx)
}

// close closes the Parker's duplicate of the epoll fd, the epoll instance
// and the eventfd.
func (r *reactor) close() error {
	var err error
	if r.parker != nil {
		err = r.parker.Close()
	}
	if perr := r.poller.Close(); err == nil {
		err = perr
	}
	if nerr := r.notifier.Close(); err == nil {
		err = nerr
	}
	return err
}
