//go:build race

package proto

// raceEnabled: the race detector makes sync.Pool drop items at random, so
// allocation counts of pooled paths are not deterministic under it.
const raceEnabled = true
