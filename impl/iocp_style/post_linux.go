package iocpstyle

import (
	"sync"
	"sync/atomic"

	"iostrat/internal/epoll"
)

// posted is one completion posted from another thread.
type posted struct {
	token  Token
	result int32
}

// crossThread is a port's entry point for other threads: a queue of posted
// completions and the eventfd that wakes the port's owner. Both backends
// watch the eventfd: io_uring keeps a read armed on it in the ring
// (ParkThread) or has the Go netpoller watch it, the ring signalling it
// too (ParkNetpoll, see park_linux.go); the emulated port has it in its
// epoll set. Signals coalesce (see
// epoll.Notifier), so a burst of posts costs one eventfd write per turn of
// the owner, not one per post.
type crossThread struct {
	mu     sync.Mutex
	items  []posted // guarded by mu
	closed bool     // guarded by mu
	queued atomic.Int32

	wake   *epoll.Notifier
	writes atomic.Uint64 // eventfd writes made by posters
}

func newCrossThread() (*crossThread, error) {
	nt, err := epoll.NewNotifier()
	if err != nil {
		return nil, err
	}
	return &crossThread{wake: nt}, nil
}

// post queues a completion and wakes the owner. It is safe from any
// goroutine. The signal is sent under the lock so that close, which takes
// the lock, never closes the eventfd under a poster.
func (x *crossThread) post(tok Token, res int32) error {
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return ErrClosed
	}
	x.items = append(x.items, posted{tok, res})
	x.queued.Store(int32(len(x.items)))
	wrote, err := x.wake.Signal()
	x.mu.Unlock()
	if wrote {
		x.writes.Add(1)
	}
	return err
}

// pending reports, without locking, whether posts may be waiting.
func (x *crossThread) pending() bool { return x.queued.Load() != 0 }

// take returns the posts queued so far and gives the queue reuse (the
// owner's previous batch, fully used) to fill next, so steady traffic
// allocates nothing.
func (x *crossThread) take(reuse []posted) []posted {
	x.mu.Lock()
	items := x.items
	x.items = reuse[:0]
	x.queued.Store(0)
	x.mu.Unlock()
	return items
}

// close refuses further posts and closes the eventfd. Posts not yet taken
// are dropped.
func (x *crossThread) close() error {
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return nil
	}
	x.closed = true
	x.items = nil
	x.mu.Unlock()
	return x.wake.Close()
}
