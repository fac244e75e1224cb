package futures

import (
	"time"

	"iostrat/internal/timerheap"
)

// SleepFuture is ready once its deadline has passed. Its timer lives
// inside the future (the executor's heap points at it), so a SleepFuture
// must not be copied once polled. The timer holds a clone of the task's
// waker, which both wakes the task when due and keeps a pooled task cell
// from being reused while the heap still points into it.
//
//	state      timer       meaning
//	new        -           not polled yet; no deadline unless SleepUntil
//	armed      in heap     waiting; a re-poll refreshes the waker
//	done       -           fired (the executor popped it) or due at poll
type SleepFuture struct {
	delay    time.Duration
	deadline int64 // on timerheap.Now's clock; fixed when armed, or by SleepUntil
	exec     *Executor
	timer    timerheap.Timer[Waker]
	armed    bool
	fixed    bool // deadline given up front
}

// Sleep returns a future ready d after it is first polled: the timer is
// armed by the first poll, as futures do nothing until polled.
func Sleep(d time.Duration) SleepFuture { return SleepFuture{delay: d} }

// SleepUntil returns a future ready at t.
func SleepUntil(t time.Time) SleepFuture {
	return SleepFuture{deadline: timerheap.Now() + int64(time.Until(t)), fixed: true}
}

// sleepUntil returns a future ready at deadline on timerheap.Now's clock.
func sleepUntil(deadline int64) SleepFuture { return SleepFuture{deadline: deadline, fixed: true} }

// Poll implements Future.
func (s *SleepFuture) Poll(cx *Context) Poll[struct{}] {
	if !s.armed {
		e := cx.executor("Sleep")
		now := timerheap.Now()
		if !s.fixed {
			s.deadline = now + int64(s.delay)
		}
		s.armed = true
		if s.deadline <= now {
			return Ready(struct{}{})
		}
		s.exec = e
		s.timer.When = s.deadline
		s.timer.Value = cx.Waker().Clone()
		e.addTimer(&s.timer)
		return Pending[struct{}]()
	}
	if s.timer.Pending() {
		s.timer.Value.CloneFrom(cx.Waker())
		return Pending[struct{}]()
	}
	return Ready(struct{}{})
}

// Lateness returns how long after its deadline the sleep is being
// observed: call it when Poll has returned Ready.
func (s *SleepFuture) Lateness() time.Duration {
	return time.Duration(timerheap.Now() - s.deadline)
}

// Drop disarms a pending timer: the cancel of a sleep is dropping it.
func (s *SleepFuture) Drop() {
	if s.armed && s.exec != nil && s.exec.removeTimer(&s.timer) {
		s.timer.Value.Drop()
	}
}
