//go:build !linux

package affinity

import (
	"errors"
	"fmt"
	"os"
)

var errUnsupported = fmt.Errorf("affinity: CPU placement is implemented for Linux only: %w", errors.ErrUnsupported)

// Self returns the calling thread's affinity.
func Self() (Set, error) { return nil, errUnsupported }

// Pin binds every thread of the process to the CPUs in s.
func Pin(Set) error { return errUnsupported }

// Observe returns the CPUs the process may run on.
func Observe() (Set, error) { return nil, errUnsupported }

// ObservePlacement reads the process's placement back.
func ObservePlacement() (Placement, error) { return Placement{}, errUnsupported }

// PinFromEnv pins the process to the CPUs named by [Env]; without Env it
// does nothing.
func PinFromEnv() error {
	if os.Getenv(Env) == "" {
		return nil
	}
	return errUnsupported
}
