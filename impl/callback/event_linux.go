package callback

// An Event is a one-shot broadcast on one loop, in the style of an event
// emitter's "once" listeners: callbacks wait on it with Wait, and Fire
// posts every waiting callback, in the order they waited, and empties the
// list. A callback that wants the next firing waits again. All methods are
// for the loop goroutine only.
type Event struct {
	loop    *Loop
	waiters []func()
	spare   []func()
}

// NewEvent returns an event whose callbacks run on l.
func (l *Loop) NewEvent() *Event { return &Event{loop: l} }

// Wait adds fn to the callbacks the next Fire posts.
func (e *Event) Wait(fn func()) {
	checkLoopThread(e.loop)
	e.waiters = append(e.waiters, fn)
}

// Fire posts every waiting callback to the loop and returns how many it
// posted. Callbacks that wait again while those run wait for the next Fire.
func (e *Event) Fire() int {
	checkLoopThread(e.loop)
	list := e.waiters
	e.waiters = e.spare[:0]
	for i, fn := range list {
		e.loop.local.push(fn)
		list[i] = nil
	}
	e.spare = list[:0]
	return len(list)
}
