package iostrat

import (
	"errors"
	"fmt"
)

// ErrClosed is returned by every method of a [Runtime] or [Service] used
// after its Close.
var ErrClosed = errors.New("iostrat: use of closed runtime")

// Unsupported returns an error saying a strategy cannot run a workload or
// variant, with the reason. It wraps [errors.ErrUnsupported], so callers test
// it with errors.Is; benchmarks report such a cell as n/a and never fake it.
func Unsupported(format string, args ...any) error {
	return &unsupportedError{msg: fmt.Sprintf(format, args...)}
}

type unsupportedError struct{ msg string }

func (e *unsupportedError) Error() string { return "unsupported: " + e.msg }
func (e *unsupportedError) Unwrap() error { return errors.ErrUnsupported }
