package iocpstyle

import (
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Tests of the loop turn: the user-space ready queue, one enter per turn,
// fairness to I/O while ready work never runs out, and the timer heap
// with its one ring timeout. Every test runs in each port mode
// (portModes), so PostKernel's path through the ring keeps working.

// TestSelfPostChainEnters runs a chain of n self-posts, each completion
// posting the next, as Chain and a same-thread ping-pong do. Posting in
// user space, the ring is entered only every eventInterval completions
// (at most n/50 plus a few); with PostKernel every hop is an enter.
func TestSelfPostChainEnters(t *testing.T) {
	const n = 10_000
	forEachBackend(t, Config{}, func(t *testing.T, p *Port) {
		cs := make([]Completion, 128)
		before := p.Counters()
		if err := p.PostTo(p, 0, 0); err != nil {
			t.Fatal(err)
		}
		for next := Token(1); next <= n; {
			k, err := p.Wait(cs, 1)
			if err != nil {
				t.Fatal(err)
			}
			if k != 1 || cs[0].Token != next-1 || !cs[0].Posted || cs[0].Result != int(next-1) {
				t.Fatalf("Wait returned %d completions, first %+v; want the one posted as token %d", k, cs[0], next-1)
			}
			if next < n {
				if err := p.PostTo(p, next, int32(next)); err != nil {
					t.Fatal(err)
				}
			}
			next++
		}
		c := p.Counters()
		enters := c.Enters - before.Enters
		switch {
		case p.Backend() == "emulated":
			if enters != 0 {
				t.Errorf("emulated port counted %d io_uring enters", enters)
			}
		case p.PostMode() == "kernel":
			if enters < n-1 {
				t.Errorf("%d enters for a chain of %d self-posts through the kernel: posts did not go through the ring", enters, n)
			}
		default:
			if limit := uint64(n/50 + 4); enters > limit {
				t.Errorf("%d enters for a chain of %d self-posts, want at most %d", enters, n, limit)
			}
			if enters == 0 {
				t.Errorf("no enter in %d completions: deferred I/O completions would never get in", n)
			}
		}
		if got := c.Posted - before.Posted; got != n {
			t.Errorf("Counters.Posted grew by %d, want %d", got, n)
		}
	})
}

// TestSelfPostsOrderedAndBounded posts bursts of random size from
// handlers while older posts are still queued: every post comes back
// once, in the order posted, and the ready queue stays the size of what is
// outstanding.
func TestSelfPostsOrderedAndBounded(t *testing.T) {
	forEachBackend(t, Config{}, func(t *testing.T, p *Port) {
		r := rand.New(rand.NewPCG(3, 4))
		cs := make([]Completion, 16)
		posted, got, maxOut := 0, 0, 0
		const total = 20_000
		for got < total {
			if posted < total {
				for range min(r.IntN(24), total-posted) {
					if err := p.PostTo(p, Token(posted), 0); err != nil {
						t.Fatal(err)
					}
					posted++
				}
			}
			maxOut = max(maxOut, posted-got)
			if posted == got {
				continue
			}
			k, err := p.Wait(cs, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs[:k] {
				if c.Token != Token(got) {
					t.Fatalf("completion token %d, want %d (posts out of order or lost)", c.Token, got)
				}
				got++
			}
		}
		if k, _ := p.Wait(cs, 0); k != 0 {
			t.Fatalf("%d completions after every post came back", k)
		}
		if p.u != nil && !p.u.postKernel {
			if q := readyCap(p); q > 4*max(maxOut, readyQueueMin) {
				t.Errorf("ready queue holds %d entries with at most %d posts outstanding", q, maxOut)
			}
		}
	})
}

// TestIOWhileSelfPosting keeps a task posting itself, so every turn has
// ready work, and checks that a receive, a timer and a post from another
// goroutine still complete: on a DEFER_TASKRUN ring the kernel posts the
// receive only inside an enter, which the loop makes every eventInterval
// completions.
func TestIOWhileSelfPosting(t *testing.T) {
	for _, park := range []Park{ParkNetpoll, ParkThread} {
		t.Run(park.String(), func(t *testing.T) {
			forEachBackend(t, Config{Park: park}, func(t *testing.T, p *Port) {
				a, b := socketPair(t)
				const (
					tokSelf = iota + 1
					tokRecv
					tokTimer
					tokOther
				)
				buf := make([]byte, 16)
				if _, err := p.Submit(Op{Kind: OpRecv, FD: a, Buf: buf, Token: tokRecv}); err != nil {
					t.Fatal(err)
				}
				if err := p.PostTo(p, tokSelf, 0); err != nil {
					t.Fatal(err)
				}
				cs := make([]Completion, 8)
				seen := map[Token]bool{}
				deadline := time.Now().Add(30 * time.Second)
				for turn := 0; !(seen[tokRecv] && seen[tokTimer] && seen[tokOther]); turn++ {
					if time.Now().After(deadline) {
						t.Fatalf("after %d turns of self-posting: receive %v, timer %v, cross-thread post %v", turn, seen[tokRecv], seen[tokTimer], seen[tokOther])
					}
					if turn == 100 {
						// Once the loop is busy: data for the receive, a
						// timer, and a post from another goroutine.
						if _, err := unix.Write(b, []byte("ping")); err != nil {
							t.Fatal(err)
						}
						if _, err := p.Submit(Op{Kind: OpTimeout, Timeout: time.Millisecond, Token: tokTimer}); err != nil {
							t.Fatal(err)
						}
						go p.Post(tokOther, 7)
					}
					k, err := p.Wait(cs, 1)
					if err != nil {
						t.Fatal(err)
					}
					self := 0
					for _, c := range cs[:k] {
						switch c.Token {
						case tokSelf:
							self++
						case tokRecv:
							if c.Err != nil || string(c.Buf) != "ping" {
								t.Fatalf("receive: %+v", c)
							}
						case tokTimer:
							if c.Err != nil {
								t.Fatalf("timer: %v", c.Err)
							}
						case tokOther:
							if c.Result != 7 {
								t.Fatalf("post: %+v", c)
							}
						}
						seen[c.Token] = true
					}
					if self != 1 {
						t.Fatalf("turn %d: %d self-posts returned, want 1", turn, self)
					}
					if err := p.PostTo(p, tokSelf, 0); err != nil {
						t.Fatal(err)
					}
				}
				waitN(t, p, 1) // the last self-post
			})
		})
	}
}

// TestTimerHeap arms many timers with random deadlines and cancels a third
// of them: the cancelled complete with ECANCELED, the rest fire in
// deadline order and never before their deadline; on io_uring the ring
// holds one timeout at a time, not one per timer.
func TestTimerHeap(t *testing.T) {
	const n = 3000
	forEachBackend(t, Config{}, func(t *testing.T, p *Port) {
		r := rand.New(rand.NewPCG(5, 6))
		deadlines := make([]int64, n)
		ids := make([]OpID, n)
		now := Monotonic()
		for i := range n {
			deadlines[i] = now + int64(time.Duration(r.IntN(40_000))*time.Microsecond)
			id, err := p.Submit(Op{Kind: OpTimeout, Deadline: deadlines[i], Token: Token(i)})
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = id
		}
		for i := 0; i < n; i += 3 {
			if err := p.Cancel(ids[i]); err != nil {
				t.Fatalf("Cancel of pending timer %d: %v", i, err)
			}
		}
		var last int64
		fired, cancelled := 0, 0
		cs := make([]Completion, 64)
		for fired+cancelled < n {
			k, err := p.Wait(cs, 1)
			if err != nil {
				t.Fatal(err)
			}
			at := Monotonic()
			for _, c := range cs[:k] {
				i := int(c.Token)
				if i%3 == 0 {
					if !errors.Is(c.Err, ErrCanceled) {
						t.Fatalf("cancelled timer %d: %+v", i, c)
					}
					cancelled++
					continue
				}
				if c.Err != nil {
					t.Fatalf("timer %d: %v", i, c.Err)
				}
				if at < deadlines[i] {
					t.Fatalf("timer %d fired %v early", i, time.Duration(deadlines[i]-at))
				}
				if deadlines[i] < last {
					t.Fatalf("timer %d (deadline %d) fired after one with deadline %d", i, deadlines[i], last)
				}
				last = deadlines[i]
				fired++
			}
		}
		for i := range n {
			if err := p.Cancel(ids[i]); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Cancel of completed timer %d: %v", i, err)
			}
		}
		if p.u != nil {
			if c := p.Counters(); c.RingTimeouts > c.Enters {
				t.Errorf("%d ring timeouts armed in %d enters: more than one per turn", c.RingTimeouts, c.Enters)
			}
			if p.u.timers.Len() != 0 || p.u.slots.busy != 0 {
				t.Errorf("%d timers, %d slots left", p.u.timers.Len(), p.u.slots.busy)
			}
		}
	})
}

// TestTimerRearm: with a far timer armed in the ring, a nearer one added
// later must re-arm the ring timeout, so a Wait that sleeps wakes for the
// nearer deadline; many far timers keep one ring timeout.
func TestTimerRearm(t *testing.T) {
	for _, park := range []Park{ParkNetpoll, ParkThread} {
		t.Run(park.String(), func(t *testing.T) {
			forEachBackend(t, Config{Park: park}, func(t *testing.T, p *Port) {
				const (
					tokFar = iota + 1
					tokWake
					tokNear
					tokGuard
				)
				var far []OpID
				for i := range 1000 {
					id, err := p.Submit(Op{Kind: OpTimeout, Timeout: time.Hour + time.Duration(i)*time.Second, Token: tokFar})
					if err != nil {
						t.Fatal(err)
					}
					far = append(far, id)
				}
				// Sleep in Wait with the far timers armed, until another
				// goroutine posts.
				go func() {
					time.Sleep(20 * time.Millisecond)
					p.Post(tokWake, 0)
				}()
				if cs := waitN(t, p, 1); cs[0].Token != tokWake {
					t.Fatalf("first completion %+v, want the post", cs[0])
				}
				before := p.Counters().RingTimeouts
				if p.u != nil && before != 1 {
					t.Errorf("%d ring timeouts armed for 1000 pending timers, want 1", before)
				}
				start := Monotonic()
				if _, err := p.Submit(Op{Kind: OpTimeout, Timeout: 10 * time.Millisecond, Token: tokNear}); err != nil {
					t.Fatal(err)
				}
				// A guard post, far later: if the ring timeout were not
				// re-armed, it would come first.
				var guarded atomic.Bool
				guard := time.AfterFunc(10*time.Second, func() {
					guarded.Store(true)
					p.Post(tokGuard, 0)
				})
				defer guard.Stop()
				c := waitN(t, p, 1)[0]
				if c.Token != tokNear || c.Err != nil || guarded.Load() {
					t.Fatalf("got %+v, guard posted %v; want the 10ms timer before the guard (the ring timeout was not re-armed)", c, guarded.Load())
				}
				if Monotonic()-start < int64(10*time.Millisecond) {
					t.Fatal("the 10ms timer fired early")
				}
				if p.u != nil && p.Counters().RingTimeouts != before+1 {
					t.Errorf("ring timeouts %d, want %d: one re-arm for the earlier deadline", p.Counters().RingTimeouts, before+1)
				}
				for _, id := range far {
					if err := p.Cancel(id); err != nil {
						t.Fatal(err)
					}
				}
				for _, c := range waitN(t, p, len(far)) {
					if c.Token != tokFar || !errors.Is(c.Err, ErrCanceled) {
						t.Fatalf("cancelled far timer: %+v", c)
					}
				}
			})
		})
	}
}

// TestCloseWithRingTimeoutArmed: Close with the ring's timeout armed for a
// far deadline (a Wait slept on it) returns without waiting for it, and
// leaves nothing behind (forEachBackend checks fds and mappings).
func TestCloseWithRingTimeoutArmed(t *testing.T) {
	forEachBackend(t, Config{Park: ParkThread}, func(t *testing.T, p *Port) {
		if _, err := p.Submit(Op{Kind: OpTimeout, Timeout: time.Hour, Token: 1}); err != nil {
			t.Fatal(err)
		}
		go func() {
			time.Sleep(10 * time.Millisecond)
			p.Post(2, 0)
		}()
		if c := waitN(t, p, 1)[0]; c.Token != 2 {
			t.Fatalf("got %+v, want the post", c)
		}
		if p.u != nil && p.u.timerWhen == 0 {
			t.Fatal("no ring timeout armed after a Wait slept with a timer pending")
		}
	})
}
