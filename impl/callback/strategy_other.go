//go:build !linux

package callback

import (
	"errors"
	"fmt"

	"iostrat"
)

// start reports that the callback loops need Linux epoll.
func start(iostrat.Options) (iostrat.Runtime, error) {
	return nil, fmt.Errorf("callback: the event loop drives Linux epoll: %w", errors.ErrUnsupported)
}
