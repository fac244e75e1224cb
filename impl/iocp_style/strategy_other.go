//go:build !linux

package iocpstyle

import "iostrat"

// Start reports errors.ErrUnsupported: both backends need Linux.
func (s Strategy) Start(iostrat.Options) (iostrat.Runtime, error) { return nil, errNeedsLinux }
