//go:build !cgo

package thread

// ThreadStack says what stack a thread of this package has. Without cgo
// the Go runtime clones its threads itself, each with a 16 KiB system
// stack (g0) from the Go heap, and the thread runs Go code on the
// goroutine's own stack (from 8 KiB, growing by copying).
const ThreadStack = "16 KiB g0 stack + goroutine stack from 8 KiB"
