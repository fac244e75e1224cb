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
	"slices"
	"strconv"
	"strings"
)

// A Set is a set of CPU numbers, sorted, without repeats.
type Set []int

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

// maxCPU bounds the CPU numbers a Set may hold (a Linux cpu_set_t).
const maxCPU = 1024

// Parse reads a CPU list as String writes it.
func Parse(list string) (Set, error) {
	if strings.TrimSpace(list) == "" {
		return nil, errors.New("affinity: empty CPU list")
	}
	var in [maxCPU]bool
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
			in[cpu] = true
		}
	}
	var s Set
	for cpu, ok := range in {
		if ok {
			s = append(s, cpu)
		}
	}
	return s, nil
}

// A Placement is where a process was observed to run.
type Placement struct {
	CPUs       Set // Observe's union of thread affinities
	GOMAXPROCS int
}

// Env is the environment variable through which a parent process tells a
// child which CPUs to run on: a CPU list as [Set.String] writes it.
const Env = "IOSTRAT_CPUS"
