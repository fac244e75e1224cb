//go:build amd64 || arm64

package futures

// goroutineToken identifies the calling goroutine: two calls return the
// same value on the same goroutine and different values on goroutines that
// are alive at the same time. It is the address of the runtime's goroutine
// descriptor, read in assembly and used only for equality: Go's stand-in
// for the thread-local "current executor" a Rust executor keeps. It costs
// a call and one load, no atomic instruction.
//
// A descriptor is reused after its goroutine exits, so a token is only
// meaningful while its goroutine runs; an executor clears its owner token
// before its loop returns.
func goroutineToken() uintptr

// haveGoroutineToken: goroutineToken identifies goroutines here.
const haveGoroutineToken = true
