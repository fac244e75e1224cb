package iostrat

import (
	"runtime"
	"sync"
)

// OnThreads runs fn(0) … fn(n-1) concurrently, each on a goroutine locked
// to its own OS thread for the duration of the call, and waits for all.
// It is the one way workloads create "outside" threads (Inject producers,
// the WakeExternal waker), so every strategy faces the same callers.
func OnThreads(n int, fn func(i int)) {
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			fn(i)
		}()
	}
	wg.Wait()
}

// A Baton is the return path of [Wakeups.WakeExternal]: the woken task
// passes it back to the outside thread. It is the same Go channel for every
// strategy, so only the inward wake differs between them.
type Baton struct{ c chan struct{} }

// NewBaton returns a baton nobody holds.
func NewBaton() *Baton { return &Baton{c: make(chan struct{}, 1)} }

// Pass hands the baton over; it never blocks while the baton is held by
// nobody.
func (b *Baton) Pass() { b.c <- struct{}{} }

// Wait blocks until the baton is passed.
func (b *Baton) Wait() { <-b.c }

// Burn runs n iterations of a small integer loop the compiler cannot remove
// and returns its result; it is the CPU work of the [Hog] ping-pong mode.
func Burn(n int) uint64 {
	x := uint64(n) | 1
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}
