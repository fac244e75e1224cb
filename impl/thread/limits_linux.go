package thread

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// defaultGoMaxThreads is the Go runtime's default thread limit.
const defaultGoMaxThreads = 10_000

var (
	limitsOnce sync.Once
	limits     Limits
	limitsErr  error

	running atomic.Int64 // threads started by this package and not yet ended
)

// ProcessLimits returns the limits, reading them (and raising the Go
// runtime's thread limit) on first use.
func ProcessLimits() (Limits, error) {
	limitsOnce.Do(func() { limits, limitsErr = readLimits() })
	return limits, limitsErr
}

func readLimits() (Limits, error) {
	var l Limits
	var err error
	if l.ThreadsMax, err = readIntFile("/proc/sys/kernel/threads-max"); err != nil {
		return l, err
	}
	if l.PidMax, err = readIntFile("/proc/sys/kernel/pid_max"); err != nil {
		return l, err
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NPROC, &rl); err != nil {
		return l, fmt.Errorf("thread: RLIMIT_NPROC: %w", err)
	}
	l.Nproc = -1
	if rl.Cur != unix.RLIM_INFINITY {
		l.Nproc = int(min(rl.Cur, 1<<31))
	}
	smallest, from := l.ThreadsMax, "threads-max"
	if l.PidMax < smallest {
		smallest, from = l.PidMax, "pid_max"
	}
	if l.Nproc >= 0 && l.Nproc < smallest {
		smallest, from = l.Nproc, "RLIMIT_NPROC"
	}
	l.Cap, l.CapFrom = smallest/2, fmt.Sprintf("%s %d", from, smallest)
	want := l.Cap + defaultGoMaxThreads
	if old := debug.SetMaxThreads(want); old > want {
		debug.SetMaxThreads(old)
		want = old
	}
	l.GoMaxThreads = want
	return l, nil
}

func readIntFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("thread: %w", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("thread: %s: %w", path, err)
	}
	return n, nil
}

// Running returns the number of threads this package has started that
// have not yet ended their task.
func Running() int { return int(running.Load()) }

// CheckRoom returns a [LimitError] if n more threads would exceed the
// cap now. It reserves nothing: a workload calls it to refuse up front
// what it could not finish.
func CheckRoom(n int) error {
	l, err := ProcessLimits()
	if err != nil {
		return err
	}
	if r := running.Load(); r+int64(n) > int64(l.Cap) {
		return &LimitError{Asked: n, Running: int(r), Cap: l.Cap, From: l.CapFrom}
	}
	return nil
}

// reserve takes n slots under the cap, or returns a LimitError.
func reserve(n int) error {
	l, err := ProcessLimits()
	if err != nil {
		return err
	}
	for {
		r := running.Load()
		if r+int64(n) > int64(l.Cap) {
			return &LimitError{Asked: n, Running: int(r), Cap: l.Cap, From: l.CapFrom}
		}
		if running.CompareAndSwap(r, r+int64(n)) {
			return nil
		}
	}
}

// release gives back n slots.
func release(n int) { running.Add(-int64(n)) }

// ProcessThreads returns the number of threads the process has now, from
// the Threads: line of /proc/self/status: the Go runtime's threads and
// this package's alike.
func ProcessThreads() (int, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("thread: %w", err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, errors.New("thread: no Threads: line in /proc/self/status")
}
