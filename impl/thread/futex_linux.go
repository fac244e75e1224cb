package thread

import (
	"math"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The futex operations used here, under their names in linux/futex.h
// (golang.org/x/sys/unix has the syscall number but not these).
const (
	_FUTEX_WAIT             = 0
	_FUTEX_WAKE             = 1
	_FUTEX_WAIT_BITSET      = 9
	_FUTEX_PRIVATE_FLAG     = 128
	_FUTEX_BITSET_MATCH_ANY = 0xffffffff

	// Private: the words are never shared with another process, so the
	// kernel keys them by address in this mm without taking a reference.
	futexWaitPrivate       = _FUTEX_WAIT | _FUTEX_PRIVATE_FLAG
	futexWakePrivate       = _FUTEX_WAKE | _FUTEX_PRIVATE_FLAG
	futexWaitBitsetPrivate = _FUTEX_WAIT_BITSET | _FUTEX_PRIVATE_FLAG
)

// futexWait (and the two below) count into c unless it is nil.
//
// futexWait blocks the calling thread in the kernel while *addr == val,
// until a FUTEX_WAKE on addr, a signal, or a spurious wake-up; callers
// re-check their word in a loop. It returns at once (EAGAIN) if *addr
// already differs from val, which is what makes a wake between the
// caller's check and the sleep impossible to lose.
//
// The call goes through unix.Syscall6, so the Go runtime knows the thread
// is in a system call: sysmon takes its P back if it stays there, and the
// thread must get a P again on the way out.
//
// Safety: addr points into a heap object (a Sema, Broadcast, Latch or
// Timer shared between threads, so it escaped): never into a goroutine
// stack, which may move while another thread names the address to the
// kernel. The conversion is in the call expression, as unsafe.Pointer's
// rule for syscalls requires.
func futexWait(addr *uint32, val uint32, c *Counters) {
	if c != nil {
		c.FutexWaits.Add(1)
	}
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWaitPrivate, uintptr(val), 0, 0, 0)
}

// futexWaitUntil is futexWait with an absolute CLOCK_MONOTONIC deadline
// (FUTEX_WAIT_BITSET takes an absolute time; plain FUTEX_WAIT a relative
// one). It reports whether the deadline passed.
//
// Safety: as futexWait; deadline is a heap copy, read by the kernel only
// during the call.
func futexWaitUntil(addr *uint32, val uint32, deadline *unix.Timespec, c *Counters) (timedOut bool) {
	if c != nil {
		c.FutexWaits.Add(1)
	}
	_, _, errno := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWaitBitsetPrivate, uintptr(val),
		uintptr(unsafe.Pointer(deadline)), 0, _FUTEX_BITSET_MATCH_ANY)
	return errno == unix.ETIMEDOUT
}

// futexWake wakes up to n threads blocked in futexWait on addr.
//
// Safety: as futexWait.
func futexWake(addr *uint32, n int, c *Counters) {
	if c != nil {
		c.FutexWakes.Add(1)
	}
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWakePrivate, uintptr(n), 0, 0, 0)
}

// wakeAll is the count that wakes every waiter.
const wakeAll = math.MaxInt32
