package futures

import (
	"errors"
	"io"

	"golang.org/x/sys/unix"

	"iostrat/internal/netfd"
)

// A Source is a non-blocking fd registered with an executor's reactor: the
// I/O half of a task, as mio's registered sources are. Its Poll methods do
// one non-blocking syscall and, on EAGAIN, leave the task's waker in the
// fd's slot. A Source belongs to the executor it was registered with and is
// used by one task at a time per direction, from inside that task's polls.
//
// The zero Source is not registered.
type Source struct {
	e   *Executor
	fd  int
	idx uint32
	gen uint32
	ok  bool
}

// Register registers fd (non-blocking, owned by the caller until Close)
// with e's reactor. It is called from a task on e.
func (e *Executor) Register(fd int) (Source, error) {
	if !e.onOwner() {
		panic("futures: Register called outside the executor's loop")
	}
	idx, gen, err := e.reactor.register(e, fd)
	if err != nil {
		return Source{}, err
	}
	return Source{e: e, fd: fd, idx: idx, gen: gen, ok: true}, nil
}

// FD returns the registered fd.
func (s *Source) FD() int { return s.fd }

// IOResult is what a read or write did: bytes moved, and the error that
// ended it (io.EOF for a read at end of stream).
type IOResult struct {
	N   int
	Err error
}

// AcceptResult is an accepted connection's fd, or the error.
type AcceptResult struct {
	FD  int
	Err error
}

// errSourceClosed is returned by I/O on a closed Source.
var errSourceClosed = errors.New("futures: I/O on a closed Source")

func (s *Source) slot(cx *Context) *ioSlot {
	if cx.exec != s.e {
		panic("futures: Source polled outside its executor")
	}
	return &s.e.reactor.slots[s.idx]
}

// PollRead reads into p. Pending means the fd had nothing and the task's
// waker waits in the slot; end of stream is Ready with io.EOF.
func (s *Source) PollRead(cx *Context, p []byte) Poll[IOResult] {
	if !s.ok {
		return Ready(IOResult{Err: errSourceClosed})
	}
	slot := s.slot(cx)
	if !slot.readReady {
		// EAGAIN was seen and no event came since: the syscall would fail.
		slot.readWaker.CloneFrom(cx.Waker())
		return Pending[IOResult]()
	}
	n, err := netfd.Read(s.fd, p)
	s.e.count.reads++
	switch {
	case err == unix.EAGAIN:
		slot.readReady = false
		slot.readWaker.CloneFrom(cx.Waker())
		return Pending[IOResult]()
	case err == nil && n == 0 && len(p) > 0:
		err = io.EOF
	}
	return Ready(IOResult{N: n, Err: err})
}

// PollWrite writes as much of p as the socket takes. It is Ready once
// something was written or on error, Pending if nothing could be written.
// A short write (N < len(p)) means the socket is full: the task's waker is
// already in the slot, so the caller may return Pending without calling
// PollWrite again.
func (s *Source) PollWrite(cx *Context, p []byte) Poll[IOResult] {
	if !s.ok {
		return Ready(IOResult{Err: errSourceClosed})
	}
	slot := s.slot(cx)
	if !slot.writeReady {
		slot.writeWaker.CloneFrom(cx.Waker())
		return Pending[IOResult]()
	}
	total := 0
	for total < len(p) {
		n, err := netfd.Write(s.fd, p[total:])
		s.e.count.writes++
		total += n
		if err == unix.EAGAIN {
			slot.writeReady = false
			slot.writeWaker.CloneFrom(cx.Waker())
			if total > 0 {
				break
			}
			return Pending[IOResult]()
		}
		if err != nil {
			return Ready(IOResult{N: total, Err: err})
		}
	}
	return Ready(IOResult{N: total})
}

// PollAccept accepts one connection from a listening Source.
func (s *Source) PollAccept(cx *Context) Poll[AcceptResult] {
	if !s.ok {
		return Ready(AcceptResult{FD: -1, Err: errSourceClosed})
	}
	slot := s.slot(cx)
	if !slot.readReady {
		slot.readWaker.CloneFrom(cx.Waker())
		return Pending[AcceptResult]()
	}
	fd, err := netfd.Accept(s.fd)
	s.e.count.accepts++
	if err == unix.EAGAIN {
		slot.readReady = false
		slot.readWaker.CloneFrom(cx.Waker())
		return Pending[AcceptResult]()
	}
	return Ready(AcceptResult{FD: fd, Err: err})
}

// dropReadWaker and dropWriteWaker withdraw a pending operation's interest:
// what a dropped Read, Write or Accept future does.
func (s *Source) dropReadWaker() {
	if s.ok {
		s.e.reactor.slots[s.idx].readWaker.Drop()
	}
}

func (s *Source) dropWriteWaker() {
	if s.ok {
		s.e.reactor.slots[s.idx].writeWaker.Drop()
	}
}

// Close deregisters the fd, dropping any waker waiting on it, and closes
// it. It is called on the executor's goroutine. Closing twice is a no-op.
func (s *Source) Close() error {
	if !s.ok {
		return nil
	}
	if !s.e.onOwner() {
		panic("futures: Source closed outside its executor's loop")
	}
	s.ok = false
	s.e.reactor.deregister(s.idx)
	return netfd.Close(s.fd)
}

// ReadFuture reads once into a buffer (Read).
type ReadFuture struct {
	src *Source
	buf []byte
}

// Read returns a future that reads once from src into buf.
func Read(src *Source, buf []byte) ReadFuture { return ReadFuture{src: src, buf: buf} }

// Poll implements Future.
func (f *ReadFuture) Poll(cx *Context) Poll[IOResult] { return f.src.PollRead(cx, f.buf) }

// Drop withdraws the read's waker from the reactor.
func (f *ReadFuture) Drop() { f.src.dropReadWaker() }

// WriteFuture writes a whole buffer (Write).
type WriteFuture struct {
	src *Source
	buf []byte
	n   int
}

// Write returns a future that writes all of buf to src, in as many writes
// as the socket needs; it is ready with len(buf), or with the count so far
// and the error.
func Write(src *Source, buf []byte) WriteFuture { return WriteFuture{src: src, buf: buf} }

// Poll implements Future.
func (f *WriteFuture) Poll(cx *Context) Poll[IOResult] {
	for f.n < len(f.buf) {
		p := f.src.PollWrite(cx, f.buf[f.n:])
		if !p.ready {
			return p
		}
		f.n += p.value.N
		if p.value.Err != nil {
			return Ready(IOResult{N: f.n, Err: p.value.Err})
		}
	}
	return Ready(IOResult{N: f.n})
}

// Drop withdraws the write's waker from the reactor.
func (f *WriteFuture) Drop() { f.src.dropWriteWaker() }

// AcceptFuture accepts one connection (Accept).
type AcceptFuture struct {
	src *Source
}

// Accept returns a future that accepts one connection on the listening
// Source ln.
func Accept(ln *Source) AcceptFuture { return AcceptFuture{src: ln} }

// Poll implements Future.
func (f *AcceptFuture) Poll(cx *Context) Poll[AcceptResult] { return f.src.PollAccept(cx) }

// Drop withdraws the accept's waker from the reactor.
func (f *AcceptFuture) Drop() { f.src.dropReadWaker() }
