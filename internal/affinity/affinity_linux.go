// Package affinity places processes on CPUs and reads back where they
// actually are. It sits below the benchmarks and the load generator: the
// bench harness pins the measured process to its CPU budget and the client
// processes to the CPUs left over, and every result line reports what
// [Observe] read back, so a published sentence about placement is a
// reading, not a plan.
//
// CPU affinity is per thread in Linux. A new thread inherits its
// creator's mask, so pinning every thread that exists pins the process —
// provided no thread is created from an unpinned one meanwhile, which
// [Pin] handles by pinning until the thread list stops changing. The Go
// runtime creates threads at any time (a locked goroutine's new M is
// cloned from the template thread), which is why Observe reads every
// thread's mask rather than the caller's.
package affinity

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// A Set is a set of CPU numbers, sorted, without repeats.
type Set []int

// maxCPU bounds the CPU numbers a unix.CPUSet holds.
const maxCPU = len(unix.CPUSet{}) * 64

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

// Len is the number of CPUs in s.
func (s Set) Len() int { return len(s) }

// Contains reports whether cpu is in s.
func (s Set) Contains(cpu int) bool {
	_, found := slices.BinarySearch(s, cpu)
	return found
}

// Intersect returns the CPUs in both s and o.
func (s Set) Intersect(o Set) Set {
	var r Set
	for _, cpu := range s {
		if o.Contains(cpu) {
			r = append(r, cpu)
		}
	}
	return r
}

// Without returns the CPUs of s not in o.
func (s Set) Without(o Set) Set {
	var r Set
	for _, cpu := range s {
		if !o.Contains(cpu) {
			r = append(r, cpu)
		}
	}
	return r
}

// String formats s as the kernel's CPU lists do: "0-3,6".
func (s Set) String() string {
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] == s[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if j == i {
			fmt.Fprintf(&b, "%d", s[i])
		} else {
			fmt.Fprintf(&b, "%d-%d", s[i], s[j])
		}
		i = j + 1
	}
	return b.String()
}

// Parse reads a CPU list as String writes it.
func Parse(list string) (Set, error) {
	var m unix.CPUSet
	if strings.TrimSpace(list) == "" {
		return nil, errors.New("affinity: empty CPU list")
	}
	for part := range strings.SplitSeq(list, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a || b >= maxCPU {
			return nil, fmt.Errorf("affinity: bad CPU list %q", list)
		}
		for cpu := a; cpu <= b; cpu++ {
			m.Set(cpu)
		}
	}
	return fromMask(&m), nil
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

// A Placement is where a process was observed to run.
type Placement struct {
	CPUs       Set // Observe's union of thread affinities
	GOMAXPROCS int
}

// ObservePlacement reads the process's placement back.
func ObservePlacement() (Placement, error) {
	cpus, err := Observe()
	return Placement{CPUs: cpus, GOMAXPROCS: runtime.GOMAXPROCS(0)}, err
}

// Env is the environment variable through which a parent process tells a
// child which CPUs to run on: a CPU list as [Set.String] writes it.
const Env = "IOSTRAT_CPUS"

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
