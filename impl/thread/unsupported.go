//go:build !linux

package thread

import (
	"errors"
	"fmt"
)

// ProcessLimits reports that the package needs Linux: its waits are
// futexes, its sockets Linux's blocking sockets, its limits read from
// /proc.
func ProcessLimits() (Limits, error) {
	return Limits{}, fmt.Errorf("thread: futex waits and blocking sockets need Linux: %w", errors.ErrUnsupported)
}
