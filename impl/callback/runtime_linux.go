package callback

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"

	"iostrat"
)

// cbRuntime adapts a set of loops to iostrat.Runtime.
//
// The call boundary: a workload method posts one starter callback to a
// loop (one Post, an eventfd write when the loop sleeps) and blocks on a
// channel that the workload's last callback sends on; so each call costs
// one cross-thread wake in and one goroutine wake out, whatever its size.
type cbRuntime struct {
	opts  iostrat.Options
	cfg   Config
	scfg  ServerConfig
	loops []*Loop

	done     chan struct{} // the running workload's last callback sends here
	finish   func()        // r.finished, made once: posting it allocates nothing
	dead     chan struct{} // closed when any loop stops
	deadOnce sync.Once
	closed   atomic.Bool

	mu       sync.Mutex
	spare    *Loop // second thread for CrossThread when Loops is 1
	services []*Server
}

var _ iostrat.Runtime = (*cbRuntime)(nil)

func start(o iostrat.Options) (iostrat.Runtime, error) {
	o = o.WithDefaults()
	park, err := parkOf(o.Park)
	if err != nil {
		return nil, err
	}
	r := &cbRuntime{
		opts: o,
		done: make(chan struct{}, 1),
		dead: make(chan struct{}),
	}
	r.finish = r.finished
	r.cfg = Config{Batch: o.Batch, Park: park, onExit: r.loopStopped}.withDefaults()
	r.scfg = ServerConfig{
		Trigger:    o.Trigger,
		ReadBuffer: o.ReadBuffer,
		HighWater:  o.HighWater,
		Logf:       o.Logf,
	}.withDefaults()
	for range o.Loops {
		l, err := NewLoop(r.cfg)
		if err != nil {
			for _, l := range r.loops {
				l.Close()
			}
			return nil, err
		}
		r.loops = append(r.loops, l)
	}
	return r, nil
}

// parkOf translates the contract's park mode into the loop's own.
func parkOf(p iostrat.Park) (Park, error) {
	switch p {
	case iostrat.ParkNetpoll:
		return ParkNetpoll, nil
	case iostrat.ParkThread:
		return ParkThread, nil
	}
	return 0, fmt.Errorf("callback: unknown park mode %d", p)
}

func (r *cbRuntime) loopStopped() { r.deadOnce.Do(func() { close(r.dead) }) }

// Info names the model and backend and lists every knob. Values carry no
// spaces, so Info.String stays one key=value list.
func (r *cbRuntime) Info() iostrat.Info {
	cross, spread := "loop0-loop1", "inject,yield,fanout"
	if len(r.loops) == 1 {
		cross, spread = "loop0-spare-loop", "none"
	}
	return iostrat.Info{
		Name:    "callback",
		Model:   "callback event loop",
		Backend: "epoll",
		Knobs: []iostrat.Knob{
			{Key: "loops", Value: strconv.Itoa(len(r.loops))},
			{Key: "park", Value: r.cfg.Park.String()},
			// Workloads whose work is dealt over every loop; the others run
			// on loop 0 (see workloads_linux.go).
			{Key: "spread", Value: spread},
			{Key: "trigger", Value: r.scfg.Trigger.String()},
			{Key: "read-buffer", Value: strconv.Itoa(r.scfg.ReadBuffer)}, // one per loop
			{Key: "high-water", Value: strconv.Itoa(r.scfg.HighWater)},
			{Key: "batch", Value: strconv.Itoa(r.cfg.Batch)}, // per posting queue per turn
			{Key: "edge-budget", Value: strconv.Itoa(r.scfg.EdgeBudget)},
			{Key: "events-per-wait", Value: strconv.Itoa(r.cfg.Events)},
			{Key: "accept", Value: "loop0-round-robin"},
			{Key: "cross-thread", Value: cross},
			{Key: "drain-timeout", Value: r.scfg.DrainTimeout.String()},
		},
	}
}

// Stats sums the counters of every loop, each read on its loop.
func (r *cbRuntime) Stats() iostrat.Stats {
	var s iostrat.Stats
	for _, l := range r.allLoops() {
		s.Merge(l.Stats())
	}
	return s
}

func (r *cbRuntime) allLoops() []*Loop {
	r.mu.Lock()
	defer r.mu.Unlock()
	ls := append([]*Loop(nil), r.loops...)
	if r.spare != nil {
		ls = append(ls, r.spare)
	}
	return ls
}

// Close closes the services (each drains within iostrat.DrainTimeout),
// then stops every loop and waits for their threads to end.
func (r *cbRuntime) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	r.mu.Lock()
	svcs := r.services
	r.services = nil
	r.mu.Unlock()
	var errs []error
	for _, s := range svcs {
		errs = append(errs, s.Close())
	}
	for _, l := range r.allLoops() {
		errs = append(errs, l.Close())
	}
	return errors.Join(errs...)
}

// Serve serves ln with one protocol handler per connection; see Server.
func (r *cbRuntime) Serve(ln net.Listener, p iostrat.Protocol) (iostrat.Service, error) {
	if r.closed.Load() {
		ln.Close()
		return nil, iostrat.ErrClosed
	}
	s, err := NewServer(r.loops, ln, protocolCallbacks(p), r.scfg)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.services = append(r.services, s)
	r.mu.Unlock()
	return s, nil
}

// protocolCallbacks runs one sans-I/O handler per connection: input goes
// through Handle straight from the loop's read buffer, and output is built
// in the loop's scratch buffer and written at once.
func protocolCallbacks(p iostrat.Protocol) Callbacks {
	return Callbacks{
		OnOpen: func(c *Conn) { c.SetContext(p.NewHandler()) },
		OnData: func(c *Conn, in []byte) {
			out, action := c.ctx.(iostrat.Handler).Handle(in, c.WriteBuffer())
			c.Write(out)
			c.loop.keepWriteBuf(out)
			if action == iostrat.CloseAfterWrite {
				c.Close()
			}
		},
		OnClose: func(c *Conn, _ error) { c.ctx.(iostrat.Handler).Close() },
	}
}

// run posts start to l and waits for the workload's last callback to call
// finish.
func (r *cbRuntime) run(l *Loop, start func()) error {
	if err := l.Post(start); err != nil {
		return err
	}
	return r.await()
}

func (r *cbRuntime) await() error {
	select {
	case <-r.done:
		return nil
	case <-r.dead:
		return errors.Join(iostrat.ErrClosed, errors.New("callback: a loop stopped during the workload"))
	}
}

// finished signals the caller of the running workload; called exactly
// once per call, from a loop, through r.finish.
func (r *cbRuntime) finished() { r.done <- struct{}{} }

func (r *cbRuntime) check() error {
	if r.closed.Load() {
		return iostrat.ErrClosed
	}
	return nil
}

// crossLoops returns two loops on different threads, starting a spare loop
// the first time when the runtime has only one.
func (r *cbRuntime) crossLoops() (*Loop, *Loop, error) {
	if len(r.loops) > 1 {
		return r.loops[0], r.loops[1], nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.spare == nil {
		l, err := NewLoop(r.cfg)
		if err != nil {
			return nil, nil, err
		}
		r.spare = l
	}
	return r.loops[0], r.spare, nil
}
