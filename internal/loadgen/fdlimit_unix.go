//go:build unix

package loadgen

import (
	"fmt"
	"os"
	"syscall"
)

// RaiseFDLimit makes sure the process may open at least n file
// descriptors. It raises the soft RLIMIT_NOFILE up to the hard limit and,
// when running as root, the hard limit too (up to the kernel's
// fs.nr_open). It never lowers a limit. If the limit it got is still below
// n, the error says what it got.
func RaiseFDLimit(n int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("loadgen: getrlimit(RLIMIT_NOFILE): %w", err)
	}
	want := uint64(n)
	if lim.Cur >= want {
		return nil
	}
	raised := lim
	raised.Cur = min(want, lim.Max)
	var rootErr error
	if want > lim.Max && os.Geteuid() == 0 {
		raised.Cur, raised.Max = want, want
		if rootErr = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); rootErr == nil {
			return nil
		}
		raised = lim // fs.nr_open is below n: take what the hard limit allows
		raised.Cur = lim.Max
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
		return fmt.Errorf("loadgen: raising RLIMIT_NOFILE from %d to %d (hard limit %d): %w", lim.Cur, raised.Cur, lim.Max, err)
	}
	if raised.Cur < want {
		if rootErr != nil {
			return fmt.Errorf("loadgen: need %d file descriptors, got soft limit %d, hard limit %d; raising the hard limit failed: %w",
				n, raised.Cur, raised.Max, rootErr)
		}
		return fmt.Errorf("loadgen: need %d file descriptors, got soft limit %d, hard limit %d (raising the hard limit needs root)",
			n, raised.Cur, raised.Max)
	}
	return nil
}
