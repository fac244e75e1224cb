package futures

import "sync/atomic"

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
