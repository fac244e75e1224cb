package affinity

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

func fromMask(m *unix.CPUSet) Set {
	var s Set
	for cpu := range maxCPU {
		if m.IsSet(cpu) {
			s = append(s, cpu)
		}
	}
	return s
}

func (s Set) mask() *unix.CPUSet {
	var m unix.CPUSet
	for _, cpu := range s {
		m.Set(cpu)
	}
	return &m
}

// Self returns the calling thread's affinity.
func Self() (Set, error) {
	var m unix.CPUSet
	if err := unix.SchedGetaffinity(0, &m); err != nil {
		return nil, fmt.Errorf("affinity: sched_getaffinity: %w", err)
	}
	return fromMask(&m), nil
}

// threads lists the thread ids of this process.
func threads() ([]int, error) {
	entries, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, fmt.Errorf("affinity: %w", err)
	}
	tids := make([]int, 0, len(entries))
	for _, e := range entries {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}

// Pin binds every thread of the process to the CPUs in s. It pins until
// a pass finds no thread it had not pinned before, so a thread cloned
// from an unpinned one during the first pass is caught by the next.
func Pin(s Set) error {
	if len(s) == 0 {
		return errors.New("affinity: pinning to no CPU")
	}
	m := s.mask()
	pinned := make(map[int]bool)
	for {
		tids, err := threads()
		if err != nil {
			return err
		}
		fresh := false
		for _, tid := range tids {
			if pinned[tid] {
				continue
			}
			fresh = true
			// ESRCH: the thread ended after the directory was read.
			if err := unix.SchedSetaffinity(tid, m); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("affinity: pinning thread %d to CPUs %s: %w", tid, s, err)
			}
			pinned[tid] = true
		}
		if !fresh {
			return nil
		}
	}
}

// Observe returns the union of the affinities of every thread of the
// process: the CPUs it may run on, as the kernel sees it now.
func Observe() (Set, error) {
	tids, err := threads()
	if err != nil {
		return nil, err
	}
	var union unix.CPUSet
	for _, tid := range tids {
		var m unix.CPUSet
		if err := unix.SchedGetaffinity(tid, &m); err != nil {
			if errors.Is(err, unix.ESRCH) {
				continue
			}
			return nil, fmt.Errorf("affinity: sched_getaffinity(%d): %w", tid, err)
		}
		for i := range union {
			union[i] |= m[i]
		}
	}
	return fromMask(&union), nil
}

// ObservePlacement reads the process's placement back.
func ObservePlacement() (Placement, error) {
	cpus, err := Observe()
	return Placement{CPUs: cpus, GOMAXPROCS: runtime.GOMAXPROCS(0)}, err
}

// PinFromEnv, in a child process, pins the process to the CPUs named by
// [Env] and sets GOMAXPROCS to their number. Without Env it does nothing.
func PinFromEnv() error {
	list := os.Getenv(Env)
	if list == "" {
		return nil
	}
	s, err := Parse(list)
	if err != nil {
		return err
	}
	if err := Pin(s); err != nil {
		return err
	}
	runtime.GOMAXPROCS(len(s))
	return nil
}
