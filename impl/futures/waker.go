package futures

import "unsafe"

// A RawWakerVTable is the hand-made virtual method table behind a [Waker]:
// four functions that each take the waker's data pointer. It is what Rust's
// std::task::RawWakerVTable is, field for field.
//
// The contract, for whoever builds one (the executor does, in task.go):
//   - Clone returns a new RawWaker for the same task, counting one more
//     reference to data.
//   - Wake wakes the task and releases the reference the waker held.
//   - WakeByRef wakes the task and keeps the reference.
//   - Drop releases the reference without waking.
//
// Every function may be called from any goroutine, concurrently, for as
// long as a waker holding the reference exists. A vtable must live as long
// as any waker using it: in practice a package-level variable, compared by
// address in [Waker.WillWake].
type RawWakerVTable struct {
	Clone     func(data unsafe.Pointer) RawWaker
	Wake      func(data unsafe.Pointer)
	WakeByRef func(data unsafe.Pointer)
	Drop      func(data unsafe.Pointer)
}

// A RawWaker is a data pointer and the vtable that knows what it points at:
// a fat pointer built by hand. Go's own fat pointer, the interface value, is
// (itab, data); this one is (data, vtable), in Rust's order.
type RawWaker struct {
	data   unsafe.Pointer
	vtable *RawWakerVTable
}

// NewRawWaker pairs data with the vtable that interprets it.
func NewRawWaker(data unsafe.Pointer, vtable *RawWakerVTable) RawWaker {
	return RawWaker{data: data, vtable: vtable}
}

// Data returns the data pointer.
func (r RawWaker) Data() unsafe.Pointer { return r.data }

// VTable returns the vtable.
func (r RawWaker) VTable() *RawWakerVTable { return r.vtable }

// A Waker wakes one task: it tells the task's executor to poll the task
// again. A future that returns pending keeps a clone of the waker from its
// [Context] wherever the event it waits for will happen (a reactor slot, a
// timer, a notify), and that event calls Wake.
//
// A Waker owns one reference to its task. Go cannot move a value out of a
// variable the way Rust does, so the methods that consume the waker (Wake,
// Drop, Take) take a pointer and leave the zero Waker behind: using a
// consumed waker again does nothing instead of releasing the reference
// twice. The zero Waker is "no waker"; every method is a no-op on it.
//
// A Waker value must not be copied and then used through both copies: that
// would spend one reference twice. Clone it instead.
type Waker struct {
	raw RawWaker
}

// FromRaw wraps raw in a Waker, which takes over the reference raw holds.
// raw's vtable must honour the [RawWakerVTable] contract; nothing checks it.
func FromRaw(raw RawWaker) Waker { return Waker{raw: raw} }

// Wake wakes the task and consumes the waker: afterwards w is the zero
// Waker.
func (w *Waker) Wake() {
	raw := w.raw
	if raw.vtable == nil {
		return
	}
	w.raw = RawWaker{}
	raw.vtable.Wake(raw.data)
}

// WakeByRef wakes the task and keeps the waker.
func (w *Waker) WakeByRef() {
	if w.raw.vtable != nil {
		w.raw.vtable.WakeByRef(w.raw.data)
	}
}

// Clone returns a new waker for the same task.
func (w *Waker) Clone() Waker {
	if w.raw.vtable == nil {
		return Waker{}
	}
	return Waker{raw: w.raw.vtable.Clone(w.raw.data)}
}

// Drop releases the waker without waking: afterwards w is the zero Waker.
// It is Rust's drop(waker), which Go has to be told to run.
func (w *Waker) Drop() {
	raw := w.raw
	if raw.vtable == nil {
		return
	}
	w.raw = RawWaker{}
	raw.vtable.Drop(raw.data)
}

// Take moves the waker out of w, leaving the zero Waker (Rust's
// Option::take).
func (w *Waker) Take() Waker {
	t := *w
	w.raw = RawWaker{}
	return t
}

// WillWake reports whether w and other wake the same task: the same data
// pointer and the same vtable. It may say false for two wakers that would
// in fact wake the same task; never true for two that would not.
func (w *Waker) WillWake(other *Waker) bool {
	return w.raw == other.raw
}

// CloneFrom makes w a waker for src's task. When w already wakes that task
// it does nothing: a future re-polled by the same task keeps the waker it
// stored, without touching any reference count (Rust's Waker::clone_from,
// the will_wake idiom).
func (w *Waker) CloneFrom(src *Waker) {
	if w.raw == src.raw {
		return
	}
	old := w.raw
	w.raw = src.Clone().raw
	if old.vtable != nil {
		old.vtable.Drop(old.data)
	}
}

// IsZero reports whether w is the zero Waker (no waker, or one consumed).
func (w *Waker) IsZero() bool { return w.raw.vtable == nil }

// Data returns the waker's data pointer.
func (w *Waker) Data() unsafe.Pointer { return w.raw.data }

// VTable returns the waker's vtable.
func (w *Waker) VTable() *RawWakerVTable { return w.raw.vtable }

// The no-op waker's functions, in vtable order. They never look at data.

func noopClone(data unsafe.Pointer) RawWaker { return RawWaker{data: data, vtable: &noopVTable} }
func noopWake(unsafe.Pointer)                {}

// noopVTable is filled in by init: its Clone refers back to it, which Go
// rejects as an initialization cycle in a variable's initializer.
var noopVTable RawWakerVTable

func init() {
	noopVTable = RawWakerVTable{Clone: noopClone, Wake: noopWake, WakeByRef: noopWake, Drop: noopWake}
}

// NoopWaker returns a waker that does nothing when woken (Rust's
// Waker::noop). Tests poll futures by hand with it.
func NoopWaker() Waker { return Waker{raw: RawWaker{vtable: &noopVTable}} }
