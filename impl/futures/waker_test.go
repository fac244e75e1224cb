package futures

import (
	"sync/atomic"
	"testing"
	"unsafe"
)

// countingWaker is the data behind a counting vtable: it counts every call,
// so a test can check that each reference handed out (the first one, and
// one per Clone) is given back exactly once (by Wake or Drop).
type countingWaker struct {
	clones, wakes, wakeByRefs, drops atomic.Int64
}

// live is the number of references outstanding: the first one plus the
// clones, minus those consumed by Wake and Drop.
func (c *countingWaker) live() int64 {
	return 1 + c.clones.Load() - c.wakes.Load() - c.drops.Load()
}

func countingOf(p unsafe.Pointer) *countingWaker {
	// Safety: every RawWaker with countingVTable is made by newCounting
	// from a *countingWaker the test keeps alive.
	return (*countingWaker)(p)
}

func countingClone(p unsafe.Pointer) RawWaker {
	countingOf(p).clones.Add(1)
	return NewRawWaker(p, &countingVTable)
}
func countingWake(p unsafe.Pointer)      { countingOf(p).wakes.Add(1) }
func countingWakeByRef(p unsafe.Pointer) { countingOf(p).wakeByRefs.Add(1) }
func countingDrop(p unsafe.Pointer)      { countingOf(p).drops.Add(1) }

var countingVTable RawWakerVTable

func init() {
	countingVTable = RawWakerVTable{
		Clone:     countingClone,
		Wake:      countingWake,
		WakeByRef: countingWakeByRef,
		Drop:      countingDrop,
	}
}

// newCounting returns a counter and the first waker referring to it.
func newCounting() (*countingWaker, Waker) {
	c := new(countingWaker)
	// Safety: c is heap-allocated and kept by the caller.
	return c, FromRaw(NewRawWaker(unsafe.Pointer(c), &countingVTable))
}

func TestWakeConsumesWakeByRefDoesNot(t *testing.T) {
	c, w := newCounting()
	w.WakeByRef()
	w.WakeByRef()
	if w.IsZero() {
		t.Fatal("WakeByRef consumed the waker")
	}
	if got := c.wakeByRefs.Load(); got != 2 {
		t.Fatalf("wakeByRefs = %d, want 2", got)
	}
	w.Wake()
	if !w.IsZero() {
		t.Fatal("Wake left the waker usable")
	}
	w.Wake() // consumed: nothing happens
	w.Drop()
	w.WakeByRef()
	if c.wakes.Load() != 1 || c.drops.Load() != 0 || c.wakeByRefs.Load() != 2 {
		t.Fatalf("after using a consumed waker: wakes=%d drops=%d wakeByRefs=%d, want 1 0 2",
			c.wakes.Load(), c.drops.Load(), c.wakeByRefs.Load())
	}
	if c.live() != 0 {
		t.Fatalf("%d references outstanding, want 0", c.live())
	}
}

func TestCloneDropBalance(t *testing.T) {
	c, w := newCounting()
	clones := make([]Waker, 10)
	for i := range clones {
		clones[i] = w.Clone()
	}
	if !clones[3].WillWake(&w) {
		t.Fatal("a clone does not WillWake its origin")
	}
	for i := range clones {
		if i%2 == 0 {
			clones[i].Drop()
		} else {
			clones[i].Wake()
		}
	}
	taken := w.Take()
	if !w.IsZero() {
		t.Fatal("Take left the waker in place")
	}
	taken.Drop()
	if c.clones.Load() != 10 || c.live() != 0 {
		t.Fatalf("clones=%d live=%d, want 10 and 0", c.clones.Load(), c.live())
	}
}

func TestCloneFromKeepsTheSameWaker(t *testing.T) {
	c1, w1 := newCounting()
	c2, w2 := newCounting()
	var slot Waker
	slot.CloneFrom(&w1)
	slot.CloneFrom(&w1) // same task: no clone, no drop
	if c1.clones.Load() != 1 || c1.drops.Load() != 0 {
		t.Fatalf("CloneFrom the same waker twice: clones=%d drops=%d, want 1 0", c1.clones.Load(), c1.drops.Load())
	}
	slot.CloneFrom(&w2) // another task: the old one is dropped
	if c1.drops.Load() != 1 || c2.clones.Load() != 1 {
		t.Fatalf("CloneFrom another waker: old drops=%d new clones=%d, want 1 1", c1.drops.Load(), c2.clones.Load())
	}
	slot.Drop()
	w1.Drop()
	w2.Drop()
	if c1.live() != 0 || c2.live() != 0 {
		t.Fatalf("live = %d, %d, want 0, 0", c1.live(), c2.live())
	}
}

func TestWillWake(t *testing.T) {
	_, w1 := newCounting()
	_, w2 := newCounting()
	noop := NoopWaker()
	if !w1.WillWake(&w1) || w1.WillWake(&w2) || w1.WillWake(&noop) {
		t.Fatal("WillWake compares data and vtable")
	}
	// Same data, another vtable: not the same waker.
	other := FromRaw(NewRawWaker(w1.Data(), &noopVTable))
	if w1.WillWake(&other) {
		t.Fatal("WillWake ignored the vtable")
	}
	var zero Waker
	if !zero.IsZero() || zero.Clone() != (Waker{}) {
		t.Fatal("the zero Waker is not inert")
	}
	zero.Wake()
	zero.WakeByRef()
	zero.Drop()
}
