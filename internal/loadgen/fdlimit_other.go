//go:build !unix

package loadgen

import (
	"errors"
	"fmt"
)

// RaiseFDLimit makes sure the process may open at least n file
// descriptors. Outside Unix there is no RLIMIT_NOFILE to raise.
func RaiseFDLimit(n int) error {
	return fmt.Errorf("loadgen: raising the file descriptor limit to %d: %w", n, errors.ErrUnsupported)
}
