// Package epoll is the thin layer over Linux epoll and eventfd shared by
// the strategies that drive readiness themselves: the callback loop, the
// futures reactor and the emulated completion port. It adds only what all
// of them need: EINTR handled in one place, 64-bit event data (an index and
// a generation, never a Go pointer), and a coalescing eventfd for
// cross-thread wake-ups. Counting syscalls is the caller's job, because
// each strategy counts its own.
package epoll
