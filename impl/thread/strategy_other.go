//go:build !linux

package thread

import "iostrat"

// Start reports errors.ErrUnsupported: the strategy needs Linux.
func (Strategy) Start(iostrat.Options) (iostrat.Runtime, error) {
	_, err := ProcessLimits()
	return nil, err
}
