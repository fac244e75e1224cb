//go:build cgo

package thread

// ThreadStack says what stack a thread of this package has. With cgo
// (which the net package links on Linux), the Go runtime creates its
// threads with pthread_create and default attributes: glibc reserves a
// stack of the soft RLIMIT_STACK (8 MiB by default) per thread, committed
// only as touched, and the thread runs Go code on the goroutine's own
// stack (from 8 KiB, growing by copying).
const ThreadStack = "pthread stack of RLIMIT_STACK reserved (committed as touched) + goroutine stack from 8 KiB"
