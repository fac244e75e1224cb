//go:build !linux

package futures

import (
	"errors"
	"fmt"
	"time"
)

// The executor's reactor is built on epoll; elsewhere NewExecutor fails.
// Wakers, futures and combinators still compile and can be polled by hand.
type reactor struct{}

var errNoEpoll = fmt.Errorf("futures: the reactor needs Linux epoll: %w", errors.ErrUnsupported)

func newReactor(Park) (*reactor, error)        { return nil, errNoEpoll }
func (*reactor) active() bool                  { return false }
func (*reactor) wakeup() bool                  { return false }
func (*reactor) poll(*Executor, int) int       { return 0 }
func (*reactor) park(*Executor, time.Duration) {}
func (*reactor) close() error                  { return nil }
