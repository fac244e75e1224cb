package iocpstyle

import (
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"iostrat/internal/netpark"
)

// forEachPark runs f once per backend and park mode, each on a fresh port
// (see forEachBackend, which also checks that Close leaves no fd,
// goroutine or mapping behind: the netpoller's duplicate fd included).
func forEachPark(t *testing.T, cfg Config, f func(t *testing.T, p *Port)) {
	t.Helper()
	for _, park := range []Park{ParkNetpoll, ParkThread} {
		t.Run("park="+park.String(), func(t *testing.T) {
			c := cfg
			c.Park = park
			forEachBackend(t, c, func(t *testing.T, p *Port) {
				if got := p.Park(); got != park {
					t.Fatalf("Park() = %v, want %v (%s)", got, park, p.Features())
				}
				f(t, p)
			})
		})
	}
}

// parkCounts is how often a port parked, split by how.
func parkCounts(p *Port) (netpoll, thread uint64) {
	c := p.Counters()
	return c.NetpollParks, c.WaitingEnters + c.BlockingWaits
}

// TestParkWakes parks an idle port, in each backend and park mode, and
// wakes it with each kind of event: a post from another thread, a post
// from another port's owner (MSG_RING between rings), a socket receive
// completing and a timer expiring. Each event is set to happen after a
// delay, so that the owner is parked by then; that it did park is checked
// from its counters, and the delay doubles until it has (the machine may
// be slow to run the owner), so no timing is asserted.
func TestParkWakes(t *testing.T) {
	events := []struct {
		name string
		// arm makes the event that completes tok happen after d.
		arm func(t *testing.T, p *Port, tok Token, d time.Duration)
	}{
		{"post", func(t *testing.T, p *Port, tok Token, d time.Duration) {
			go func() {
				time.Sleep(d)
				p.Post(tok, 1)
			}()
		}},
		{"post-from-port", func(t *testing.T, p *Port, tok Token, d time.Duration) {
			errc := make(chan error, 1)
			t.Cleanup(func() {
				if err := <-errc; err != nil {
					t.Error(err)
				}
			})
			go func() {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				other, err := NewPort(Config{Backend: backendOf(p), Park: p.Park()})
				if err != nil {
					errc <- err
					return
				}
				time.Sleep(d)
				err = other.PostTo(p, tok, 1)
				if err == nil {
					_, err = other.Wait(nil, 0) // submits the MSG_RING
				}
				errc <- errors.Join(err, other.Close())
			}()
		}},
		{"recv", func(t *testing.T, p *Port, tok Token, d time.Duration) {
			a, b := socketPair(t)
			if _, err := p.Submit(Op{Kind: OpRecv, FD: b, Buf: make([]byte, 8), Token: tok}); err != nil {
				t.Fatal(err)
			}
			go func() {
				time.Sleep(d)
				unix.Write(a, []byte("wake"))
			}()
		}},
		{"timer", func(t *testing.T, p *Port, tok Token, d time.Duration) {
			if _, err := p.Submit(Op{Kind: OpTimeout, Timeout: d, Token: tok}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, ev := range events {
		t.Run(ev.name, func(t *testing.T) {
			forEachPark(t, Config{}, func(t *testing.T, p *Port) {
				for try, d := 0, 10*time.Millisecond; ; try, d = try+1, 2*d {
					netpoll0, thread0 := parkCounts(p)
					tok := Token(100 + try)
					ev.arm(t, p, tok, d)
					c := waitN(t, p, 1)[0]
					if c.Token != tok || c.Err != nil {
						t.Fatalf("woken by %+v, want token %d", c, tok)
					}
					netpoll, thread := parkCounts(p)
					netpoll, thread = netpoll-netpoll0, thread-thread0
					if p.Park() == ParkNetpoll && thread != 0 || p.Park() == ParkThread && netpoll != 0 {
						t.Fatalf("parked %d times on the netpoller and %d times in the kernel with Park %v", netpoll, thread, p.Park())
					}
					if netpoll+thread > 0 {
						break // parked, and the event woke it
					}
					if try == 6 {
						t.Fatalf("the port never parked before its event (last delay %v)", d)
					}
				}
			})
		})
	}
}

// TestParkWakesForEventfdRead reads an eventfd that another thread writes,
// three times: each read completes inside the writer's eventfd wake-up,
// where io_uring defers its own eventfd signal and, on some kernels, drops
// every one after the first (see park_linux.go). A parked port must wake
// every time; a watchdog post ends a wait that never would.
func TestParkWakesForEventfdRead(t *testing.T) {
	forEachPark(t, Config{}, func(t *testing.T, p *Port) {
		efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(efd)
		const watchdog Token = 1 << 40
		for round := range 3 {
			if _, err := p.Submit(Op{Kind: OpRead, FD: efd, Buf: make([]byte, 8), Token: Token(round)}); err != nil {
				t.Fatal(err)
			}
			go func() {
				time.Sleep(5 * time.Millisecond)
				unix.Write(efd, []byte{1, 0, 0, 0, 0, 0, 0, 0})
			}()
			dog := time.AfterFunc(hangLimit, func() { p.Post(watchdog, 0) })
			c := waitN(t, p, 1)[0]
			if !dog.Stop() {
				waitN(t, p, 1) // the watchdog's post, if the read came first
			}
			if c.Token != Token(round) || c.Err != nil || c.Result != 8 {
				t.Fatalf("round %d: woken by %+v (the watchdog's token is %d)", round, c, watchdog)
			}
		}
	})
}

// hangLimit bounds a wait that only a lost wake-up would make long.
const hangLimit = 30 * time.Second

// TestRingFDMissesDeferredWork is the reason park_linux.go registers an
// eventfd rather than polling the ring fd: a timeout expiring on a
// DEFER_TASKRUN ring becomes deferred work, which never makes the ring fd
// readable to a poller that waits for it, while the registered eventfd is
// signalled at once. If a kernel ever wakes the ring fd, this test fails
// and says so: the eventfd could then be reconsidered.
func TestRingFDMissesDeferredWork(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r, err := newRing(ringWant{sqEntries: 8, cqEntries: 32,
		flags: setupSubmitAll | setupCoopTaskrun | setupTaskrunFlag | setupSingleIssuer | setupDeferTaskrun}, nil)
	if err != nil {
		t.Skipf("io_uring unavailable here: %v", err)
	}
	defer r.close()
	if r.setupFlags&setupDeferTaskrun == 0 {
		t.Skip("the kernel refused DEFER_TASKRUN")
	}
	evfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(evfd)
	fd := new(int32)
	*fd = int32(evfd)
	// Safety: fd is heap memory, read by the kernel only during the call.
	if _, err := r.register(registerEventfd, unsafe.Pointer(fd), 1); err != nil {
		t.Fatalf("IORING_REGISTER_EVENTFD: %v", err)
	}
	ts := new(kernelTimespec) // heap: read by the kernel when it consumes the SQE
	pending := func() bool { return atomic.LoadUint32(r.sqFlags)&sqTaskrun != 0 || r.cqReady() != r.head }
	// park waits on the netpoller for fd, at most limit, after arming a
	// timeout of 10 ms; it reports whether fd woke it with the timeout's
	// completion pending.
	park := func(fd int, limit time.Duration) bool {
		pk, err := netpark.New(fd)
		if err != nil {
			t.Fatal(err)
		}
		defer pk.Close()
		*ts = kernelTimespec{nsec: int64(10 * time.Millisecond)}
		e := r.getSQE()
		e.opcode = opTimeout
		// Safety: ts is heap memory that outlives the request (the test
		// reaps its completion below).
		e.addr = uint64(uintptr(unsafe.Pointer(ts)))
		e.len = 1
		e.userData = 1
		if _, err := r.enter(0, enterGetEvents, false); err != nil {
			t.Fatal(err)
		}
		woken := false
		if err := pk.Wait(limit, func() bool { woken = pending(); return woken }); err != nil {
			t.Fatal(err)
		}
		// Reap the timeout, whoever woke us.
		for r.head == r.cqReady() {
			if _, err := r.enter(1, enterGetEvents, true); err != nil && err != unix.EINTR {
				t.Fatal(err)
			}
		}
		r.head = r.cqReady()
		r.release()
		return woken
	}
	if !park(evfd, time.Minute) {
		t.Fatal("the registered eventfd did not wake the netpoller for an expired timeout")
	}
	// A second wait for the ring fd, long after the timeout expired (it
	// expires 10 ms in), shows that the ring fd was never made readable.
	if park(r.fd, time.Second) {
		t.Fatal("the ring fd woke the netpoller for deferred work: this kernel wakes ring pollers on DEFER_TASKRUN work (see park_linux.go)")
	}
}

// TestReadyQueueBounded keeps 200 self-posts outstanding through 200,000
// turns, as 200 tasks yielding do: the port's queue of completions not yet
// returned must stay as large as what is outstanding, not grow with the
// number of posts. Both ways of posting to oneself are covered: PostTo
// (the port's ready queue; with PostKernel a no-op SQE through the ring)
// and Post (the cross-thread queue, then the port's ready queue, on both
// backends).
func TestReadyQueueBounded(t *testing.T) {
	const outstanding, total = 200, 200_000
	for _, via := range []string{"PostTo", "Post"} {
		t.Run(via, func(t *testing.T) {
			forEachBackend(t, Config{}, func(t *testing.T, p *Port) {
				post := func(tok Token) error {
					if via == "Post" {
						return p.Post(tok, 0)
					}
					return p.PostTo(p, tok, 0)
				}
				for i := range outstanding {
					if err := post(Token(i)); err != nil {
						t.Fatal(err)
					}
				}
				cs := make([]Completion, 128)
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				maxQueue := 0
				for done := 0; done < total; {
					n, err := p.Wait(cs, 1)
					if err != nil {
						t.Fatal(err)
					}
					for _, c := range cs[:n] {
						if err := post(c.Token); err != nil {
							t.Fatal(err)
						}
					}
					done += n
					maxQueue = max(maxQueue, readyCap(p))
				}
				runtime.ReadMemStats(&after)
				waitN(t, p, outstanding)
				if maxQueue > 4*outstanding {
					t.Errorf("ready queue grew to %d completions with %d outstanding", maxQueue, outstanding)
				}
				if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
					t.Errorf("%d yields allocated %d bytes", total, grew)
				}
			})
		})
	}
}

// readyCap is the capacity of the port's ready queue.
func readyCap(p *Port) int {
	if p.u != nil {
		return len(p.u.ready.buf)
	}
	return len(p.e.ready.buf)
}

// TestReadyQueueOrder pushes and pops across wrap-arounds and growth: the
// queue is FIFO and clears what it hands out.
func TestReadyQueueOrder(t *testing.T) {
	var q readyQueue
	next, want := 0, 0
	out := make([]Completion, 50)
	for round := range 200 {
		for range round%90 + 1 {
			q.push(Completion{Token: Token(next), Buf: make([]byte, 1)})
			next++
		}
		n := q.pop(out[:round%50+1])
		for _, c := range out[:n] {
			if c.Token != Token(want) {
				t.Fatalf("popped token %d, want %d", c.Token, want)
			}
			want++
		}
		if q.len() != next-want {
			t.Fatalf("len %d, want %d", q.len(), next-want)
		}
	}
	for q.len() > 0 {
		n := q.pop(out)
		for _, c := range out[:n] {
			if c.Token != Token(want) {
				t.Fatalf("popped token %d, want %d", c.Token, want)
			}
			want++
		}
	}
	for i, c := range q.buf {
		if c.Buf != nil {
			t.Fatalf("slot %d still holds a buffer after it was popped", i)
		}
	}
}
