package iostrattest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"

	"iostrat"
)

// A Check is one conformance check. Run starts the runtimes it needs from
// the strategy, closes them, checks for leaks, and returns what was wrong.
type Check struct {
	Name string
	Run  func(s iostrat.Strategy) error
}

// Checks returns every check of the suite, in the order TestStrategy runs
// them.
func Checks() []Check {
	var cs []Check
	cs = append(cs, dispatchChecks()...)
	cs = append(cs, counterChecks()...)
	cs = append(cs, wakeChecks()...)
	cs = append(cs, timerChecks()...)
	cs = append(cs, serveChecks()...)
	cs = append(cs, lifecycleChecks()...)
	return cs
}

// TestStrategy runs every check against s as a subtest. Checks run one at
// a time: goroutine and fd leak checks look at the whole process.
func TestStrategy(t *testing.T, s iostrat.Strategy) {
	t.Helper()
	for _, c := range Checks() {
		t.Run(c.Name, func(t *testing.T) {
			if err := c.Run(s); err != nil {
				t.Error(err)
			}
		})
	}
}

// hangLimit is how long a single workload call may take before the suite
// calls it hung. It is not a timing assertion: on any machine a correct
// runtime finishes these workloads thousands of times faster, and one that
// lost a wake-up never finishes.
var hangLimit = 60 * time.Second

// errHung marks a workload that did not finish within hangLimit.
var errHung = errors.New("hung")

// within runs f and waits for it for at most hangLimit.
func within(what string, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(hangLimit):
		return fmt.Errorf("%s: %w after %v (a lost wake-up or a deadlock)", what, errHung, hangLimit)
	}
}

// withRuntime starts a runtime from s, runs f on it, closes it and checks
// that Close released every goroutine and file descriptor started since.
func withRuntime(s iostrat.Strategy, o iostrat.Options, f func(rt iostrat.Runtime) error) error {
	warmUpNet()
	ignore := goleak.IgnoreCurrent()
	before, err := openFDs()
	if err != nil {
		return err
	}
	rt, err := s.Start(o)
	if err != nil {
		return fmt.Errorf("strategy Start: %w", err)
	}
	if name := rt.Info().Name; name != s.Name() {
		rt.Close()
		return fmt.Errorf("Info().Name = %q, Strategy.Name() = %q", name, s.Name())
	}
	ferr := f(rt)
	if errors.Is(ferr, errHung) {
		return ferr // the runtime is still busy; closing it could hang too
	}
	if err := within("Close", rt.Close); err != nil {
		return errors.Join(ferr, fmt.Errorf("runtime Close: %w", err))
	}
	if err := goleak.Find(ignore); err != nil {
		return errors.Join(ferr, fmt.Errorf("goroutines left after Close: %w", err))
	}
	if err := sameFDs(before); err != nil {
		return errors.Join(ferr, err)
	}
	return ferr
}

// deltaOf runs f and returns the Stats counters it moved.
func deltaOf(rt iostrat.Runtime, f func() error) (iostrat.Stats, error) {
	before := rt.Stats()
	err := f()
	return rt.Stats().Sub(before), err
}

// movedAtLeast checks that at least one kept counter among cs moved by at
// least n: the strategy's own record that the work happened.
func movedAtLeast(d iostrat.Stats, n uint64, what string, cs ...iostrat.Counter) error {
	kept := false
	var best uint64
	for _, c := range cs {
		if v, ok := d.Get(c); ok {
			kept = true
			best = max(best, v)
		}
	}
	if !kept {
		return fmt.Errorf("%s: the runtime keeps none of the counters %v", what, cs)
	}
	if best < n {
		return fmt.Errorf("%s: counters %v moved by at most %d, want >= %d (%s)", what, cs, best, n, describe(d, cs))
	}
	return nil
}

func describe(d iostrat.Stats, cs []iostrat.Counter) string {
	s := ""
	for _, c := range cs {
		if v, ok := d.Get(c); ok {
			s += fmt.Sprintf(" %s=%d", c, v)
		}
	}
	return s
}

// Counters that record a unit of work being run, and a wake being delivered.
var (
	runCounters  = []iostrat.Counter{iostrat.TasksSpawned, iostrat.CallbacksRun, iostrat.CompletionsReaped}
	wakeCounters = []iostrat.Counter{iostrat.Wakes, iostrat.CallbacksRun, iostrat.CompletionsReaped}
)
