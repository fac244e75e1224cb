//go:build race

package loadgen

// raceEnabled: the race detector limits a process to 8128 live goroutines
// and makes sync.Pool drop items at random, so the idle test holds fewer
// connections and allocation counts of pooled paths are not checked.
const raceEnabled = true
