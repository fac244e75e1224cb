package thread_test

import (
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"iostrat/impl/thread"
)

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(watchdog); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("still not true after %v: %s", watchdog, what)
		}
	}
}

func threads(t *testing.T) int {
	t.Helper()
	n, err := thread.ProcessThreads()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func threadAlive(tid int) bool {
	_, err := os.Stat("/proc/self/task/" + strconv.Itoa(tid))
	return err == nil
}

// Every task runs on a thread of its own, and the thread ends with it:
// no two tasks share a thread id, and after the join none of their
// threads is left in /proc/self/task (but the main thread, which the Go
// runtime cannot end: it parks it for good instead).
func TestEachTaskItsOwnThread(t *testing.T) {
	const tasks = 100
	tids := make([]int, tasks)
	for i := range tasks { // one at a time, so the runtime could reuse a thread if it did
		var g thread.Group
		g.Go(func() { tids[i] = unix.Gettid() })
		g.Wait()
	}
	seen := map[int]bool{}
	for _, tid := range tids {
		if seen[tid] {
			t.Fatalf("thread %d ran two tasks: a thread was reused", tid)
		}
		seen[tid] = true
	}
	eventually(t, "every task's thread has exited", func() bool {
		for _, tid := range tids {
			if tid != unix.Getpid() && threadAlive(tid) {
				return false
			}
		}
		return true
	})
}

// The process's thread count grows by one per blocked task and comes
// back when they end: each thread was created for its task and destroyed
// with it, and the runtime cloned the replacements it needed.
func TestThreadCountBeforeDuringAfter(t *testing.T) {
	defer goleak.VerifyNone(t)
	const blocked = 64
	before := threads(t)
	var c thread.Counters
	release := &thread.Sema{}
	g := thread.Group{Counters: &c}
	var running sync.WaitGroup // the test's own bookkeeping, not a model wait
	running.Add(blocked)
	for range blocked {
		if err := g.Go(func() { running.Done(); release.Wait() }); err != nil {
			t.Fatal(err)
		}
	}
	running.Wait()
	eventually(t, "a thread per blocked task", func() bool { return threads(t) >= before+blocked })
	if n := thread.Running(); n != blocked {
		t.Errorf("Running() = %d with %d tasks blocked", n, blocked)
	}
	during := threads(t)
	for range blocked {
		release.Post()
	}
	g.Wait()
	slack := 4 // the runtime may keep a few idle threads of its own
	eventually(t, "the thread count back near where it was", func() bool { return threads(t) <= before+slack })
	t.Logf("threads: before %d, during %d, after %d", before, during, threads(t))
	if n := thread.Running(); n != 0 {
		t.Errorf("Running() = %d after the join", n)
	}
	if n := c.Threads.Load(); n != blocked {
		t.Errorf("Threads = %d, want %d", n, blocked)
	}
}

// A pinned task leaves the pinning on its thread, which ends with it:
// the caller's thread keeps the process's affinity.
func TestPinDiesWithThread(t *testing.T) {
	cpus, err := thread.AllowedCPUs()
	if err != nil {
		t.Fatal(err)
	}
	if len(cpus) < 2 {
		t.Skip("one CPU allowed: pinning changes nothing")
	}
	var g thread.Group
	var onCPU int
	g.Go(func() {
		if err := thread.Pin(cpus[1]); err != nil {
			t.Error(err)
		}
		var set unix.CPUSet
		unix.SchedGetaffinity(0, &set)
		onCPU = set.Count()
	})
	g.Wait()
	if onCPU != 1 {
		t.Errorf("a pinned task's thread may run on %d CPUs", onCPU)
	}
	after, _ := thread.AllowedCPUs()
	if len(after) != len(cpus) {
		t.Errorf("after the task the process may run on %v, before on %v", after, cpus)
	}
}
