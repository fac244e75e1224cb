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
	home    *Executor
	gen     uint64     // home only
	waiters waiterList // home only
	posted  atomic.Bool
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
	b.waiters.wakeAll()
}

// Wait returns a future ready once the generation is past seen, with the
// generation it saw. Start from seen 0 (no NotifyAll yet) and pass back
// each result.
func (b *Broadcast) Wait(seen uint64) BroadcastWait { return BroadcastWait{b: b, seen: seen} }

// BroadcastWait waits for a Broadcast. While it waits it is linked into
// the Broadcast's list, so it must not be copied once polled.
type BroadcastWait struct {
	b    *Broadcast
	seen uint64
	node waiter
}

// Poll implements Future.
func (w *BroadcastWait) Poll(cx *Context) Poll[uint64] {
	b := w.b
	if cx.exec != b.home {
		panic("futures: Broadcast waited on outside its home executor")
	}
	if b.gen > w.seen {
		stale := b.waiters.leave(&w.node)
		stale.Drop()
		return Ready(b.gen)
	}
	b.waiters.join(&w.node, cx.Waker())
	return Pending[uint64]()
}

// Drop leaves the waiter list.
func (w *BroadcastWait) Drop() {
	if w.b == nil {
		return // never made by Wait
	}
	stale := w.b.waiters.leave(&w.node)
	stale.Drop()
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
	mu      sync.Mutex
	gen     uint64     // guarded by mu
	waiters waiterList // guarded by mu
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
	b.waiters.wakeAll()
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
	b    *SharedBroadcast
	seen uint64
	node waiter
}

// Poll implements Future.
func (w *SharedBroadcastWait) Poll(cx *Context) Poll[uint64] {
	b := w.b
	b.mu.Lock()
	if gen := b.gen; gen > w.seen {
		stale := b.waiters.leave(&w.node)
		b.mu.Unlock()
		stale.Drop()
		return Ready(gen)
	}
	b.waiters.join(&w.node, cx.Waker())
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
	stale := b.waiters.leave(&w.node)
	b.mu.Unlock()
	stale.Drop()
}

// waiterList is the waiting futures of a Broadcast or SharedBroadcast,
// oldest first: an intrusive doubly linked list whose nodes live in the
// futures themselves, so waiting allocates nothing. The caller provides
// the exclusion (the home executor, or a mutex).
type waiterList struct{ head, tail *waiter }

// A waiter is one future's node: the waker to wake and its links.
type waiter struct {
	waker      Waker
	prev, next *waiter
	linked     bool
}

// join records wk as w's waker and links w at the tail if it is not
// linked yet.
func (l *waiterList) join(w *waiter, wk *Waker) {
	w.waker.CloneFrom(wk)
	if w.linked {
		return
	}
	w.linked, w.next, w.prev = true, nil, l.tail
	if l.tail != nil {
		l.tail.next = w
	} else {
		l.head = w
	}
	l.tail = w
}

// leave unlinks w if it is linked and hands back its waker for the
// caller to drop (outside a lock: a drop may free a task); a waiter that
// is not linked gives back an empty Waker.
func (l *waiterList) leave(w *waiter) Waker {
	if !w.linked {
		return Waker{}
	}
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		l.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		l.tail = w.prev
	}
	w.prev, w.next, w.linked = nil, nil, false
	return w.waker.Take()
}

// wakeAll unlinks every waiter, oldest first, and wakes it.
func (l *waiterList) wakeAll() {
	for w := l.head; w != nil; w = l.head {
		wk := l.leave(w)
		wk.Wake()
	}
}
