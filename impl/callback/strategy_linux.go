package callback

import (
	"errors"
	"fmt"
	"strconv"
	"sync"

	"iostrat"
	"iostrat/internal/lifecycle"
)

// strategyRuntime adapts a set of loops to iostrat.Runtime.
//
// The call boundary: a workload method posts one starter callback to a
// loop (one Post, an eventfd write when the loop sleeps) and blocks on a
// channel that the workload's last callback sends on; so each call costs
// one cross-thread wake in and one goroutine wake out, whatever its size.
type strategyRuntime struct {
	cfg   Config
	scfg  ServerConfig
	loops []*Loop
	life  lifecycle.Lifecycle

	done     chan struct{} // the running workload's last callback sends here
	finish   func()        // rt.finished, made once: posting it allocates nothing
	dead     chan struct{} // closed when any loop stops
	deadOnce sync.Once

	mu    sync.Mutex
	spare *Loop // second thread for CrossThread when Loops is 1
}

var _ iostrat.Runtime = (*strategyRuntime)(nil)

func start(o iostrat.Options) (iostrat.Runtime, error) {
	o = o.WithDefaults()
	park, err := parkOf(o.Park)
	if err != nil {
		return nil, err
	}
	rt := &strategyRuntime{
		done: make(chan struct{}, 1),
		dead: make(chan struct{}),
	}
	rt.finish = rt.finished
	rt.cfg = Config{Batch: o.Batch, Park: park, onExit: rt.loopStopped}.withDefaults()
	rt.scfg = ServerConfig{
		Trigger:      triggerOf(o.Trigger),
		ReadBuffer:   o.ReadBuffer,
		HighWater:    o.HighWater,
		DrainTimeout: iostrat.DrainTimeout,
		Logf:         o.Logf,
	}.withDefaults()
	for range o.Loops {
		l, err := NewLoop(rt.cfg)
		if err != nil {
			for _, l := range rt.loops {
				l.Close()
			}
			return nil, err
		}
		rt.loops = append(rt.loops, l)
	}
	return rt, nil
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

// triggerOf translates the contract's trigger mode into the server's own;
// anything but Edge is level-triggered.
func triggerOf(t iostrat.Trigger) Trigger {
	if t == iostrat.Edge {
		return Edge
	}
	return Level
}

// closedErr returns err from the library so that a loop that has stopped
// reads as iostrat.ErrClosed too.
func closedErr(err error) error {
	if errors.Is(err, ErrClosed) {
		return fmt.Errorf("%w: %w", iostrat.ErrClosed, err)
	}
	return err
}

func (rt *strategyRuntime) loopStopped() { rt.deadOnce.Do(func() { close(rt.dead) }) }

// Info names the model and backend and lists every knob. Values carry no
// spaces, so Info.String stays one key=value list.
func (rt *strategyRuntime) Info() iostrat.Info {
	cross, spread := "loop0-loop1", "inject,yield,fanout"
	if len(rt.loops) == 1 {
		cross, spread = "loop0-spare-loop", "none"
	}
	return iostrat.Info{
		Name:    "callback",
		Model:   "callback event loop",
		Backend: "epoll",
		Knobs: []iostrat.Knob{
			{Key: "loops", Value: strconv.Itoa(len(rt.loops))},
			{Key: "park", Value: rt.cfg.Park.String()},
			// Workloads whose work is dealt over every loop; the others run
			// on loop 0 (see strategy_workloads_linux.go).
			{Key: "spread", Value: spread},
			{Key: "trigger", Value: rt.scfg.Trigger.String()},
			{Key: "read-buffer", Value: strconv.Itoa(rt.scfg.ReadBuffer)}, // one per loop
			{Key: "high-water", Value: strconv.Itoa(rt.scfg.HighWater)},
			{Key: "batch", Value: strconv.Itoa(rt.cfg.Batch)}, // per posting queue per turn
			{Key: "edge-budget", Value: strconv.Itoa(rt.scfg.EdgeBudget)},
			{Key: "events-per-wait", Value: strconv.Itoa(rt.cfg.Events)},
			{Key: "accept", Value: "loop0-round-robin"},
			{Key: "cross-thread", Value: cross},
			{Key: "drain-timeout", Value: rt.scfg.DrainTimeout.String()},
		},
	}
}

// Stats sums the counters of every loop, each read on its loop.
func (rt *strategyRuntime) Stats() iostrat.Stats {
	var s iostrat.Stats
	for _, l := range rt.allLoops() {
		addCounters(&s, l.Stats())
	}
	return s
}

// addCounters adds one loop's counters to s under the contract's names.
func addCounters(s *iostrat.Stats, c Counters) {
	s.Add(iostrat.CallbacksRun, c.Callbacks)
	s.Add(iostrat.SpuriousWakes, c.SpuriousWakes)
	s.Add(iostrat.Parks, c.Parks)
	s.Add(iostrat.SysEpollWait, c.EpollWaits)
	s.Add(iostrat.SysEpollCtl, c.EpollCtls)
	s.Add(iostrat.SysRead, c.Reads)
	s.Add(iostrat.SysWrite, c.Writes)
	s.Add(iostrat.SysAccept, c.Accepts)
	s.Add(iostrat.SysEventfdWrite, c.EventfdWrites)
	s.Add(iostrat.SysEventfdRead, c.EventfdReads)
}

func (rt *strategyRuntime) allLoops() []*Loop {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	ls := append([]*Loop(nil), rt.loops...)
	if rt.spare != nil {
		ls = append(ls, rt.spare)
	}
	return ls
}

// Close closes the services (each drains within iostrat.DrainTimeout),
// then stops every loop and waits for their threads to end.
func (rt *strategyRuntime) Close() error {
	return rt.life.Close(rt.stop)
}

// stop closes every loop, the spare included, and waits for each.
func (rt *strategyRuntime) stop() error {
	var errs []error
	for _, l := range rt.allLoops() {
		errs = append(errs, l.Close())
	}
	return errors.Join(errs...)
}

// run posts start to l and waits for the workload's last callback to call
// finish.
func (rt *strategyRuntime) run(l *Loop, start func()) error {
	if err := l.Post(start); err != nil {
		return closedErr(err)
	}
	return rt.await()
}

func (rt *strategyRuntime) await() error {
	select {
	case <-rt.done:
		return nil
	case <-rt.dead:
		return errors.Join(iostrat.ErrClosed, errors.New("callback: a loop stopped during the workload"))
	}
}

// finished signals the caller of the running workload; called exactly
// once per call, from a loop, through rt.finish.
func (rt *strategyRuntime) finished() { rt.done <- struct{}{} }

// crossLoops returns two loops on different threads, starting a spare loop
// the first time when the runtime has only one. The spare is started under
// rt.mu after a last look at the closed flag, so stop, which takes rt.mu
// after the flag is set, either sees it or it is never started.
func (rt *strategyRuntime) crossLoops() (*Loop, *Loop, error) {
	if len(rt.loops) > 1 {
		return rt.loops[0], rt.loops[1], nil
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.spare == nil {
		if err := rt.life.Check(); err != nil {
			return nil, nil, err
		}
		l, err := NewLoop(rt.cfg)
		if err != nil {
			return nil, nil, err
		}
		rt.spare = l
	}
	return rt.loops[0], rt.spare, nil
}
