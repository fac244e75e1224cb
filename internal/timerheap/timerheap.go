// Package timerheap is the timer structure shared by the loops that keep
// their own timers (the callback loop, the futures reactor, the emulated
// completion port): a 4-ary min-heap of deadlines, as in the Go runtime's
// timer heap, with O(log n) insert, cancel and pop. Sharing one structure
// keeps the timer workload a comparison of wake paths, not of heaps.
// A Heap is used by one goroutine (its loop).
package timerheap

import "time"

// Timer is one entry. The heap does not allocate timers; loops embed or
// pool them.
type Timer[T any] struct {
	// When is the deadline, in nanoseconds on the clock of [Now].
	When int64
	// Value is the loop's payload (a callback, a waker slot, a token).
	Value T
	pos   int // 1 + position in the heap; 0 when not pending, so the zero Timer is not pending
}

// Pending reports whether t is in a heap.
func (t *Timer[T]) Pending() bool { return t.pos > 0 }

// Heap is a 4-ary min-heap of timers ordered by When.
type Heap[T any] struct {
	items []*Timer[T]
}

// Len returns the number of pending timers.
func (h *Heap[T]) Len() int { return len(h.items) }

// Push adds t. t must not be pending.
func (h *Heap[T]) Push(t *Timer[T]) {
	h.items = append(h.items, t)
	h.up(len(h.items) - 1)
}

// Remove takes t out of the heap and reports whether it was pending.
func (h *Heap[T]) Remove(t *Timer[T]) bool {
	i := t.pos - 1
	if i < 0 || i >= len(h.items) || h.items[i] != t {
		return false
	}
	last := len(h.items) - 1
	if i != last {
		h.items[i] = h.items[last]
		h.items[i].pos = i + 1
	}
	h.items[last] = nil
	h.items = h.items[:last]
	if i != last {
		h.down(i)
		h.up(i)
	}
	t.pos = 0
	return true
}

// Peek returns the earliest timer, or nil.
func (h *Heap[T]) Peek() *Timer[T] {
	if len(h.items) == 0 {
		return nil
	}
	return h.items[0]
}

// PopDue removes and returns the earliest timer if it is due at now, or
// returns nil.
func (h *Heap[T]) PopDue(now int64) *Timer[T] {
	if len(h.items) == 0 || h.items[0].When > now {
		return nil
	}
	t := h.items[0]
	h.Remove(t)
	return t
}

// TimeoutMillis is the epoll_wait timeout that wakes the loop for the
// earliest timer: -1 with no timers, 0 if one is due, otherwise the time
// left rounded up to a whole millisecond so the loop never wakes early.
func (h *Heap[T]) TimeoutMillis(now int64) int {
	if len(h.items) == 0 {
		return -1
	}
	d := h.items[0].When - now
	if d <= 0 {
		return 0
	}
	return int((d + int64(time.Millisecond) - 1) / int64(time.Millisecond))
}

func (h *Heap[T]) up(i int) {
	t := h.items[i]
	for i > 0 {
		p := (i - 1) / 4
		if h.items[p].When <= t.When {
			break
		}
		h.items[i] = h.items[p]
		h.items[i].pos = i + 1
		i = p
	}
	h.items[i] = t
	t.pos = i + 1
}

func (h *Heap[T]) down(i int) {
	n := len(h.items)
	t := h.items[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		best := c
		for j := c + 1; j < c+4 && j < n; j++ {
			if h.items[j].When < h.items[best].When {
				best = j
			}
		}
		if h.items[best].When >= t.When {
			break
		}
		h.items[i] = h.items[best]
		h.items[i].pos = i + 1
		i = best
	}
	h.items[i] = t
	t.pos = i + 1
}

// epoch anchors Now so deadlines are small monotonic integers.
var epoch = time.Now()

// Now returns the monotonic clock in nanoseconds, the clock of Timer.When.
func Now() int64 { return int64(time.Since(epoch)) }
