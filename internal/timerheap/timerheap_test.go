package timerheap

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestHeapOrderAndRemove(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h Heap[int]
	timers := make([]*Timer[int], 1000)
	for i := range timers {
		timers[i] = &Timer[int]{When: r.Int64N(500), Value: i}
		h.Push(timers[i])
	}
	removed := map[int]bool{}
	for i := 0; i < len(timers); i += 3 {
		if !h.Remove(timers[i]) {
			t.Fatalf("Remove(%d) = false for a pending timer", i)
		}
		if h.Remove(timers[i]) {
			t.Fatalf("second Remove(%d) = true", i)
		}
		removed[i] = true
	}
	var got []int64
	for h.Len() > 0 {
		tm := h.PopDue(1 << 62)
		if removed[tm.Value] {
			t.Fatalf("removed timer %d fired", tm.Value)
		}
		if tm.Pending() {
			t.Fatal("popped timer still pending")
		}
		got = append(got, tm.When)
	}
	if !slices.IsSorted(got) {
		t.Fatal("timers not popped in deadline order")
	}
	if want := len(timers) - len(removed); len(got) != want {
		t.Fatalf("popped %d, want %d", len(got), want)
	}
}

func TestTimeoutMillis(t *testing.T) {
	var h Heap[struct{}]
	if got := h.TimeoutMillis(0); got != -1 {
		t.Fatalf("empty: %d, want -1", got)
	}
	h.Push(&Timer[struct{}]{When: 1_500_000})
	for _, c := range []struct {
		now  int64
		want int
	}{{0, 2}, {1_000_000, 1}, {1_500_000, 0}, {2_000_000, 0}} {
		if got := h.TimeoutMillis(c.now); got != c.want {
			t.Errorf("now=%d: %d, want %d", c.now, got, c.want)
		}
	}
	if h.PopDue(1_499_999) != nil {
		t.Fatal("PopDue returned a timer before its deadline")
	}
}

func TestZeroTimerNotPending(t *testing.T) {
	var tm Timer[int]
	var h Heap[int]
	if tm.Pending() || h.Remove(&tm) {
		t.Fatal("zero Timer is pending")
	}
	h.Push(&tm)
	if !tm.Pending() || !h.Remove(&tm) || tm.Pending() {
		t.Fatal("push/remove of a zero Timer")
	}
}
