package iostrattest

import (
	"errors"
	"fmt"
	"time"

	"iostrat"
)

func timerChecks() []Check {
	return []Check{
		{"timers-fire", checkTimersFire},
		{"timers-cancel", checkTimersCancel},
		{"timers-mixed", checkTimersMixed},
		{"timers-own-deadline", checkTimersOwnDeadline},
	}
}

// Slow arming for checkTimersOwnDeadline: each OnArm call takes armDelay,
// so timer i is armed at least (i+1)·armDelay after the call starts, and
// its deadline is that plus its delay, (i+1)·ownHorizon/ownTimers.
const (
	ownTimers  = 10
	armDelay   = 10 * time.Millisecond
	ownHorizon = 100 * time.Millisecond
)

// checkTimersOwnDeadline arms timers slowly. Every timer's deadline is its
// own arming plus its delay, so the call cannot return before the last
// timer's arming plus the last delay (about 200 ms with the constants above). A runtime that
// dates every deadline from one clock read taken before arming fires the
// later timers as soon as arming ends (about 100 ms), too early by
// the time spent arming; no timing noise can make it look right, since
// noise only makes timers later.
func checkTimersOwnDeadline(s iostrat.Strategy) error {
	return withRuntime(s, iostrat.Options{}, func(rt iostrat.Runtime) error {
		armed := make([]time.Time, ownTimers)
		spec := iostrat.TimerSpec{
			Count: ownTimers, Horizon: ownHorizon, Lateness: make([]time.Duration, ownTimers),
			OnArm: func(i int) {
				time.Sleep(armDelay)
				armed[i] = time.Now() // before the arming: a lower bound on it
			},
		}
		res, err := runTimers(rt, spec)
		returned := time.Now()
		if err != nil {
			return err
		}
		if res.Fired != ownTimers {
			return fmt.Errorf("slow arming: Timers = %+v, want %d fired", res, ownTimers)
		}
		for i, at := range armed {
			if at.IsZero() {
				return fmt.Errorf("OnArm was not called for timer %d", i)
			}
			if earliest := at.Add(spec.Delay(i)); returned.Before(earliest) {
				return fmt.Errorf("slow arming: Timers returned %v before timer %d could fire: its deadline is its own arming plus %v, not one clock read before arming all", earliest.Sub(returned), i, spec.Delay(i))
			}
		}
		return nil
	})
}

// checkTimersFire arms timers over a short horizon: all must fire, none
// before its deadline.
func checkTimersFire(s iostrat.Strategy) error {
	return withRuntime(s, iostrat.Options{}, func(rt iostrat.Runtime) error {
		for _, n := range []int{1, 5000} {
			late := make([]time.Duration, n)
			spec := iostrat.TimerSpec{Count: n, Horizon: 30 * time.Millisecond, Lateness: late}
			res, err := runTimers(rt, spec)
			if err != nil {
				return err
			}
			if res.Fired != n || res.Cancelled != 0 {
				return fmt.Errorf("Timers(%d, no cancels) = %+v, want all fired", n, res)
			}
			for i, l := range late {
				if l <= 0 {
					return fmt.Errorf("timer %d of %d fired %v before its deadline (or never recorded)", i, n, -l)
				}
			}
		}
		return nil
	})
}

// checkTimersCancel arms timers hours out and cancels them all: none may
// fire, and the call returns once all are cancelled.
func checkTimersCancel(s iostrat.Strategy) error {
	return withRuntime(s, iostrat.Options{}, func(rt iostrat.Runtime) error {
		const n = 5000
		late := make([]time.Duration, n)
		// The first deadline is an hour out: none can fire before the
		// cancels, however slow the machine.
		res, err := runTimers(rt, iostrat.TimerSpec{Count: n, Horizon: n * time.Hour, CancelEvery: 1, Lateness: late})
		if err != nil {
			return err
		}
		if res.Cancelled != n || res.Fired != 0 {
			return fmt.Errorf("Timers(%d, all cancelled, 1h) = %+v, want all cancelled", n, res)
		}
		for i, l := range late {
			if l != 0 {
				return fmt.Errorf("cancelled timer %d recorded lateness %v", i, l)
			}
		}
		return nil
	})
}

// checkTimersMixed cancels every third timer of a short horizon. A cancel
// may lose the race with its timer, but the others must all fire and the
// books must balance.
func checkTimersMixed(s iostrat.Strategy) error {
	return withRuntime(s, iostrat.Options{}, func(rt iostrat.Runtime) error {
		const n = 3000
		late := make([]time.Duration, n)
		spec := iostrat.TimerSpec{Count: n, Horizon: 50 * time.Millisecond, CancelEvery: 3, Lateness: late}
		res, err := runTimers(rt, spec)
		if err != nil {
			return err
		}
		if res.Fired+res.Cancelled != n {
			return fmt.Errorf("result of Timers = %+v: fired+cancelled != %d", res, n)
		}
		fired := 0
		for i, l := range late {
			if i%3 != 0 && l <= 0 {
				return fmt.Errorf("uncancelled timer %d did not fire (lateness %v)", i, l)
			}
			if l > 0 {
				fired++
			}
		}
		if fired != res.Fired {
			return fmt.Errorf("%d timers recorded lateness, result says %d fired", fired, res.Fired)
		}
		if _, err := rt.Timers(iostrat.TimerSpec{Count: 2, Lateness: make([]time.Duration, 1)}); err == nil {
			return errors.New("calling Timers with 1 lateness slot for 2 timers returned no error")
		}
		return nil
	})
}

func runTimers(rt iostrat.Runtime, spec iostrat.TimerSpec) (iostrat.TimerResult, error) {
	var res iostrat.TimerResult
	what := fmt.Sprintf("Timers(%d over %v, cancel every %d)", spec.Count, spec.Horizon, spec.CancelEvery)
	d, err := deltaOf(rt, func() error {
		return within(what, func() (err error) {
			res, err = rt.Timers(spec)
			return err
		})
	})
	if err != nil {
		return res, err
	}
	if res.Fired > 0 {
		cs := append([]iostrat.Counter{iostrat.Wakes}, runCounters...)
		if err := movedAtLeast(d, uint64(res.Fired), what, cs...); err != nil {
			return res, err
		}
	}
	return res, nil
}
