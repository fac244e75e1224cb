package iocpstyle

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"iostrat"
	"iostrat/internal/lifecycle"
)

// Adapter defaults, published as knobs.
const (
	// defaultBatch is how many completions a loop takes per Wait.
	defaultBatch = 128
	// buffersPerBatch sizes the provided-buffer ring from the batch: a
	// turn lends at most a batch of buffers to handlers, and the kernel
	// can fill as many again before the next turn recycles them.
	buffersPerBatch = 2
	// spawnWindow bounds the no-ops Spawn keeps in flight: the ring's
	// submission queue, so a spawn never overflows the completion queue.
	spawnWindow = defaultEntries
)

// Start starts Options.Loops loops, each a goroutine locked to its OS
// thread that owns one completion port. The ports are created by the loop
// threads themselves: a SINGLE_ISSUER ring belongs to the thread that set
// it up.
func (s Strategy) Start(o iostrat.Options) (iostrat.Runtime, error) {
	o = o.WithDefaults()
	if o.Batch <= 0 {
		o.Batch = defaultBatch
	}
	rt := &strategyRuntime{
		strategy: s,
		opts:     o,
		loops:    make([]*loop, o.Loops),
		hosts:    make([]*Host, o.Loops),
		all:      make([]*loop, o.Loops+1),
		done:     make(chan struct{}, o.Loops+1),
	}
	rt.handoffJob = func(l *loop) {
		l.start(rt.done)
		l.finish()
	}
	backend := s.Backend
	for i := range o.Loops {
		l, err := rt.startLoop(i, backend)
		if err != nil {
			rt.stopLoops()
			return nil, fmt.Errorf("%s: %w", s.Name(), err)
		}
		rt.loops[i], rt.all[i], rt.hosts[i] = l, l, l.host
		if i == 0 && backend == Auto {
			// Every loop runs what the first one got.
			backend = Uring
			if l.port.Backend() == "emulated" {
				backend = Emulated
			}
		}
	}
	rt.backend = rt.loops[0].port.Backend()
	rt.fallback = rt.loops[0].port.FallbackReason()
	rt.ring = rt.loops[0].ring
	return rt, nil
}

// strategyRuntime is the Runtime: loops, each with a port, driven by posted
// completions.
type strategyRuntime struct {
	life     lifecycle.Lifecycle // closed flag and services; Close takes services down before loops
	strategy Strategy
	opts     iostrat.Options
	loops    []*loop // the serving loops
	hosts    []*Host // the serving loops' hosts, which Serve's servers run on
	all      []*loop // loops by index: the serving loops, then the spare at len(loops)
	backend  string
	fallback string
	ring     ringInfo // loop 0's ring, when the backend is io_uring

	// done carries each loop's "my part of the workload is finished" to
	// the caller. Workload calls do not overlap, and each loop signals
	// once per call (finish), so one channel with room for every loop
	// serves every call without allocating.
	done       chan struct{}
	handoffJob func(*loop) // Handoff's job, made once
	// calls counts workload calls begun. A loop that joins a call on a
	// completion another loop posted it (MSG_RING: the kernel orders the
	// memory, but Go's memory model and race detector know nothing of
	// it) loads calls first, which orders its work after the caller's
	// reads of the previous call's results.
	calls atomic.Uint64

	mu    sync.Mutex
	spare *loop // a second loop for CrossThread ping-pong when Loops is 1; guarded by mu
}

var _ iostrat.Runtime = (*strategyRuntime)(nil)

// startLoop starts loop i with the given backend and waits until its port
// exists.
func (rt *strategyRuntime) startLoop(i int, b Backend) (*loop, error) {
	l := &loop{rt: rt, idx: i, cs: make([]Completion, rt.opts.Batch), exited: make(chan struct{})}
	cfg := Config{
		Backend:    b,
		Entries:    defaultEntries,
		Buffers:    buffersPerBatch * rt.opts.Batch,
		BufferSize: rt.opts.ReadBuffer,
		Park:       ParkNetpoll,
		PostKernel: rt.strategy.PostKernel,
		setup:      rt.strategy.setup,
	}
	if rt.opts.Park == iostrat.ParkThread {
		cfg.Park = ParkThread
	}
	if i == 0 {
		cfg.Logf = rt.opts.Logf // one loop's word is enough: the others run the same
	}
	started := make(chan error, 1)
	go l.run(cfg, started)
	if err := <-started; err != nil {
		<-l.exited
		return nil, err
	}
	return l, nil
}

// loopFor returns the loop with index i (a serving loop or the spare).
func (rt *strategyRuntime) loopFor(i int) *loop { return rt.all[i] }

// spareLoop returns a loop other than loop 0 for CrossThread ping-pong,
// starting the spare when there is only one serving loop.
func (rt *strategyRuntime) spareLoop() (*loop, error) {
	if len(rt.loops) > 1 {
		return rt.loops[1], nil
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.spare == nil {
		b := Uring
		if rt.backend == "emulated" {
			b = Emulated
		}
		l, err := rt.startLoop(len(rt.loops), b)
		if err != nil {
			return nil, err
		}
		rt.spare = l
		rt.all[len(rt.loops)] = l
	}
	return rt.spare, nil
}

// run hands job to loop l: the job is queued, and a posted completion
// tells the loop to run it. This is the call boundary, paid once per
// workload call: a mutex-guarded append plus a Post (a queue append and,
// if the loop sleeps, one eventfd write), then a channel receive for the
// answer.
func (rt *strategyRuntime) run(l *loop, job func(*loop)) error {
	l.jobMu.Lock()
	l.jobs = append(l.jobs, job) // reuses the array once the queue drained
	l.jobMu.Unlock()
	return l.port.Post(tok(tkJob, 0), 0)
}

func (rt *strategyRuntime) Info() iostrat.Info {
	o := rt.opts
	l := rt.loops[0]
	knobs := []iostrat.Knob{
		{Key: "loops", Value: strconv.Itoa(o.Loops)},
		{Key: "backend-choice", Value: rt.strategy.Backend.String()},
		{Key: "batch", Value: strconv.Itoa(o.Batch)},
		{Key: "read-buffer", Value: strconv.Itoa(o.ReadBuffer)},
		{Key: "recv", Value: l.port.recvMode(false)},
		{Key: "accept", Value: l.port.acceptMode()},
		{Key: "high-water", Value: strconv.Itoa(o.HighWater)},
		{Key: "spawn-window", Value: strconv.Itoa(spawnWindow)},
		{Key: "park", Value: rt.park()},
		{Key: "park-wake", Value: rt.parkWake()},
		{Key: "post", Value: l.port.PostMode()},
	}
	if rt.backend == "io_uring" {
		r := rt.ring
		knobs = append(knobs,
			iostrat.Knob{Key: "kernel", Value: r.kernel},
			iostrat.Knob{Key: "io_uring-setup", Value: r.setup},
			iostrat.Knob{Key: "io_uring-features", Value: r.features},
			iostrat.Knob{Key: "io_uring-ops", Value: r.ops},
			iostrat.Knob{Key: "sq-entries", Value: strconv.Itoa(int(r.sq))},
			iostrat.Knob{Key: "cq-entries", Value: strconv.Itoa(int(r.cq))},
			iostrat.Knob{Key: "provided-buffers", Value: strconv.Itoa(buffersPerBatch * o.Batch)},
			iostrat.Knob{Key: "cross-thread-wake", Value: rt.crossThreadWake()},
			iostrat.Knob{Key: "ring-to-ring", Value: ringToRing(l.port)},
			iostrat.Knob{Key: "sqpoll", Value: "off"},
			iostrat.Knob{Key: "timers", Value: "4-ary-heap+one-ring-timeout"},
		)
	} else {
		why := "not used (emulated backend chosen)"
		if rt.fallback != "" {
			why = "unavailable: " + rt.fallback
		}
		knobs = append(knobs,
			iostrat.Knob{Key: "io_uring", Value: why},
			iostrat.Knob{Key: "trigger", Value: "edge"},
			iostrat.Knob{Key: "provided-buffers", Value: "pool-grown-on-demand"},
			iostrat.Knob{Key: "cross-thread-wake", Value: "eventfd-in-epoll-set"},
			iostrat.Knob{Key: "ring-to-ring", Value: "eventfd-post"},
			iostrat.Knob{Key: "timers", Value: "4-ary-heap"},
		)
	}
	return iostrat.Info{
		Name:    rt.strategy.Name(),
		Model:   "completion queue",
		Backend: rt.backend,
		Knobs:   knobs,
	}
}

// park is the park knob: how idle loops wait, as loop 0's port does it.
func (rt *strategyRuntime) park() string {
	got := rt.loops[0].port.Park()
	if rt.opts.Park == iostrat.ParkNetpoll && got != ParkNetpoll {
		return got.String() + " (netpoll asked; the ring is not DEFER_TASKRUN)"
	}
	return got.String()
}

// parkWake is the park-wake knob: what an idle loop waits on.
func (rt *strategyRuntime) parkWake() string {
	netpoll := rt.loops[0].port.Park() == ParkNetpoll
	switch {
	case rt.backend == "io_uring" && netpoll:
		return "netpoller-on-eventfd-registered-with-ring"
	case rt.backend == "io_uring":
		return "io_uring_enter-getevents"
	case netpoll:
		return "netpoller-on-epoll-fd"
	}
	return "epoll_wait"
}

// ringToRing is how PostTo reaches another io_uring loop.
func ringToRing(p *Port) string {
	if p.msgRing() {
		return "IORING_OP_MSG_RING"
	}
	return "eventfd-post"
}

// crossThreadWake is how a Post from another thread wakes an idle
// io_uring loop.
func (rt *strategyRuntime) crossThreadWake() string {
	if rt.loops[0].port.Park() == ParkNetpoll {
		return "eventfd-on-netpoller"
	}
	return "eventfd-read-armed-in-ring"
}

func (rt *strategyRuntime) Stats() iostrat.Stats {
	var c Counters
	add := func(l *loop) {
		if l == nil {
			return
		}
		p := l.load()
		c.Submitted += p.Submitted
		c.Completed += p.Completed
		c.Posted += p.Posted
		c.Enters += p.Enters
		c.WaitingEnters += p.WaitingEnters
		c.EpollWaits += p.EpollWaits
		c.BlockingWaits += p.BlockingWaits
		c.EpollCtls += p.EpollCtls
		c.Reads += p.Reads
		c.Writes += p.Writes
		c.Accepts += p.Accepts
		c.EventfdReads += p.EventfdReads
		c.NetpollParks += p.NetpollParks
		c.EventfdWrites += l.port.x.writes.Load()
	}
	for _, l := range rt.loops {
		add(l)
	}
	rt.mu.Lock()
	add(rt.spare)
	rt.mu.Unlock()
	var s iostrat.Stats
	s.Set(iostrat.TasksSpawned, c.Submitted)
	s.Set(iostrat.CompletionsReaped, c.Completed)
	s.Set(iostrat.Wakes, c.Posted)
	s.Set(iostrat.SysEventfdWrite, c.EventfdWrites)
	if rt.backend == "io_uring" {
		s.Set(iostrat.Parks, c.WaitingEnters+c.NetpollParks)
		s.Set(iostrat.SysIOUringEnter, c.Enters)
	} else {
		s.Set(iostrat.Parks, c.BlockingWaits+c.NetpollParks)
		s.Set(iostrat.SysEpollWait, c.EpollWaits)
		s.Set(iostrat.SysEpollCtl, c.EpollCtls)
		s.Set(iostrat.SysRead, c.Reads)
		s.Set(iostrat.SysWrite, c.Writes)
		s.Set(iostrat.SysAccept, c.Accepts)
		s.Set(iostrat.SysEventfdRead, c.EventfdReads)
	}
	return s
}

// Close closes every service, then stops every loop; each loop closes its
// own port (cancelling and reaping whatever is in flight) before its
// goroutine ends.
func (rt *strategyRuntime) Close() error {
	return rt.life.Close(rt.stopLoops)
}

// stopLoops stops every loop started so far and waits for their goroutines.
func (rt *strategyRuntime) stopLoops() error {
	rt.mu.Lock()
	spare := rt.spare
	rt.mu.Unlock()
	var errs []error
	for _, l := range append(rt.loops[:len(rt.loops):len(rt.loops)], spare) {
		if l == nil {
			continue
		}
		l.port.Post(tok(tkStop, 0), 0)
		<-l.exited
		errs = append(errs, l.closeErr)
	}
	return errors.Join(errs...)
}

// loop is one loop thread and its port. Everything below jobs is touched
// only by the loop's goroutine.
type loop struct {
	rt     *strategyRuntime
	idx    int
	port   *Port
	cs     []Completion
	exited chan struct{}

	jobMu   sync.Mutex
	jobs    []func(*loop) // guarded by jobMu; jobs[jobHead:] are queued
	jobHead int           // guarded by jobMu

	published     [numPublished]atomic.Uint64 // Counters, stored after each turn
	lastPublished [numPublished]uint64        // what published holds, read by the loop only
	ring          ringInfo
	closeErr      error // the port's Close error, read after exited

	stopping bool
	w        work  // the workload in progress
	host     *Host // the servers' connections on this loop (tkServe tokens)
}

// run is the loop goroutine: create the port on this locked thread, then
// Wait and dispatch completions until told to stop.
func (l *loop) run(cfg Config, started chan<- error) {
	defer close(l.exited)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p, err := NewPort(cfg)
	if err != nil {
		started <- err
		return
	}
	l.port = p
	if p.u != nil {
		l.ring = p.u.info()
	}
	if l.host, err = NewHost(p, tok(tkServe, 0)); err != nil {
		p.Close()
		started <- err
		return
	}
	started <- nil
	failures := 0
	for !l.stopping {
		n, err := p.Wait(l.cs, 1)
		for i := range n {
			l.handle(&l.cs[i])
		}
		l.publish()
		if err == nil {
			failures = 0
			continue
		}
		l.rt.opts.Logf("%s: loop %d: %v", l.rt.strategy.Name(), l.idx, err)
		if failures++; failures > 3 {
			time.Sleep(time.Millisecond) // a ring that keeps failing must not spin a CPU
		}
	}
	l.closeErr = p.Close()
	l.publish()
}

// handle dispatches one completion by its token's kind.
func (l *loop) handle(c *Completion) {
	kind, payload := c.Token.kind(), c.Token.payload()
	switch kind {
	case tkJob:
		l.jobMu.Lock()
		job := l.jobs[l.jobHead]
		l.jobs[l.jobHead] = nil
		if l.jobHead++; l.jobHead == len(l.jobs) {
			l.jobs, l.jobHead = l.jobs[:0], 0
		}
		l.jobMu.Unlock()
		job(l)
	case tkStop:
		l.stopping = true
	case tkSpawn:
		l.onSpawn(payload)
	case tkChain:
		l.onChain(payload)
	case tkInject:
		l.onInject(payload)
	case tkYield:
		l.onYield(payload)
	case tkPing:
		l.onPing(payload, c.Result)
	case tkPong:
		l.onPong(payload, c.Result)
	case tkHog:
		l.onHog()
	case tkWake:
		l.onWake()
	case tkFanEvent:
		l.onFanEvent()
	case tkFanWaiter:
		l.onFanWaiter()
	case tkFanJoin:
		l.onFanJoin(payload, c.Result)
	case tkFanAck:
		l.onFanAck()
	case tkTimer:
		l.onTimer(payload, c)
	case tkServe:
		l.host.HandleCompletion(c)
	}
}

// Published counters, in the order of the Counters fields loop.publish
// stores.
const (
	pubSubmitted = iota
	pubCompleted
	pubPosted
	pubEnters
	pubWaitingEnters
	pubEpollWaits
	pubBlockingWaits
	pubNetpollParks
	pubEpollCtls
	pubReads
	pubWrites
	pubAccepts
	pubEventfdReads
	numPublished
)

// publish makes the port's counters readable by Stats: the port keeps
// plain counters; after each turn, and before a workload signals its
// caller, the loop stores those that changed (a turn moves two or three).
func (l *loop) publish() {
	c := l.port.Counters()
	for i, v := range [numPublished]uint64{
		c.Submitted, c.Completed, c.Posted, c.Enters, c.WaitingEnters, c.EpollWaits,
		c.BlockingWaits, c.NetpollParks, c.EpollCtls, c.Reads, c.Writes, c.Accepts, c.EventfdReads,
	} {
		if v != l.lastPublished[i] {
			l.lastPublished[i] = v
			l.published[i].Store(v)
		}
	}
}

// load reads the published counters.
func (l *loop) load() Counters {
	var v [numPublished]uint64
	for i := range v {
		v[i] = l.published[i].Load()
	}
	return Counters{
		Submitted: v[pubSubmitted], Completed: v[pubCompleted], Posted: v[pubPosted],
		Enters: v[pubEnters], WaitingEnters: v[pubWaitingEnters], EpollWaits: v[pubEpollWaits],
		BlockingWaits: v[pubBlockingWaits], NetpollParks: v[pubNetpollParks], EpollCtls: v[pubEpollCtls], Reads: v[pubReads],
		Writes: v[pubWrites], Accepts: v[pubAccepts], EventfdReads: v[pubEventfdReads],
	}
}

// submit submits op; a failure ends the workload in progress with the
// error rather than leaving its caller waiting for a completion that
// will never come.
func (l *loop) submit(op Op) OpID {
	id, err := l.port.Submit(op)
	if err != nil {
		l.fail(err)
	}
	return id
}

// postTo posts a completion to loop dst from this loop's thread.
func (l *loop) postTo(dst *loop, t Token, res int32) {
	if err := l.port.PostTo(dst.port, t, res); err != nil {
		l.fail(err)
	}
}

// The adapter's tokens: a kind in bits 48-55 and a payload in bits 0-47, so
// every token fits a posted completion (MaxPostToken). The kind tkServe is
// the token range of the loop's Host (HostTokens is exactly the payload
// space), whose connection tokens carry a table index and generation,
// never a pointer.
type tokKind uint8

const (
	tkJob       tokKind = iota + 1 // run the loop's next queued job (the call boundary)
	tkStop                         // leave the loop
	tkSpawn                        // Spawn: task index
	tkChain                        // Chain: position in the chain
	tkInject                       // Inject: task index
	tkYield                        // Yield: task index
	tkPing                         // PingPong: to the B side; payload: the A loop, result: round
	tkPong                         // PingPong: back to A; payload: the B loop, result: round
	tkHog                          // PingPong hog: the CPU-bound task
	tkWake                         // WakeExternal: the outside thread's wake
	tkFanEvent                     // FanOut: the event
	tkFanWaiter                    // FanOut: one waiter woken; payload: waiter index
	tkFanJoin                      // FanOut: a loop's share; payload: its waiters, result: rounds
	tkFanAck                       // FanOut: a loop's waiters all ran this round
	tkTimer                        // Timers: timer index
	tkServe                        // Serve: the loop's Host; the payload is the host's (see HostTokens)
)

const (
	tkShift     = 48
	payloadMask = 1<<tkShift - 1
)

// The Host's range is the payload space of tkServe: these fail to
// compile otherwise.
const (
	_ uint64 = 1<<tkShift - uint64(HostTokens)
	_ uint64 = uint64(HostTokens) - 1<<tkShift
)

func tok(k tokKind, payload uint64) Token { return Token(uint64(k)<<tkShift | payload&payloadMask) }

func (t Token) kind() tokKind   { return tokKind(t >> tkShift) }
func (t Token) payload() uint64 { return uint64(t) & payloadMask }
