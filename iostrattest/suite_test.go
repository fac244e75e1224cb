package iostrattest

import (
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"iostrat"
	"iostrat/impl/goroutine"
)

// The suite is only worth something if it fails broken strategies. Each
// strategy below wraps the goroutine strategy and breaks one promise.

type broken struct {
	start func(iostrat.Runtime) (iostrat.Runtime, error)
}

func (b broken) Name() string { return "goroutine" }
func (b broken) Start(o iostrat.Options) (iostrat.Runtime, error) {
	rt, err := goroutine.Strategy{}.Start(o)
	if err != nil {
		return nil, err
	}
	return b.start(rt)
}

// dropsTask runs every task but the last.
type dropsTask struct{ iostrat.Runtime }

func (r dropsTask) Spawn(n int) (uint64, error) { return r.Runtime.Spawn(max(n-1, 0)) }

// losesWake never delivers the wake that ends the first round.
type losesWake struct{ iostrat.Runtime }

func (r losesWake) PingPong(rounds int, mode iostrat.PingPongMode) (int, error) {
	select {} // the partner waits for a wake that never comes
}

// corruptsEcho flips one byte of every reply longer than 100 bytes.
type corruptsEcho struct{ iostrat.Runtime }

func (r corruptsEcho) Serve(ln net.Listener, p iostrat.Protocol) (iostrat.Service, error) {
	return r.Runtime.Serve(ln, corruptProto{p})
}

type corruptProto struct{ iostrat.Protocol }

func (p corruptProto) NewHandler() iostrat.Handler { return corruptHandler{p.Protocol.NewHandler()} }

type corruptHandler struct{ iostrat.Handler }

func (h corruptHandler) Handle(in, out []byte) ([]byte, iostrat.Action) {
	n := len(out)
	out, a := h.Handler.Handle(in, out)
	if len(out)-n > 100 {
		out[n+50] ^= 0x20
	}
	return out, a
}

// leaksGoroutine leaves a goroutine running after Close.
type leaksGoroutine struct{ iostrat.Runtime }

func (r leaksGoroutine) Close() error {
	go func() { select {} }()
	return r.Runtime.Close()
}

// leaksFD opens a file at Start that Close never closes.
type leaksFD struct {
	iostrat.Runtime
	f *os.File
}

// undercounts keeps no record of the tasks it ran.
type undercounts struct{ iostrat.Runtime }

func (r undercounts) Stats() iostrat.Stats {
	var s iostrat.Stats
	s.Set(iostrat.TasksSpawned, 0)
	return s
}

// publishesLate counts its tasks a moment after Spawn returns.
type publishesLate struct {
	iostrat.Runtime
	late *lateCounter
}

type lateCounter struct {
	mu    sync.Mutex
	tasks uint64
}

func (r publishesLate) Spawn(n int) (uint64, error) {
	sum, err := r.Runtime.Spawn(n)
	go func() {
		time.Sleep(time.Millisecond)
		r.late.mu.Lock()
		r.late.tasks += uint64(n)
		r.late.mu.Unlock()
	}()
	return sum, err
}

func (r publishesLate) Stats() iostrat.Stats {
	r.late.mu.Lock()
	defer r.late.mu.Unlock()
	var s iostrat.Stats
	s.Set(iostrat.TasksSpawned, r.late.tasks)
	return s
}

// oneClockTimers dates every timer's deadline from one clock read taken
// before arming any of them (and counts them, to fail for that alone).
type oneClockTimers struct {
	iostrat.Runtime
	fired *atomic.Uint64
}

func (r oneClockTimers) Stats() iostrat.Stats {
	s := r.Runtime.Stats()
	s.Add(iostrat.TasksSpawned, r.fired.Load())
	return s
}

func (r oneClockTimers) Timers(spec iostrat.TimerSpec) (iostrat.TimerResult, error) {
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(spec.Count)
	for i := range spec.Count {
		if spec.OnArm != nil {
			spec.OnArm(i)
		}
		deadline := start.Add(spec.Delay(i))
		time.AfterFunc(time.Until(deadline), func() {
			if spec.Lateness != nil {
				spec.Lateness[i] = max(time.Since(deadline), 1)
			}
			r.fired.Add(1)
			wg.Done()
		})
	}
	wg.Wait()
	return iostrat.TimerResult{Fired: spec.Count}, nil
}

// ignoresClose keeps working after Close.
type ignoresClose struct{ iostrat.Runtime }

func (r ignoresClose) Spawn(n int) (uint64, error) {
	rt, _ := goroutine.Strategy{}.Start(iostrat.Options{})
	defer rt.Close()
	return rt.Spawn(n)
}

func TestSuiteFailsBrokenStrategies(t *testing.T) {
	old := hangLimit
	hangLimit = 2 * time.Second
	defer func() { hangLimit = old }()
	cases := []struct {
		name, check, want string
		wrap              func(iostrat.Runtime) (iostrat.Runtime, error)
	}{
		{"drops a task", "spawn", "ran twice or not at all", func(r iostrat.Runtime) (iostrat.Runtime, error) { return dropsTask{r}, nil }},
		{"loses a wake", "pingpong", "hung", func(r iostrat.Runtime) (iostrat.Runtime, error) { return losesWake{r}, nil }},
		{"corrupts an echoed byte", "echo-sizes", "byte 50", func(r iostrat.Runtime) (iostrat.Runtime, error) { return corruptsEcho{r}, nil }},
		{"leaks a goroutine", "spawn", "goroutines left after Close", func(r iostrat.Runtime) (iostrat.Runtime, error) { return leaksGoroutine{r}, nil }},
		{"leaks an fd", "chain", "leaked", func(r iostrat.Runtime) (iostrat.Runtime, error) {
			f, err := os.Open(os.DevNull)
			t.Cleanup(func() { f.Close() })
			return leaksFD{r, f}, err
		}},
		{"does not count", "spawn", "moved by at most 0", func(r iostrat.Runtime) (iostrat.Runtime, error) { return undercounts{r}, nil }},
		{"works after Close", "closed", "want ErrClosed", func(r iostrat.Runtime) (iostrat.Runtime, error) { return ignoresClose{r}, nil }},
		{"publishes counters late", "counters-published", "counted after the call returned", func(r iostrat.Runtime) (iostrat.Runtime, error) {
			return publishesLate{r, &lateCounter{}}, nil
		}},
		{"dates timers from one clock read", "timers-own-deadline", "not one clock read", func(r iostrat.Runtime) (iostrat.Runtime, error) { return oneClockTimers{r, new(atomic.Uint64)}, nil }},
	}
	checks := map[string]Check{}
	for _, c := range Checks() {
		checks[c.Name] = c
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := checks[tc.check]
			if !ok {
				t.Fatalf("no check %q", tc.check)
			}
			err := c.Run(broken{start: tc.wrap})
			if err == nil {
				t.Fatalf("check %q passed a strategy that %s", tc.check, tc.name)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("check %q failed for the wrong reason: %v (want it to mention %q)", tc.check, err, tc.want)
			}
		})
	}
}

// TestSuitePassesGoroutine is the control: the unbroken strategy passes.
func TestSuitePassesGoroutine(t *testing.T) {
	TestStrategy(t, goroutine.Strategy{})
}

// TestManyConnsNeedsTheFDLimit: with more connections than any fd limit
// allows, many-conns fails and says how to raise the limit; it never
// holds fewer connections than it claims to.
func TestManyConnsNeedsTheFDLimit(t *testing.T) {
	oldN, oldRace := manyConns, manyConnsRace
	manyConns, manyConnsRace = 1<<30, 1<<30 // above any kernel's fs.nr_open
	defer func() { manyConns, manyConnsRace = oldN, oldRace }()
	err := checkManyConns(goroutine.Strategy{})
	if err == nil {
		t.Fatal("many-conns passed with 1<<30 connections")
	}
	t.Logf("error as expected: %v", err)
	for _, want := range []string{"1073741824 connections", "hard limit", "ulimit -n"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
