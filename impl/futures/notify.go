package futures

import "sync/atomic"

// Notify wakes one waiting task: a permit that Notify sets and a waiting
// future consumes (tokio's Notify with notify_one and a single waiter, the
// primitive of the ping-pong workload).
//
// A Notify has a home executor. Waiting happens in tasks of the home
// executor; Notify may be called from anywhere. On the home's goroutine the
// permit and the waiter's waker are plain fields. From another goroutine,
// Notify posts itself to the home's inbox (once: further calls before the
// home runs it coalesce, as the permit is a single bit), and the home sets
// the permit and wakes the waiter on its own goroutine. Ownership by one
// goroutine replaces the compare-and-swap loop an AtomicWaker needs.
//
// One task waits at a time; if a second task waits while the first still
// does, it takes the slot and the first is not woken. Use Broadcast to wake
// many.
type Notify struct {
	home   *Executor
	permit bool  // home only
	waiter Waker // home only: the waiting task
	posted atomic.Bool
}

// NewNotify returns a Notify whose waiters are tasks of home.
func NewNotify(home *Executor) *Notify { return &Notify{home: home} }

// Notify sets the permit and wakes the waiting task, if any. Any goroutine.
func (n *Notify) Notify() {
	if n.home.onOwner() {
		n.notifyLocal()
		return
	}
	if n.posted.Load() || n.posted.Swap(true) {
		return // already on its way
	}
	if !n.home.post(inboxEntry{op: n}) {
		n.posted.Store(false) // home closed: nobody is left to wake
	}
}

func (n *Notify) runOnOwner(*Executor) {
	n.posted.Store(false)
	n.notifyLocal()
}

func (n *Notify) notifyLocal() {
	n.permit = true
	n.waiter.Wake()
}

// Notified returns a future ready once the permit is set, consuming it.
func (n *Notify) Notified() NotifiedFuture { return NotifiedFuture{n: n} }

// NotifiedFuture waits for a Notify's permit.
type NotifiedFuture struct {
	n       *Notify
	waiting bool
}

// Poll implements Future.
func (f *NotifiedFuture) Poll(cx *Context) Poll[struct{}] {
	n := f.n
	if cx.exec != n.home {
		panic("futures: Notify waited on outside its home executor")
	}
	if n.permit {
		n.permit = false
		if f.waiting {
			f.waiting = false
			n.waiter.Drop()
		}
		return Ready(struct{}{})
	}
	f.waiting = true
	n.waiter.CloneFrom(cx.Waker())
	return Pending[struct{}]()
}

// Drop withdraws the waiter.
func (f *NotifiedFuture) Drop() {
	if f.waiting {
		f.waiting = false
		f.n.waiter.Drop()
	}
}
