package runner

import (
	"strings"
	"time"
)

// Splitting slow columns.
//
// Every leaf of a job makes the same number of calls, and that number is
// the time target divided by one pass over the job's leaves. A strategy
// whose calls cost hundreds of times the others' (thread: a task is an OS
// thread, 35 µs where a loop's is 50 ns) would then set the count for
// every column: a pass of Spawn is almost all thread, so the loops would
// make one to three calls per repetition instead of hundreds, and their
// intervals would widen for nothing. So a column that makes up slowShare
// of a job's pass (the others would make ten times the calls without it)
// gets a job of its own, and the others another.
const slowShare = 0.9

// SlowColumn returns the column whose calls make up at least slowShare
// of c's pass, or "" when there is none, or only one column.
func (c Calibration) SlowColumn() string {
	per := make(map[string]time.Duration)
	for i, d := range c.Calls {
		per[c.Impls[i]] += d
	}
	if len(per) < 2 {
		return ""
	}
	slow, most := "", time.Duration(0)
	for impl, d := range per {
		if d > most || (d == most && impl < slow) {
			slow, most = impl, d
		}
	}
	if slow == "" || float64(most) < slowShare*float64(c.pass()) {
		return ""
	}
	return slow
}

// Split returns j as two jobs: every column but col, then col alone.
func (j Job) Split(col string) []Job {
	rest, alone := j, j
	rest.Skip, alone.Only = []string{col}, []string{col}
	return []Job{rest, alone}
}

// implOf is the impl= value of a result name, "" without one.
func implOf(name string) string {
	parts := strings.Split(name, "/")
	for i, part := range parts {
		if v, ok := strings.CutPrefix(part, "impl="); ok {
			if i == len(parts)-1 { // the budget's "-N" suffix follows the last part
				v = ParseJobID(v).Base
			}
			return v
		}
	}
	return ""
}
