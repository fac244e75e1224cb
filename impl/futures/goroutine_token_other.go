//go:build !amd64 && !arm64

package futures

// goroutineToken returns 0 where no goroutine identity is available: no
// goroutine is ever the owner of an executor, and every wake takes the
// cross-thread path (correct, slower).
func goroutineToken() uintptr { return 0 }

// haveGoroutineToken: goroutineToken cannot tell goroutines apart here.
const haveGoroutineToken = false
