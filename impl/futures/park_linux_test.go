package futures

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

var parkModes = []Park{ParkNetpoll, ParkThread}

// whenParked runs f on a new goroutine once e's loop has set its parked
// flag: it is then about to wait or waiting, the window in which a post
// must make the wait return.
func whenParked(e *Executor, f func()) {
	go func() {
		for !e.parked.Load() {
			runtime.Gosched()
		}
		f()
	}()
}

// parksDuring runs f and reports how many times e's loop parked meanwhile.
func parksDuring(e *Executor, f func()) uint64 {
	before := e.Stats().Parks
	f()
	return e.Stats().Parks - before
}

// In each park mode, a parked loop wakes for each thing it waits for: a
// spawn and a wake from another goroutine (the inbox and the eventfd), an
// fd becoming readable, and a timer; and Close leaves no fd or goroutine
// behind (with ParkNetpoll that includes the Parker's duplicate fd).
func TestParksWake(t *testing.T) {
	for _, mode := range parkModes {
		t.Run("park="+mode.String(), func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			fds := openFDs(t)
			e, err := NewExecutor(Config{Park: mode})
			if err != nil {
				t.Fatal(err)
			}
			if got := e.reactor.parker != nil; got != (mode == ParkNetpoll) {
				t.Fatalf("park=%v: has a netpoller Parker: %v", mode, got)
			}

			t.Run("spawn", func(t *testing.T) {
				done := NewNotify(e)
				wait := done.Notified()
				var ran atomic.Bool
				parks := parksDuring(e, func() {
					whenParked(e, func() {
						SpawnDetached(e, &taskFunc[struct{}]{poll: func(*Context) Poll[struct{}] {
							ran.Store(true)
							done.Notify()
							return Ready(struct{}{})
						}})
					})
					blockOn(t, e, &wait)
				})
				if !ran.Load() || parks == 0 {
					t.Fatalf("spawned task ran: %v, after %d parks", ran.Load(), parks)
				}
			})

			t.Run("wake", func(t *testing.T) {
				var slot wakerSlot
				task := &taskFunc[int]{}
				polls := 0
				task.poll = func(cx *Context) Poll[int] {
					polls++
					if polls == 1 {
						slot.put(cx.Waker().Clone())
						whenParked(e, func() {
							w := slot.take()
							w.Wake()
						})
						return Pending[int]()
					}
					if !slot.empty() {
						return Pending[int]()
					}
					return Ready(polls)
				}
				if parks := parksDuring(e, func() { blockOn(t, e, task) }); parks == 0 {
					t.Fatal("the task was woken without the loop parking")
				}
			})

			t.Run("fd", func(t *testing.T) {
				var src, peer Source
				owned(t, e, func() { src, peer = socketPair(t, e) })
				read := Read(&src, make([]byte, 4))
				parks := parksDuring(e, func() {
					whenParked(e, func() {
						if _, err := unix.Write(peer.FD(), []byte("ping")); err != nil {
							t.Error(err)
						}
					})
					if res := blockOn(t, e, &read); res.N != 4 || res.Err != nil {
						t.Errorf("read %+v, want 4 bytes", res)
					}
				})
				owned(t, e, func() {
					src.Close()
					peer.Close()
				})
				if parks == 0 {
					t.Fatal("the read was ready without the loop parking")
				}
			})

			t.Run("timer", func(t *testing.T) {
				const delay = 20 * time.Millisecond
				sleep := Sleep(delay)
				start := time.Now()
				parks := parksDuring(e, func() { blockOn(t, e, &sleep) })
				if took := time.Since(start); took < delay || sleep.Lateness() < 0 {
					t.Fatalf("a %v sleep returned after %v, lateness %v: before its deadline", delay, took, sleep.Lateness())
				}
				if parks == 0 {
					t.Fatal("the sleep ended without the loop parking")
				}
			})

			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			if now := openFDs(t); now != fds {
				t.Fatalf("%d fds open after Close, %d before", now, fds)
			}
		})
	}
}

// With pooling off every spawn allocates its cell and no finished cell is
// kept; the workloads still run as with the pool.
func TestNoPool(t *testing.T) {
	e, err := NewExecutor(Config{PoolCap: NoPool})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	handles := new([]JoinHandle[struct{}])
	for range 3 {
		if got, want := blockOn(t, e, &spawnMany{n: 100, handles: handles}), uint64(100*101/2); got != want {
			t.Fatalf("spawnMany(100) = %d, want %d", got, want)
		}
	}
	checkPools(t, e, 0)
}
