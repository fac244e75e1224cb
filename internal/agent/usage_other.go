//go:build !linux

package agent

import (
	"errors"
	"fmt"
	"time"
)

var errUnsupported = fmt.Errorf("agent: measuring a server is implemented for Linux only: %w", errors.ErrUnsupported)

// processCPU returns the CPU time the whole process has used.
func processCPU() (time.Duration, error) { return 0, errUnsupported }

// residentBytes returns the process's resident set size.
func residentBytes() (int64, error) { return 0, errUnsupported }
