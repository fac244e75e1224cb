package futures

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// blockOn runs f on e with BlockOn from another goroutine and fails the
// test if it does not finish within a minute: a lost wake-up hangs, it
// does not fail, so the hang is turned into a failure.
func blockOn[T any, PF interface {
	*F
	Future[T]
}, F any](t *testing.T, e *Executor, f PF) T {
	t.Helper()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := BlockOn(e, f)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.v
	case <-time.After(time.Minute):
		t.Fatal("BlockOn did not return in a minute: a lost wake-up")
		panic("unreachable")
	}
}

// taskFunc is a future made of a function, for tests.
type taskFunc[T any] struct {
	poll func(cx *Context) Poll[T]
	drop func()
}

func (f *taskFunc[T]) Poll(cx *Context) Poll[T] { return f.poll(cx) }
func (f *taskFunc[T]) Drop() {
	if f.drop != nil {
		f.drop()
	}
}

// checkPools verifies that every task cell is back in a pool with nothing
// referring to it: every reference taken (spawn, JoinHandle, waker clone,
// inbox entry) was given back exactly once. An extra release would have
// recycled a cell in use (and driven a count negative); a missing one
// keeps the cell out of the pool.
func checkPools(t *testing.T, e *Executor, wantCells int) {
	t.Helper()
	owned(t, e, func() {
		if e.allHead != nil || e.runHead != nil {
			t.Fatal("tasks still live or queued")
		}
		cells := 0
		for _, p := range e.pools {
			n := 0
			for h := p.free; h != nil; h = h.next {
				n++
				if h.state != 0 || h.refs != 0 || h.remoteRefs.Load() != 0 || h.remoteWoken.Load() != 0 || !h.joinWake.IsZero() {
					t.Fatalf("pooled %v cell: state=%#x refs=%d remote=%d woken=%d",
						p.vt.typ, h.state, h.refs, h.remoteRefs.Load(), h.remoteWoken.Load())
				}
			}
			if n != p.n {
				t.Fatalf("%v pool counts %d cells, holds %d", p.vt.typ, p.n, n)
			}
			cells += n
		}
		if wantCells >= 0 && cells != wantCells {
			t.Fatalf("%d cells pooled, want %d", cells, wantCells)
		}
	})
}

func TestWokenTwiceQueuedOnce(t *testing.T) {
	e := newTestExecutor(t)
	var slot Waker
	// sleeper parks, leaving a clone of its waker in slot; waker wakes it
	// three ways before it runs again.
	sleeper := &taskFunc[int]{}
	polls := 0
	sleeper.poll = func(cx *Context) Poll[int] {
		polls++
		if polls == 1 {
			slot = cx.Waker().Clone()
			return Pending[int]()
		}
		return Ready(polls)
	}
	waker := &taskFunc[struct{}]{poll: func(*Context) Poll[struct{}] {
		slot.WakeByRef()
		slot.WakeByRef()
		slot.Wake()
		return Ready(struct{}{})
	}}
	// selfWaker wakes itself three times within one poll.
	selfPolls := 0
	self := &taskFunc[int]{poll: func(cx *Context) Poll[int] {
		selfPolls++
		if selfPolls == 1 {
			cx.Waker().WakeByRef()
			cx.Waker().WakeByRef()
			c := cx.Waker().Clone()
			c.Wake()
			return Pending[int]()
		}
		return Ready(selfPolls)
	}}
	type out struct{ sleeper, self int }
	root := &taskFunc[out]{}
	var hs JoinHandle[int]
	var hself JoinHandle[int]
	stage := 0
	root.poll = func(cx *Context) Poll[out] {
		if stage == 0 {
			stage = 1
			hs = Spawn(cx.Executor(), sleeper)
			SpawnDetached(cx.Executor(), waker)
			hself = Spawn(cx.Executor(), self)
		}
		a := hs.Poll(cx)
		b := hself.Poll(cx)
		if !a.IsReady() || !b.IsReady() {
			return Pending[out]()
		}
		return Ready(out{a.Value(), b.Value()})
	}
	before := e.Stats()
	got := blockOn(t, e, root)
	if got.sleeper != 2 || got.self != 2 {
		t.Fatalf("polls: sleeper %d, self-waker %d; want 2 and 2 (woken three times, queued once)", got.sleeper, got.self)
	}
	d := e.Stats()
	if spurious := d.SpuriousWakes - before.SpuriousWakes; spurious < 4 {
		t.Fatalf("%d spurious wakes counted, want at least 4 (two per task)", spurious)
	}
	checkPools(t, e, -1)
}

func TestPoolsBalanceAfterWorkloads(t *testing.T) {
	e := newTestExecutor(t)
	spawnHandles := new([]JoinHandle[struct{}])
	yieldHandles := new([]JoinHandle[uint64])
	for range 3 {
		if got := blockOn(t, e, &spawnMany{n: 1000, handles: spawnHandles}); got != 1000*1001/2 {
			t.Fatalf("spawnMany = %d", got)
		}
		if got := blockOn(t, e, &chainRoot{depth: 100}); got != 100 {
			t.Fatalf("chain = %d", got)
		}
		if got := blockOn(t, e, &yieldMany{tasks: 10, yields: 10, handles: yieldHandles}); got != 100 {
			t.Fatalf("yieldMany = %d", got)
		}
		if got := blockOn(t, e, &pingPongSame{rounds: 100, withHog: true}); got != 100 {
			t.Fatalf("pingPong = %d", got)
		}
		if got := blockOn(t, e, &fanOut{st: fanState{waiters: 10, rounds: 5}}); got != 50 {
			t.Fatalf("fanOut = %d", got)
		}
	}
	// spawnMany's 1000 tasks and its root are the most cells of one type
	// alive at once; the other types add a handful each.
	checkPools(t, e, -1)
}

// The allocation bars: nothing per yield or per wake, and nothing per
// spawned task once the pool is warm (at most one per task from another
// goroutine, the cell itself).
func TestAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	e := newTestExecutor(t)
	handles := new([]JoinHandle[struct{}])
	yh := new([]JoinHandle[uint64])
	cases := []struct {
		name  string
		units int
		run   func()
	}{
		{"spawned task", 1000, func() { BlockOn(e, &spawnMany{n: 1000, handles: handles}) }},
		{"chained spawn", 1000, func() { BlockOn(e, &chainRoot{depth: 1000}) }},
		{"yield", 10 * 1000, func() { BlockOn(e, &yieldMany{tasks: 10, yields: 1000, handles: yh}) }},
		{"ping-pong wake", 2 * 1000, func() { BlockOn(e, &pingPongSame{rounds: 1000}) }},
	}
	for _, c := range cases {
		c.run() // warm the pools
		per := testing.AllocsPerRun(20, c.run) / float64(c.units)
		t.Logf("%s: %.4f allocs each", c.name, per)
		// A run's fixed cost (the root's state machine, a Notify) spread
		// over its units stays far below one per hundred.
		if per > 0.01 {
			t.Errorf("%s: %.4f allocations each, want 0", c.name, per)
		}
	}
}

func TestAbortDropsFutureAndDeregisters(t *testing.T) {
	e := newTestExecutor(t)
	var src, peer Source
	owned(t, e, func() { src, peer = socketPair(t, e) })
	buf := make([]byte, 8)
	reader := &taskFunc[int]{}
	rf := Read(&src, buf)
	dropped := 0
	reader.poll = func(cx *Context) Poll[int] {
		p := rf.Poll(cx)
		if !p.IsReady() {
			return Pending[int]()
		}
		return Ready(p.Value().N)
	}
	reader.drop = func() {
		dropped++
		rf.Drop()
	}
	root := &taskFunc[string]{}
	var h JoinHandle[int]
	stage := 0
	var y YieldFuture
	root.poll = func(cx *Context) Poll[string] {
		e := cx.Executor()
		switch stage {
		case 0:
			h = Spawn(e, reader)
			stage = 1
			fallthrough
		case 1:
			if !y.Poll(cx).IsReady() { // let the reader park on the socket
				return Pending[string]()
			}
			slot := &e.reactor.slots[src.idx]
			if slot.readWaker.IsZero() {
				return Ready("the reader left no waker in the slot")
			}
			if !h.Abort() {
				return Ready("Abort of a pending task returned false")
			}
			if !slot.readWaker.IsZero() {
				return Ready("the aborted reader's waker is still in the slot")
			}
			if h.Abort() {
				return Ready("a second Abort returned true")
			}
			stage = 2
			fallthrough
		default:
			p := h.Poll(cx)
			if !p.IsReady() {
				return Ready("JoinHandle of an aborted task is not ready")
			}
			if p.Value() != 0 {
				return Ready("JoinHandle of an aborted task has a value")
			}
			return Ready("")
		}
	}
	if msg := blockOn(t, e, root); msg != "" {
		t.Fatal(msg)
	}
	if dropped != 1 {
		t.Fatalf("the aborted future was dropped %d times, want 1", dropped)
	}
	owned(t, e, func() {
		src.Close()
		peer.Close()
	})
	checkPools(t, e, -1)
}

func TestSelectDropsLosers(t *testing.T) {
	e := newTestExecutor(t)
	var src, peer Source
	owned(t, e, func() { src, peer = socketPair(t, e) })
	defer owned(t, e, func() {
		src.Close()
		peer.Close()
	})
	buf := make([]byte, 16)
	// The read wins: the hour-long sleep is dropped and leaves the heap.
	readWins := &taskFunc[string]{}
	sel := Select[IOResult](&ioMap{f: new(Sleep(time.Hour))}, new(Read(&src, buf)))
	wrote := false
	readWins.poll = func(cx *Context) Poll[string] {
		p := sel.Poll(cx)
		if !p.IsReady() {
			if cx.Executor().timers.Len() != 1 {
				return Ready("the sleep is not in the heap while it waits")
			}
			if !wrote {
				wrote = true
				SpawnDetached(cx.Executor(), new(Write(&peer, []byte("hello"))))
			}
			return Pending[string]()
		}
		s := p.Value()
		switch {
		case s.Index != 1 || string(buf[:s.Value.N]) != "hello":
			return Ready(fmt.Sprintf("Select = %+v (%q), want the read of hello", s, buf[:s.Value.N]))
		case cx.Executor().timers.Len() != 0:
			return Ready("the losing sleep is still in the heap")
		}
		return Ready("")
	}
	if msg := blockOn(t, e, readWins); msg != "" {
		t.Fatal(msg)
	}
	// The sleep wins: the read's waker leaves the fd's slot.
	sleepWins := &taskFunc[string]{}
	sel2 := Select[IOResult](new(Read(&src, buf)), &ioMap{f: new(Sleep(time.Millisecond))})
	sleepWins.poll = func(cx *Context) Poll[string] {
		p := sel2.Poll(cx)
		if !p.IsReady() {
			return Pending[string]()
		}
		if p.Value().Index != 1 {
			return Ready(fmt.Sprintf("Select = %+v, want the sleep", p.Value()))
		}
		if !cx.Executor().reactor.slots[src.idx].readWaker.IsZero() {
			return Ready("the losing read's waker is still in the slot")
		}
		return Ready("")
	}
	if msg := blockOn(t, e, sleepWins); msg != "" {
		t.Fatal(msg)
	}
}

// ioMap makes a sleep look like an I/O future, to race it in a Select.
type ioMap struct{ f *SleepFuture }

func (m *ioMap) Poll(cx *Context) Poll[IOResult] {
	if !m.f.Poll(cx).IsReady() {
		return Pending[IOResult]()
	}
	return Ready(IOResult{})
}
func (m *ioMap) Drop() { m.f.Drop() }

// The lost-wakeup stress: a task leaves a clone of its waker where a
// foreign OS thread picks it up and wakes it at once, racing the task's
// return of Pending (the task dawdles after publishing its waker, so many
// wakes land while it is still being polled). Every wake must cause one
// more poll; one lost wake hangs the test.
func TestLostWakeupStress(t *testing.T) {
	rounds := 20000
	if raceEnabled {
		rounds = 5000
	}
	e := newTestExecutor(t)
	var slot wakerSlot
	task := &taskFunc[int]{}
	woken, started := 0, false
	var sink uint64
	task.poll = func(cx *Context) Poll[int] {
		if started {
			if !slot.empty() {
				return Pending[int]() // polled without the thread's wake
			}
			woken++
			if woken == rounds {
				return Ready(woken)
			}
		}
		started = true
		slot.put(cx.Waker().Clone())
		for i := range woken % 64 { // dawdle: let the wake land while running
			sink += uint64(i)
		}
		return Pending[int]()
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for i := range rounds {
			var w Waker
			for w = slot.take(); w.IsZero(); w = slot.take() {
				runtime.Gosched()
			}
			if i%2 == 0 {
				w.Wake()
			} else {
				w.WakeByRef()
				w.Drop()
			}
		}
	}()
	if got := blockOn(t, e, task); got != rounds {
		t.Fatalf("woken %d times, want %d", got, rounds)
	}
	wg.Wait()
	_ = sink
	checkPools(t, e, -1)
}

// Spurious wakes, injected from a foreign thread and locally, hit a task
// waiting on a sleep, a notify and a read at once: each future must
// re-register, complete only on its event, and complete once.
func TestSpuriousWakes(t *testing.T) {
	e := newTestExecutor(t)
	var src, peer Source
	owned(t, e, func() { src, peer = socketPair(t, e) })
	defer owned(t, e, func() {
		src.Close()
		peer.Close()
	})
	const sleepFor = 20 * time.Millisecond
	n := NewNotify(e)
	buf := make([]byte, 16)
	sleep := Sleep(sleepFor)
	notified := n.Notified()
	read := Read(&src, buf)
	all := Join(Join[struct{}, struct{}](&sleep, &notified), &read)
	var stop atomic.Bool
	var hammer sync.WaitGroup
	var stolen Waker // a clone for the foreign thread
	var got IOResult
	polls := 0
	var startNanos time.Time
	task := &taskFunc[time.Duration]{}
	task.poll = func(cx *Context) Poll[time.Duration] {
		polls++
		if polls == 1 {
			startNanos = time.Now()
			stolen = cx.Waker().Clone()
			hammer.Add(1)
			go func() { // remote spurious wakes until the task is done
				defer hammer.Done()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				for !stop.Load() {
					stolen.WakeByRef()
					runtime.Gosched()
				}
				stolen.Drop()
			}()
			// The events, from another task, a little later.
			SpawnDetached(cx.Executor(), &taskFunc[struct{}]{poll: func(cx *Context) Poll[struct{}] {
				n.Notify()
				n.Notify() // one permit: the second is absorbed
				SpawnDetached(cx.Executor(), new(Write(&peer, []byte("spurious"))))
				return Ready(struct{}{})
			}})
		}
		if polls%3 == 0 {
			cx.Waker().WakeByRef() // a local spurious wake as well
		}
		p := all.Poll(cx)
		if !p.IsReady() {
			return Pending[time.Duration]()
		}
		got = p.Value().B
		return Ready(time.Since(startNanos))
	}
	elapsed := blockOn(t, e, task)
	stop.Store(true)
	hammer.Wait()
	if string(buf[:got.N]) != "spurious" || got.Err != nil {
		t.Fatalf("read %q, %v; want \"spurious\"", buf[:got.N], got.Err)
	}
	if elapsed < sleepFor {
		t.Fatalf("the sleep completed after %v, before its %v", elapsed, sleepFor)
	}
	if polls < 4 {
		t.Fatalf("%d polls: no spurious wake was injected", polls)
	}
	owned(t, e, func() {
		if n.permit {
			t.Fatal("the second Notify's permit was consumed twice or left over")
		}
	})
	t.Logf("%d polls for 3 events", polls)
}

// A foreign OS thread wakes a task while the executor is parked (in
// epoll_wait, or on the netpoller): the wake goes through the inbox and
// one eventfd write.
func TestWakeFromForeignThreadWhileParked(t *testing.T) {
	for _, mode := range parkModes {
		t.Run("park="+mode.String(), func(t *testing.T) {
			e, err := NewExecutor(Config{Park: mode})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { e.Close() })
			wakeWhileParked(t, e)
		})
	}
}

func wakeWhileParked(t *testing.T, e *Executor) {
	const rounds = 50
	var slot wakerSlot
	woken := 0
	task := &taskFunc[int]{}
	task.poll = func(cx *Context) Poll[int] {
		if !slot.empty() {
			return Pending[int]()
		}
		if woken == rounds {
			return Ready(woken)
		}
		woken++
		slot.put(cx.Waker().Clone())
		return Pending[int]()
	}
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for range rounds {
			for slot.empty() || !e.parked.Load() {
				runtime.Gosched() // wait until the loop parks
			}
			w := slot.take()
			w.Wake()
		}
	}()
	before := e.Stats()
	if got := blockOn(t, e, task); got != rounds {
		t.Fatalf("woken %d times, want %d", got, rounds)
	}
	d := e.Stats()
	writes, parks := d.EventfdWrites-before.EventfdWrites, d.Parks-before.Parks
	if writes < rounds-1 || parks < rounds-1 {
		t.Fatalf("%d eventfd writes, %d parks for %d wakes of a parked loop", writes, parks, rounds)
	}
}

// Close drops every task left (their Drop runs, releasing fds), and the
// executor leaves no goroutine and no fd behind.
func TestCloseDropsTasksAndLeaksNothing(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fds := openFDs(t)
	e, err := NewExecutor(Config{})
	if err != nil {
		t.Fatal(err)
	}
	var drops atomic.Int32
	var src, peer Source
	owned(t, e, func() { src, peer = socketPair(t, e) })
	started := make(chan struct{})
	var once sync.Once
	go func() {
		parker := &taskFunc[struct{}]{}
		read := Read(&src, make([]byte, 1))
		sleep := Sleep(time.Hour)
		both := Join[IOResult, struct{}](&read, &sleep)
		parker.poll = func(cx *Context) Poll[struct{}] {
			if !both.Poll(cx).IsReady() {
				once.Do(func() { close(started) })
				return Pending[struct{}]()
			}
			return Ready(struct{}{})
		}
		parker.drop = func() {
			drops.Add(1)
			both.Drop()
			src.Close()
			peer.Close()
		}
		SpawnDetached(e, parker)
		// Queued, never polled: dropped too.
		for range 10 {
			SpawnDetached(e, &taskFunc[struct{}]{
				poll: func(*Context) Poll[struct{}] { return Pending[struct{}]() },
				drop: func() { drops.Add(1) },
			})
		}
		e.Run()
	}()
	<-started
	e.Stop()
	for e.running.Load() {
		runtime.Gosched()
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if got := drops.Load(); got != 11 {
		t.Fatalf("%d futures dropped by Close, want 11", got)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if now := openFDs(t); now != fds {
		t.Fatalf("%d fds open after Close, %d before", now, fds)
	}
	// Spawning on a closed executor drops the future.
	dropped := false
	h := Spawn(e, &taskFunc[int]{drop: func() { dropped = true }})
	if !dropped || !h.IsFinished() {
		t.Fatal("Spawn on a closed executor did not drop the future")
	}
}

func TestBlockOnErrors(t *testing.T) {
	e := newTestExecutor(t)
	nested := &taskFunc[error]{poll: func(cx *Context) Poll[error] {
		_, err := BlockOn(cx.Executor(), new(Yield()))
		return Ready(err)
	}}
	if err := blockOn(t, e, nested); !errors.Is(err, ErrRunning) {
		t.Fatalf("nested BlockOn: %v, want ErrRunning", err)
	}
	running := make(chan struct{})
	go func() {
		BlockOn(e, &taskFunc[struct{}]{poll: func(cx *Context) Poll[struct{}] {
			select {
			case <-running:
			default:
				close(running)
			}
			return Pending[struct{}]() // parks forever: only Stop ends it
		}})
	}()
	<-running
	if err := e.Close(); !errors.Is(err, ErrRunning) {
		t.Fatalf("Close while running: %v, want ErrRunning", err)
	}
	e.Stop()
	for e.running.Load() {
		runtime.Gosched()
	}
	if _, err := BlockOn(e, new(Yield())); !errors.Is(err, ErrStopped) {
		t.Fatalf("BlockOn after Stop: %v, want ErrStopped", err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := BlockOn(e, new(Yield())); !errors.Is(err, ErrClosed) {
		t.Fatalf("BlockOn after Close: %v, want ErrClosed", err)
	}
}

func TestNotifyCoalescesRemoteNotifies(t *testing.T) {
	e := newTestExecutor(t)
	n := NewNotify(e)
	// Before the home runs, many foreign Notify post once and set one
	// permit.
	for range 100 {
		n.Notify()
	}
	polls := 0
	var w1, w2 NotifiedFuture = n.Notified(), n.Notified()
	task := &taskFunc[string]{poll: func(cx *Context) Poll[string] {
		polls++
		if polls == 1 {
			if !w1.Poll(cx).IsReady() {
				return Ready("the first wait did not find the permit")
			}
			if w2.Poll(cx).IsReady() {
				return Ready("a second permit from coalesced notifies")
			}
			go n.Notify() // from another goroutine: through the inbox
			return Pending[string]()
		}
		if !w2.Poll(cx).IsReady() {
			return Pending[string]()
		}
		return Ready("")
	}}
	if msg := blockOn(t, e, task); msg != "" {
		t.Fatal(msg)
	}
}
