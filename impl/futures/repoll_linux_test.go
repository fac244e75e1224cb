package futures

import (
	"testing"
	"time"
)

// Every future of the package that stores a waker, polled by hand twice
// with two different wakers: the second poll replaces the stored waker and
// the first one is dropped; dropping the future releases the second.
func TestRepollReplacesWaker(t *testing.T) {
	e := newTestExecutor(t)
	owned(t, e, func() {
		src, peer := socketPair(t, e)
		defer src.Close()
		defer peer.Close()
		ln := listener(t, e)
		defer ln.Close()
		n := NewNotify(e)
		b := NewBroadcast(e)
		cases := []struct {
			name string
			p    probe
		}{
			{"Sleep", probeOf(new(Sleep(time.Hour)))},
			{"Notified", probeOf(new(n.Notified()))},
			{"BroadcastWait", probeOf(new(b.Wait(0)))},
			{"Read", probeOf(new(Read(&src, make([]byte, 8))))},
			{"Accept", probeOf(new(Accept(&ln)))},
			{"Select", probeOf(Select[struct{}](new(Sleep(time.Hour)), new(Sleep(2*time.Hour))))},
			{"Map", probeOf(Map(new(Sleep(time.Hour)), func(struct{}) int { return 1 }))},
		}
		for _, tc := range cases {
			c1, w1 := newCounting()
			c2, w2 := newCounting()
			if tc.p.poll(&Context{waker: &w1, exec: e}) {
				t.Fatalf("%s: ready at once", tc.name)
			}
			if c1.live() < 2 {
				t.Fatalf("%s: the first poll kept no clone of the waker (live %d)", tc.name, c1.live())
			}
			if tc.p.poll(&Context{waker: &w2, exec: e}) {
				t.Fatalf("%s: ready at the second poll", tc.name)
			}
			if got := c1.live(); got != 1 {
				t.Fatalf("%s: after a re-poll with another waker, the first has %d references, want 1 (ours)", tc.name, got)
			}
			if c2.live() < 2 {
				t.Fatalf("%s: the second waker was not stored", tc.name)
			}
			tc.p.drop()
			w1.Drop()
			w2.Drop()
			if c1.live() != 0 || c2.live() != 0 {
				t.Fatalf("%s: after Drop, %d and %d references remain", tc.name, c1.live(), c2.live())
			}
		}
		if e.timers.Len() != 0 {
			t.Fatalf("%d timers left in the heap after dropping every Sleep", e.timers.Len())
		}
	})
}

// probe polls and drops one future whatever its output type.
type probe struct {
	poll func(*Context) bool // reports ready
	drop func()
}

func probeOf[T any](f Future[T]) probe {
	return probe{
		poll: func(cx *Context) bool { return f.Poll(cx).IsReady() },
		drop: func() { DropFuture(f) },
	}
}
