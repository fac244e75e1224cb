//go:build !linux

package futures

import "iostrat"

// Start reports that the strategy needs Linux: the executor's reactor is
// built on epoll (unsupported.go).
func (Strategy) Start(iostrat.Options) (iostrat.Runtime, error) { return nil, errNoEpoll }
