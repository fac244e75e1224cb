// Package gofloor is the plain-Go floor under the goroutine strategy: the
// dispatch and wake workloads written straight in Go, with no runtime
// interface, no hand-off into a runtime and no counters, as a Go
// programmer would write them. The bench suite runs them as the
// impl=anchor-go columns (with -iostrat.anchors), so a reader can see what
// the goroutine strategy's layer costs on top of the language itself.
//
// Each function does exactly the work its workload names
// ([iostrat.Dispatcher], [iostrat.Wakeups]) and returns the same checkable
// result.
package gofloor

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Spawn starts n goroutines, where goroutine i adds i+1 to a sum, and
// waits for all of them with a WaitGroup: Go's CreateGoroutines. It
// returns the sum, n*(n+1)/2.
func Spawn(n int) uint64 {
	var wg sync.WaitGroup
	var sum atomic.Uint64
	wg.Add(n)
	for i := range n {
		go func() {
			sum.Add(uint64(i + 1))
			wg.Done()
		}()
	}
	wg.Wait()
	return sum.Load()
}

// Chain runs depth goroutines where each starts the next and returns;
// only the last signals the caller. It returns how many ran, depth.
func Chain(depth int) int {
	done := make(chan int, 1)
	var link func(i int)
	link = func(i int) {
		if i == depth {
			done <- i
			return
		}
		go link(i + 1)
	}
	go link(1)
	return <-done
}

// Yield starts tasks goroutines that each call runtime.Gosched yields
// times, and returns the total number of yields that returned.
func Yield(tasks, yields int) uint64 {
	var wg sync.WaitGroup
	var total atomic.Uint64
	wg.Add(tasks)
	for range tasks {
		go func() {
			defer wg.Done()
			returned := uint64(0)
			for range yields {
				runtime.Gosched()
				returned++
			}
			total.Add(returned)
		}()
	}
	wg.Wait()
	return total.Load()
}

// PingPong runs two goroutines that alternate rounds times through
// unbuffered channels (Go's ChanSync): A sends to B, B sends back, and
// that is one round. With cross, each goroutine is locked to its own OS
// thread, so every wake crosses threads. It returns the completed rounds.
func PingPong(rounds int, cross bool) int {
	ping, pong := make(chan struct{}), make(chan struct{})
	done := make(chan int)
	go func() {
		if cross {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
		}
		for range rounds {
			<-ping
			pong <- struct{}{}
		}
	}()
	go func() {
		if cross {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
		}
		n := 0
		for range rounds {
			ping <- struct{}{}
			<-pong
			n++
		}
		done <- n
	}()
	return <-done
}
