package callback

import (
	"sync"
	"sync/atomic"
)

// localQueue is the FIFO of callbacks posted from the loop's own goroutine:
// a growable ring of func values. Only the loop goroutine touches it, so a
// post is a store and an index increment, with no atomic and no lock.
type localQueue struct {
	buf  []func() // length is a power of two; allocated by newLocalQueue
	mask uint     // len(buf)-1
	head uint     // next callback to run
	tail uint     // next free slot; tail-head callbacks are queued
}

const minLocalQueue = 64

func newLocalQueue() localQueue {
	return localQueue{buf: make([]func(), minLocalQueue), mask: minLocalQueue - 1}
}

func (q *localQueue) len() int { return int(q.tail - q.head) }

// push is small enough to be inlined into PostLocal: growing is out of line.
func (q *localQueue) push(fn func()) {
	if q.tail-q.head > q.mask {
		q.grow()
	}
	q.buf[q.tail&q.mask] = fn
	q.tail++
}

// pop removes the oldest callback; the queue must not be empty. The slot is
// cleared so the ring does not keep a finished callback's closure alive.
func (q *localQueue) pop() func() {
	i := q.head & q.mask
	fn := q.buf[i]
	q.buf[i] = nil
	q.head++
	return fn
}

//go:noinline
func (q *localQueue) grow() {
	n := 2 * len(q.buf)
	buf := make([]func(), n)
	for i := uint(0); i < q.tail-q.head; i++ {
		buf[i] = q.buf[(q.head+i)&q.mask]
	}
	q.tail -= q.head
	q.head = 0
	q.buf = buf
	q.mask = uint(n - 1)
}

// remoteQueue is the multi-producer queue behind Post. Producers append
// under a mutex; the loop swaps the whole slice out at once, so it takes
// the lock once per batch, not once per callback, and the two slices are
// reused turn after turn without allocating.
//
// pending is true from the append that makes the queue non-empty until the
// loop takes the batch. Together with the loop's sleeping flag it decides
// whether a post must write the eventfd (see Loop.post). Producers use the
// fields directly, in Loop.post.
type remoteQueue struct {
	mu      sync.Mutex
	items   []func()
	closed  bool // no more posts: the loop is stopping
	pending atomic.Bool
}

// take swaps the queued callbacks for spare (an empty slice whose capacity
// is reused) and returns them.
func (q *remoteQueue) take(spare []func()) []func() {
	q.mu.Lock()
	items := q.items
	q.items = spare[:0]
	q.pending.Store(false)
	q.mu.Unlock()
	return items
}

// close refuses further posts. Once it returns, no producer is inside
// Loop.post, so the loop may close its eventfd.
func (q *remoteQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}
