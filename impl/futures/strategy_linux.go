package futures

import (
	"errors"
	goruntime "runtime"
	"strconv"
	"sync"

	"iostrat"
	"iostrat/internal/lifecycle"
)

// The adapter: an iostrat.Runtime made of Options.Loops executors, each run
// by a goroutine locked to its OS thread (thread-per-core), each parked on
// the Go netpoller or in epoll_wait as Options.Park says. This file starts
// and stops the loops and carries a workload call into them;
// strategy_workloads.go holds the workloads' futures,
// strategy_workloads_linux.go the workload methods, and
// strategy_serve_linux.go Serve.
//
// Where each workload runs is decided in one place per workload method
// (strategy_workloads_linux.go), by the loop count alone (Options.Loops,
// GOMAXPROCS by default, so one loop at cpus=1 and two at cpus=2):
//
//	workload          one loop     two or more loops
//	Handoff, Spawn,   loop 0       loop 0: the work starts inside one task
//	Chain, Timers,                 and stays on its executor, as tasks do
//	PingPong same/hog,
//	WakeExternal
//	PingPong cross    loop 0 and   loop 0 and loop 1
//	                  a spare loop
//	Inject            loop 0       task i on loop i%Loops, each loop's
//	                               share tallied on that loop
//	Yield             loop 0       task i on loop i%Loops, one root per loop
//	FanOut            loop 0       waiter i on loop i%Loops, the notifier
//	                               on loop 0, woken through a SharedBroadcast
//	Serve             connections handed to the loops in turn
//
// A workload spread over loops has one share per loop (spread, share): a
// root future of that loop, or for Inject a tally its tasks keep. The call
// returns once every share has finished, and each share publishes its own
// loop's counters before it signals, so a call's work is in Stats when the
// call returns.
//
// The call boundary, paid once per workload call: the caller spawns the
// workload's root future into the loop through the cross-thread Spawn (one
// cell allocation, the inbox mutex, an eventfd write if the loop is
// parked), then blocks on a channel the root future sends on when it is
// done, after publishing the loop's counters.

var _ iostrat.Runtime = (*strategyRuntime)(nil)

// loop is one executor and the goroutine running it.
type loop struct {
	e    *Executor
	done chan struct{} // closed when the loop's goroutine has ended

	// Owner only: scratch of the workload roots run on this loop, reused
	// by successive calls (calls are never concurrent).
	spawnHandles []JoinHandle[struct{}]
	yieldHandles []JoinHandle[uint64]
}

// strategyRuntime is the iostrat.Runtime: its loops, the closed flag and
// services (life), and the channel workload roots reply on.
type strategyRuntime struct {
	opts  iostrat.Options
	loops []*loop
	life  lifecycle.Lifecycle
	reply chan struct{} // completions of workload roots

	mu    sync.Mutex // guards spare
	spare *loop      // second loop for CrossThread when Loops == 1

	// Scratch reused by successive calls (calls are never concurrent).
	injectShares []injectState
	totals       []uint64 // one output per loop of a spread workload
}

// Start starts o.Loops executors (default GOMAXPROCS), each on its own
// locked OS thread. Readiness is always edge-triggered (every fd is
// registered once, for both directions); o.Trigger is ignored, and the
// knobs say so.
func (Strategy) Start(o iostrat.Options) (iostrat.Runtime, error) {
	o = o.WithDefaults()
	rt := &strategyRuntime{
		opts: o,
		// Room for every root of one call (one per loop, or the two of a
		// cross-thread ping-pong), so a root dropped by Close never blocks
		// its loop on the send.
		reply: make(chan struct{}, max(o.Loops, 2)),
	}
	for range o.Loops {
		lp, err := rt.startLoop()
		if err != nil {
			rt.Close()
			return nil, err
		}
		rt.loops = append(rt.loops, lp)
	}
	return rt, nil
}

// executorConfig translates the contract's options into the executor's.
func executorConfig(o iostrat.Options) Config {
	c := Config{Batch: o.Batch}
	if o.Park == iostrat.ParkThread {
		c.Park = ParkThread
	}
	return c
}

func (rt *strategyRuntime) startLoop() (*loop, error) {
	e, err := NewExecutor(executorConfig(rt.opts))
	if err != nil {
		return nil, err
	}
	lp := &loop{e: e, done: make(chan struct{})}
	go func() {
		goruntime.LockOSThread()
		defer goruntime.UnlockOSThread()
		defer close(lp.done)
		// ErrStopped: Close came before the loop started; nothing to say.
		if err := e.Run(); err != nil && !errors.Is(err, ErrStopped) {
			rt.opts.Logf("futures: loop: %v", err)
		}
		if err := e.Close(); err != nil {
			rt.opts.Logf("futures: closing loop: %v", err)
		}
	}()
	return lp, nil
}

// crossLoop returns the loop for the far end of a cross-thread ping-pong.
func (rt *strategyRuntime) crossLoop() (*loop, error) {
	if len(rt.loops) > 1 {
		return rt.loops[1], nil
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.spare == nil {
		lp, err := rt.startLoop()
		if err != nil {
			return nil, err
		}
		rt.spare = lp
	}
	return rt.spare, nil
}

// allLoops returns the loops and the spare, if one was started.
func (rt *strategyRuntime) allLoops() []*loop {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	loops := append([]*loop(nil), rt.loops...)
	if rt.spare != nil {
		loops = append(loops, rt.spare)
	}
	return loops
}

// callFuture is a workload's root: it runs the workload's future and, once
// it is ready, stores the output, publishes the loop's counters and
// signals the caller.
type callFuture[T any, PF interface {
	*F
	Future[T]
}, F any] struct {
	inner F
	out   *T
	reply chan<- struct{}
}

func (c *callFuture[T, PF, F]) Poll(cx *Context) Poll[struct{}] {
	p := PF(&c.inner).Poll(cx)
	if !p.ready {
		return Pending[struct{}]()
	}
	*c.out = p.value
	cx.exec.publish()
	c.reply <- struct{}{}
	return Ready(struct{}{})
}

// Drop releases the caller if the loop closes under the workload. The
// reply channel has room for every root of one call, so the send never
// blocks the loop.
func (c *callFuture[T, PF, F]) Drop() {
	DropFuture(PF(&c.inner))
	select {
	case c.reply <- struct{}{}:
	default:
	}
}

// start spawns f on lp as a workload root that writes its output to *out.
func start[T any, PF interface {
	*F
	Future[T]
}, F any](rt *strategyRuntime, lp *loop, f PF, out *T) {
	SpawnDetached(lp.e, &callFuture[T, PF, F]{inner: *f, out: out, reply: rt.reply})
}

// call runs f on lp and waits for its output.
func call[T any, PF interface {
	*F
	Future[T]
}, F any](rt *strategyRuntime, lp *loop, f PF) (T, error) {
	var out T
	start(rt, lp, f, &out)
	<-rt.reply
	if err := rt.life.Check(); err != nil {
		return out, err
	}
	return out, nil
}

// spread returns the loops a workload of n independent units is dealt
// over: every loop, or the first n if there are fewer units (a loop
// without a unit has no share), and loop 0 alone for none.
func (rt *strategyRuntime) spread(n int) []*loop {
	return rt.loops[:max(1, min(len(rt.loops), n))]
}

// share is how many of n units dealt round-robin over loops (unit i to
// loop i%loops) loop k gets.
func share(n, k, loops int) int {
	q := n / loops
	if k < n%loops {
		q++
	}
	return q
}

// outputs returns n zeroed output slots, one per loop of a spread
// workload: each root writes its own.
func (rt *strategyRuntime) outputs(n int) []uint64 {
	if cap(rt.totals) < n {
		rt.totals = make([]uint64, n)
	}
	rt.totals = rt.totals[:n]
	clear(rt.totals)
	return rt.totals
}

// await waits for the replies of n workload roots.
func (rt *strategyRuntime) await(n int) {
	for range n {
		<-rt.reply
	}
}

// Info describes the runtime and its knobs.
func (rt *strategyRuntime) Info() iostrat.Info {
	cross, spread := "loop-1", "inject,yield,fanout"
	if len(rt.loops) == 1 {
		cross, spread = "spare-loop", "none"
	}
	o := rt.opts
	batch := o.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	return iostrat.Info{
		Name:    Strategy{}.Name(),
		Model:   "poll-based futures",
		Backend: "epoll",
		Knobs: []iostrat.Knob{
			{Key: "loops", Value: strconv.Itoa(len(rt.loops))},
			{Key: "park", Value: executorConfig(o).Park.String()},
			// Workloads dealt over every loop; the others run on loop 0
			// (see the table at the top of this file).
			{Key: "spread", Value: spread},
			{Key: "trigger", Value: "edge"},
			{Key: "read-buffer", Value: strconv.Itoa(o.ReadBuffer)},
			{Key: "high-water", Value: strconv.Itoa(o.HighWater)},
			{Key: "batch", Value: strconv.Itoa(batch)},
			{Key: "task-pool", Value: strconv.Itoa(DefaultPoolCap)},
			{Key: "cross-thread", Value: cross},
			{Key: "goroutine-token", Value: tokenKind()},
		},
	}
}

// tokenKind says how wakes tell the owner goroutine from others.
func tokenKind() string {
	if !haveGoroutineToken {
		return "none"
	}
	return "g-address"
}

// Stats sums the counters of every loop.
func (rt *strategyRuntime) Stats() iostrat.Stats {
	var s iostrat.Stats
	for _, lp := range rt.allLoops() {
		st := lp.e.Stats()
		s.Add(iostrat.TasksSpawned, st.Spawned)
		s.Add(iostrat.Polls, st.Polls)
		s.Add(iostrat.Wakes, st.Wakes)
		s.Add(iostrat.SpuriousWakes, st.SpuriousWakes)
		s.Add(iostrat.Parks, st.Parks)
		s.Add(iostrat.SysEpollWait, st.EpollWaits)
		s.Add(iostrat.SysEpollCtl, st.EpollCtls)
		s.Add(iostrat.SysRead, st.Reads)
		s.Add(iostrat.SysWrite, st.Writes)
		s.Add(iostrat.SysAccept, st.Accepts)
		s.Add(iostrat.SysEventfdWrite, st.EventfdWrites)
		s.Add(iostrat.SysEventfdRead, st.EventfdReads)
	}
	return s
}

// Close closes every service, then stops every loop (stop).
func (rt *strategyRuntime) Close() error {
	return rt.life.Close(rt.stop)
}

// stop stops every loop and waits for its goroutine to end; each loop
// drops its remaining tasks and closes its epoll and eventfd first.
func (rt *strategyRuntime) stop() error {
	loops := rt.allLoops()
	for _, lp := range loops {
		lp.e.Stop()
	}
	for _, lp := range loops {
		<-lp.done
	}
	return nil
}
