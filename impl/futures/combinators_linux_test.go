package futures

import (
	"fmt"
	"testing"
	"time"
)

// readyFuture is ready at once with v; dropped counts its drops.
type readyFuture[T any] struct {
	v       T
	dropped *int
}

func (f *readyFuture[T]) Poll(*Context) Poll[T] { return Ready(f.v) }
func (f *readyFuture[T]) Drop() {
	if f.dropped != nil {
		*f.dropped++
	}
}

// neverFuture is never ready; dropped counts its drops.
type neverFuture[T any] struct{ dropped *int }

func (f *neverFuture[T]) Poll(*Context) Poll[T] { return Pending[T]() }
func (f *neverFuture[T]) Drop()                 { *f.dropped++ }

func TestCombinators(t *testing.T) {
	e := newTestExecutor(t)
	var drops int
	type step struct {
		name string
		f    Future[string]
	}
	n := NewNotify(e)
	steps := []step{
		{"Map", Map(new(Sleep(time.Millisecond)), func(struct{}) string { return "slept" })},
		{"Then", Then(new(Yield()), func(struct{}) Future[string] {
			n.Notify()
			return Map(new(n.Notified()), func(struct{}) string { return "notified" })
		})},
		{"Join", Map(Join(new(Sleep(2*time.Millisecond)), new(Yield())), func(p Pair[struct{}, struct{}]) string {
			return "both"
		})},
		{"JoinAll", Map(JoinAll([]Future[int]{&readyFuture[int]{v: 1}, Map(new(Yield()), func(struct{}) int { return 2 }), &readyFuture[int]{v: 3}}),
			func(v []int) string { return fmt.Sprint(v) })},
		{"Select", Map(Select[int](&neverFuture[int]{dropped: &drops}, &readyFuture[int]{v: 7}, &readyFuture[int]{v: 8, dropped: &drops}),
			func(s Selected[int]) string { return fmt.Sprint(s.Index, s.Value) })},
		{"Select with a sleep", Map(Select[struct{}](new(Sleep(time.Hour)), new(Sleep(time.Millisecond))),
			func(s Selected[struct{}]) string { return fmt.Sprint(s.Index) })},
	}
	want := []string{"slept", "notified", "both", "[1 2 3]", "1 7", "1"}
	for i, s := range steps {
		got := blockOn(t, e, &taskFunc[string]{poll: s.f.Poll})
		if got != want[i] {
			t.Errorf("%s = %q, want %q", s.name, got, want[i])
		}
	}
	if drops != 2 {
		t.Fatalf("Select dropped its losers %d times, want 2", drops)
	}
	owned(t, e, func() {
		if e.timers.Len() != 0 {
			t.Fatalf("%d timers left: a Select loser was not dropped", e.timers.Len())
		}
	})
	// Dropping a Join drops the parts still pending.
	drops = 0
	j := Join[int, int](&neverFuture[int]{dropped: &drops}, &readyFuture[int]{v: 1, dropped: &drops})
	noop := NoopWaker()
	j.Poll(NewContext(&noop))
	j.Drop()
	j.Drop()
	if drops != 1 {
		t.Fatalf("Join.Drop dropped %d parts, want 1 (the pending one, once)", drops)
	}
}
