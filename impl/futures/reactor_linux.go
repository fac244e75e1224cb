package futures

import (
	"iostrat/internal/epoll"
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
type reactor struct {
	poller   *epoll.Poller
	notifier *epoll.Notifier
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

func newReactor() (*reactor, error) {
	p, n, err := epoll.NewWithNotifier(notifierData)
	if err != nil {
		return nil, err
	}
	return &reactor{poller: p, notifier: n, events: make([]epoll.Event, eventBatch)}, nil
}

// active reports whether any fd is registered, which is when a busy loop
// must look at epoll between batches.
func (r *reactor) active() bool { return r.sources > 0 }

// wakeup makes a parked loop return from epoll_wait; coalesced by the
// Notifier, it writes the eventfd only if no wake-up is pending. Any
// goroutine. It reports whether it wrote.
func (r *reactor) wakeup() bool {
	wrote, _ := r.notifier.Signal()
	return wrote
}

// poll waits up to timeout milliseconds (-1: no limit, 0: do not block)
// and delivers the events: readiness to the slots, wakes to their wakers.
func (r *reactor) poll(e *Executor, timeout int) {
	n, err := r.poller.Wait(r.events, timeout)
	e.count.epollWaits++
	if err != nil {
		return // only EBADF or EINVAL, which a running executor cannot get
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

// close closes the epoll instance and the eventfd.
func (r *reactor) close() error {
	err := r.poller.Close()
	if nerr := r.notifier.Close(); err == nil {
		err = nerr
	}
	return err
}
