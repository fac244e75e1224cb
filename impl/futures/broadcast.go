package futures

import (
	"sync"
	"sync/atomic"
)

// Broadcast wakes every waiting task at once: an event counter (a
// generation) that NotifyAll advances, and a list of waiting futures. A
// waiter asks to be woken once the generation passes the last one it saw,
// so it never misses a NotifyAll that happened between two of its waits.
// It is the primitive of the fan-out workload (tokio's notify_waiters).
//
// Like Notify, a Broadcast has a home executor whose tasks wait on it;
// NotifyAll may be called from anywhere, and from elsewhere than the home
// it is posted to the home's inbox.
type Broadcast struct {
	home   *Executor
	gen    uint64         // home only
	head   *BroadcastWait // home only: waiting futures, oldest first
	tail   *BroadcastWait
	posted atomic.Bool
}

// NewBroadcast returns a Broadcast whose waiters are tasks of home.
func NewBroadcast(home *Executor) *Broadcast { return &Broadcast{home: home} }

// NotifyAll advances the generation and wakes every waiter, in the order
// they started waiting. Any goroutine;
// calls from elsewhere than the home that arrive before the home ran the
// first coalesce into one.
func (b *Broadcast) NotifyAll() {
	if b.home.onOwner() {
		b.notifyLocal()
		return
	}
	if b.posted.Load() || b.posted.Swap(true) {
		return
	}
	if !b.home.post(inboxEntry{op: b}) {
		b.posted.Store(false)
	}
}

func (b *Broadcast) runOnOwner(*Executor) {
	b.posted.Store(false)
	b.notifyLocal()
}

func (b *Broadcast) notifyLocal() {
	b.gen++
	for w := b.head; w != nil; w = b.head {
		b.unlink(w)
		w.waker.Wake()
	}
}

// Wait returns a future ready once the generation is past seen, with the
// generation it saw. Start from seen 0 (no NotifyAll yet) and pass back
// each result.
func (b *Broadcast) Wait(seen uint64) BroadcastWait { return BroadcastWait{b: b, seen: seen} }

// BroadcastWait waits for a Broadcast. While it waits it is linked into
// the Broadcast's list, so it must not be copied once polled.
type BroadcastWait struct {
	b          *Broadcast
	seen       uint64
	waker      Waker
	prev, next *BroadcastWait
	linked     bool
}

// Poll implements Future.
func (w *BroadcastWait) Poll(cx *Context) Poll[uint64] {
	b := w.b
	if cx.exec != b.home {
		panic("futures: Broadcast waited on outside its home executor")
	}
	if b.gen > w.seen {
		if w.linked {
			b.unlink(w)
			w.waker.Drop()
		}
		return Ready(b.gen)
	}
	w.waker.CloneFrom(cx.Waker())
	if !w.linked {
		w.linked = true
		w.next = nil
		w.prev = b.tail
		if b.tail != nil {
			b.tail.next = w
		} else {
			b.head = w
		}
		b.tail = w
	}
	return Pending[uint64]()
}

// Drop leaves the waiter list.
func (w *BroadcastWait) Drop() {
	if w.linked {
		w.b.unlink(w)
		w.waker.Drop()
	}
}

func (b *Broadcast) unlink(w *BroadcastWait) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		b.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		b.tail = w.prev
	}
	w.prev, w.next, w.linked = nil, nil, false
}

// SharedBroadcast is a Broadcast whose waiters may be tasks of any
// executor, as tokio's Notify::notify_waiters wakes tasks of every worker.
// The waiter list is guarded by a mutex instead of belonging to a home
// executor, and NotifyAll wakes each waiter through its Waker: a task of
// the executor whose goroutine calls NotifyAll takes the vtable's owner
// path (queued on the spot), a task of another executor its remote path
// (an atomic, that executor's inbox and, if it is parked, an eventfd
// write). A Broadcast pays none of this: use it when the waiters share one
// executor.
type SharedBroadcast struct {
	mu   sync.Mutex
	gen  uint64               // guarded by mu
	head *SharedBroadcastWait // guarded by mu: waiting futures, oldest first
	tail *SharedBroadcastWait
}

// NewSharedBroadcast returns a SharedBroadcast with no waiter.
func NewSharedBroadcast() *SharedBroadcast { return &SharedBroadcast{} }

// NotifyAll advances the generation and wakes every waiter, in the order
// they started waiting. Any goroutine.
//
// The wakes happen under the mutex, so a waiter being polled on another
// executor meanwhile finds its waker either still there or consumed,
// never half taken; a wake only queues or posts a task, it never polls
// one, so nothing runs under the mutex that could take it again.
func (b *SharedBroadcast) NotifyAll() {
	b.mu.Lock()
	b.gen++
	for w := b.head; w != nil; w = b.head {
		b.unlink(w)
		w.waker.Wake()
	}
	b.mu.Unlock()
}

// Wait returns a future ready once the generation is past seen, with the
// generation it saw. Start from seen 0 and pass back each result.
func (b *SharedBroadcast) Wait(seen uint64) SharedBroadcastWait {
	return SharedBroadcastWait{b: b, seen: seen}
}

// SharedBroadcastWait waits for a SharedBroadcast. While it waits it is
// linked into the SharedBroadcast's list, so it must not be copied once
// polled. Its waker and links are guarded by the SharedBroadcast's mutex.
type SharedBroadcastWait struct {
	b          *SharedBroadcast
	seen       uint64
	waker      Waker
	prev, next *SharedBroadcastWait
	linked     bool
}

// Poll implements Future.
func (w *SharedBroadcastWait) Poll(cx *Context) Poll[uint64] {
	b := w.b
	b.mu.Lock()
	if gen := b.gen; gen > w.seen {
		var stale Waker
		if w.linked {
			b.unlink(w)
			stale = w.waker.Take()
		}
		b.mu.Unlock()
		stale.Drop()
		return Ready(gen)
	}
	w.waker.CloneFrom(cx.Waker())
	if !w.linked {
		b.link(w)
	}
	b.mu.Unlock()
	return Pending[uint64]()
}

// Drop leaves the waiter list.
func (w *SharedBroadcastWait) Drop() {
	b := w.b
	if b == nil {
		return
	}
	b.mu.Lock()
	var stale Waker
	if w.linked {
		b.unlink(w)
		stale = w.waker.Take()
	}
	b.mu.Unlock()
	stale.Drop()
}

func (b *SharedBroadcast) link(w *SharedBroadcastWait) {
	w.linked = true
	w.next = nil
	w.prev = b.tail
	if b.tail != nil {
		b.tail.next = w
	} else {
		b.head = w
	}
	b.tail = w
}

func (b *SharedBroadcast) unlink(w *SharedBroadcastWait) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		b.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		b.tail = w.prev
	}
	w.prev, w.next, w.linked = nil, nil, false
}
