package thread

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// A Group starts tasks, each on its own OS thread, and joins them: what
// pthread_create and pthread_join are to a C program. Its join is a
// [Latch], so a thread waiting for the group blocks in the kernel.
//
// The zero value is ready to use. A Group must not be copied after first
// use.
type Group struct {
	// Counters, if not nil, receives the threads started and the futex
	// calls of the join.
	Counters *Counters

	latch Latch
}

// Go runs fn on a new OS thread and returns at once; Wait returns once fn
// and every other task of the group has returned. It returns an error
// wrapping [ErrThreadLimit] (and errors.ErrUnsupported) instead if the
// process already runs [Limits.Cap] threads started by this package.
//
// A task is a goroutine that locks itself to the thread it starts on
// (runtime.LockOSThread) and returns without unlocking it, so the Go
// runtime ends that thread with it (see the package doc for what the
// runtime does). Nothing else ever runs on the thread, so a task may
// change per-thread state (CPU affinity, with [Pin]) that dies with it.
func (g *Group) Go(fn func()) error {
	if err := reserve(1); err != nil {
		return err
	}
	g.latch.add(1, g.Counters)
	if g.Counters != nil {
		g.Counters.Threads.Add(1)
	}
	go g.run(fn)
	return nil
}

// Wait blocks the calling thread until every task started by Go has
// returned. It does not wait for the threads themselves to finish exiting:
// the runtime ends each one after its task's last instruction, on that
// thread, in parallel with whatever runs next.
func (g *Group) Wait() { g.latch.wait(g.Counters) }

// run is the body of every thread this package starts. The thread's slot
// under the cap is given back before the join is signalled, so a caller
// that joined its tasks can start as many again.
func (g *Group) run(fn func()) {
	runtime.LockOSThread()
	fn()
	release(1)
	g.latch.add(-1, g.Counters)
	// Return still locked: the runtime ends this thread. (If it is the
	// main thread, which cannot end, the runtime parks it for good
	// instead, and it never runs Go code again.)
}

// Pin binds the calling thread to cpu (sched_setaffinity). Call it only
// from a task started by [Group.Go]: the binding ends with the task's
// thread, and on any other goroutine it would outlive the call.
func Pin(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	return unix.SchedSetaffinity(0, &set)
}

// AllowedCPUs returns the CPUs this process may run on, in increasing
// order (sched_getaffinity).
func AllowedCPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, err
	}
	var cpus []int
	for cpu := 0; len(cpus) < set.Count(); cpu++ {
		if set.IsSet(cpu) {
			cpus = append(cpus, cpu)
		}
	}
	return cpus, nil
}

// Yield gives up the CPU with sched_yield: the kernel runs another
// runnable thread on this CPU, if it has one, before this one continues.
// The call never blocks, so it is made as a raw system call, as the Go
// runtime makes its own: the thread keeps its P throughout.
func Yield(c *Counters) {
	if c != nil {
		c.Yields.Add(1)
	}
	unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
}
