package goroutine

import "sync/atomic"

// Counters counts work done in the goroutine-per-task style. The zero value
// is ready to use; every field is safe for concurrent use and costs one
// atomic add to update. Several Servers, and the code around them, may count
// into one Counters (see [ServerConfig.Counters]).
//
// Code that starts goroutines in a loop should count them in a local
// variable and add the total once, so the count costs one atomic add per
// loop rather than one shared cache line per goroutine.
type Counters struct {
	// Tasks is the number of goroutines started: a Server adds one per
	// connection it serves.
	Tasks atomic.Uint64
	// Wakes is the number of wake-ups sent: a channel send or a broadcast
	// that a parked goroutine was waiting for. A Server adds none: its
	// connection goroutines are woken by the Go runtime's netpoller, which
	// it cannot see.
	Wakes atomic.Uint64
}
