package futures

import (
	"testing"
	"time"
)

// A SharedBroadcast wakes waiters on two executors from a task of one of
// them: its own waiters through the waker's owner path, the other's
// through the remote path, posted to that executor's inbox.
func TestSharedBroadcastAcrossExecutors(t *testing.T) {
	e0, e1 := newTestExecutor(t), newTestExecutor(t)
	for _, e := range []*Executor{e0, e1} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.Run()
		}()
		t.Cleanup(func() { // before newTestExecutor's Close: cleanups run last first
			e.Stop()
			<-done
		})
	}
	const waiters = 4
	b := NewSharedBroadcast()
	registered := make(chan struct{}, 2*waiters)
	woken := make(chan *Executor, 2*waiters)
	for _, e := range []*Executor{e0, e1} {
		for range waiters {
			w := b.Wait(0)
			waiting := false
			SpawnDetached(e, &taskFunc[struct{}]{poll: func(cx *Context) Poll[struct{}] {
				if !w.Poll(cx).IsReady() {
					if !waiting {
						waiting = true
						registered <- struct{}{}
					}
					return Pending[struct{}]()
				}
				woken <- cx.Executor()
				return Ready(struct{}{})
			}})
		}
	}
	for range 2 * waiters {
		<-registered
	}
	SpawnDetached(e0, &taskFunc[struct{}]{poll: func(*Context) Poll[struct{}] {
		b.NotifyAll()
		return Ready(struct{}{})
	}})
	on := map[*Executor]int{}
	for range 2 * waiters {
		select {
		case e := <-woken:
			on[e]++
		case <-time.After(time.Minute):
			t.Fatalf("woken so far: %d on e0, %d on e1: a lost wake-up", on[e0], on[e1])
		}
	}
	if on[e0] != waiters || on[e1] != waiters {
		t.Fatalf("woken: %d on e0, %d on e1, want %d each", on[e0], on[e1], waiters)
	}
}
