package callback

import (
	"errors"
	"fmt"

	"iostrat/internal/epoll"
)

// Events is a set of epoll readiness bits.
type Events uint32

// Readiness bits for Watch and the callbacks it calls.
const (
	Readable   Events = epoll.In    // input is ready (or end of stream)
	Writable   Events = epoll.Out   // the socket buffer has room
	PeerClosed Events = epoll.RdHup // the peer shut down its sending side
	Failed     Events = epoll.Err   // an error is pending; always reported
	HungUp     Events = epoll.Hup   // both directions are closed; always reported
	// EdgeTriggered asks to be told when readiness changes rather than
	// for as long as it lasts; the callback must then drain the fd.
	EdgeTriggered Events = epoll.ET
)

// slot is one entry of the loop's fd table, indexed by fd number.
//
//	state    conn/fn  meaning
//	free     nil/nil  no watch; any event carrying this fd is stale
//	watched  one set  registered with epoll under generation gen
//
// gen is bumped every time the fd number is watched, and every event
// carries the generation it was registered with (see eventData), so an
// event for a descriptor that was closed and whose number was reused by a
// later watch — even within one batch of events — is recognised and
// dropped. The table holds no Go pointer in kernel memory: epoll data is
// the fd number and the generation.
type slot struct {
	gen      uint32
	interest uint32       // events registered with epoll
	conn     *Conn        // a server connection, or nil
	fn       func(Events) // a plain watch's callback, or nil
}

func (s *slot) live() bool { return s.conn != nil || s.fn != nil }

func eventData(fd int, gen uint32) uint64 { return uint64(uint32(fd)) | uint64(gen)<<32 }

// A Watch is a registered fd. It is a small value; copies refer to the
// same registration, and once the fd is unwatched every copy is stale.
type Watch struct {
	loop *Loop
	fd   int
	gen  uint32
}

// ErrStale is returned for a Watch whose registration has ended.
var ErrStale = errors.New("callback: stale watch")

// Watch registers fd with the loop's epoll instance and calls fn with the
// ready events whenever fd is ready for one of ev (level-triggered unless
// ev has EdgeTriggered). Failed and HungUp are always reported. The loop
// does not own fd: Unwatch it before closing it. Loop goroutine only.
func (l *Loop) Watch(fd int, ev Events, fn func(Events)) (Watch, error) {
	checkLoopThread(l)
	if fn == nil {
		return Watch{}, errors.New("callback: Watch with a nil callback")
	}
	gen, err := l.register(fd, uint32(ev), nil, fn)
	if err != nil {
		return Watch{}, err
	}
	return Watch{loop: l, fd: fd, gen: gen}, nil
}

// FD returns the watched descriptor.
func (w Watch) FD() int { return w.fd }

// Modify changes the events the watch waits for. Loop goroutine only.
func (w Watch) Modify(ev Events) error {
	s, err := w.slot()
	if err != nil {
		return err
	}
	return w.loop.setInterest(w.fd, s, uint32(ev))
}

// Unwatch removes the registration; fn is not called again, even for an
// event already collected in the current turn. It does not close the fd.
// Loop goroutine only.
func (w Watch) Unwatch() error {
	if _, err := w.slot(); err != nil {
		return err
	}
	return w.loop.unregister(w.fd)
}

func (w Watch) slot() (*slot, error) {
	if w.loop == nil {
		return nil, ErrStale
	}
	checkLoopThread(w.loop)
	l := w.loop
	if w.fd < 0 || w.fd >= len(l.fds) || l.fds[w.fd].gen != w.gen || !l.fds[w.fd].live() {
		return nil, ErrStale
	}
	return &l.fds[w.fd], nil
}

// register claims the slot of fd under a new generation and adds fd to
// epoll with that generation in its data.
func (l *Loop) register(fd int, interest uint32, c *Conn, fn func(Events)) (uint32, error) {
	if fd < 0 {
		return 0, fmt.Errorf("callback: bad fd %d", fd)
	}
	if fd >= len(l.fds) {
		n := max(2*len(l.fds), fd+1, 64)
		fds := make([]slot, n)
		copy(fds, l.fds)
		l.fds = fds
	}
	s := &l.fds[fd]
	if s.live() {
		return 0, fmt.Errorf("callback: fd %d is already watched", fd)
	}
	gen := s.gen + 1
	if gen == 0 {
		gen = 1
	}
	l.count.EpollCtls++
	if err := l.poller.Add(fd, interest, eventData(fd, gen)); err != nil {
		return 0, err
	}
	*s = slot{gen: gen, interest: interest, conn: c, fn: fn}
	l.watches++
	return gen, nil
}

// setInterest changes the events registered for a live slot, skipping the
// system call when nothing changes.
func (l *Loop) setInterest(fd int, s *slot, interest uint32) error {
	if s.interest == interest {
		return nil
	}
	l.count.EpollCtls++
	if err := l.poller.Modify(fd, interest, eventData(fd, s.gen)); err != nil {
		return err
	}
	s.interest = interest
	return nil
}

// unregister removes fd from epoll and frees its slot, keeping the
// generation so the next watch of the number gets a new one.
func (l *Loop) unregister(fd int) error {
	s := &l.fds[fd]
	s.conn, s.fn, s.interest = nil, nil, 0
	l.watches--
	l.count.EpollCtls++
	return l.poller.Delete(fd)
}

// dispatch hands one event to its watch or connection, or drops it when
// its generation is stale.
func (l *Loop) dispatch(ev *epoll.Event) {
	data := epoll.Data(ev)
	if data == notifierData {
		if read, _ := l.notifier.Drain(); read {
			l.count.EventfdReads++
		}
		return
	}
	fd, gen := int(uint32(data)), uint32(data>>32)
	if fd >= len(l.fds) {
		l.count.SpuriousWakes++
		return
	}
	s := &l.fds[fd]
	if s.gen != gen || !s.live() {
		l.count.SpuriousWakes++
		return
	}
	if c := s.conn; c != nil {
		c.onEvents(ev.Events)
		return
	}
	l.count.Callbacks++
	s.fn(Events(ev.Events))
}
