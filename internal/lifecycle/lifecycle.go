// Package lifecycle is the part of a strategy's adapter every strategy
// shares: the closed flag, the services the runtime serves, and the order
// in which Close takes them down.
//
// An adapter embeds a Lifecycle in its runtime type, calls Check at the
// top of every workload, Add when Serve starts a service, and Close from
// its own Close with the function that stops its library (loops,
// executors, rings):
//
//	func (rt *strategyRuntime) Close() error {
//		return rt.life.Close(rt.stopLoops)
//	}
//
// Close order is the same in every strategy: new calls fail with
// iostrat.ErrClosed, then every service is closed (each drains within
// iostrat.DrainTimeout), then the library is stopped.
package lifecycle

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"iostrat"
)

// Lifecycle is a runtime's closed flag and service set. The zero value is
// ready to use.
type Lifecycle struct {
	closed atomic.Bool
	once   sync.Once
	err    error

	mu       sync.Mutex
	services map[io.Closer]struct{}
}

// Check returns iostrat.ErrClosed once Close has begun, else nil.
func (l *Lifecycle) Check() error {
	if l.closed.Load() {
		return iostrat.ErrClosed
	}
	return nil
}

// Add registers a service that Close will close. If Close has begun, Add
// closes s itself and returns iostrat.ErrClosed, so nothing outlives the
// runtime.
func (l *Lifecycle) Add(s io.Closer) error {
	l.mu.Lock()
	if l.closed.Load() {
		l.mu.Unlock()
		s.Close()
		return iostrat.ErrClosed
	}
	if l.services == nil {
		l.services = make(map[io.Closer]struct{})
	}
	l.services[s] = struct{}{}
	l.mu.Unlock()
	return nil
}

// Remove forgets s: a service its user closed before the runtime.
func (l *Lifecycle) Remove(s io.Closer) {
	l.mu.Lock()
	delete(l.services, s)
	l.mu.Unlock()
}

// Close sets the closed flag, closes every registered service, then calls
// stop (nil if there is nothing to stop) and returns every error joined.
// Only the first call does this; later calls return the same error.
func (l *Lifecycle) Close(stop func() error) error {
	l.once.Do(func() {
		l.mu.Lock()
		l.closed.Store(true)
		svcs := make([]io.Closer, 0, len(l.services))
		for s := range l.services {
			svcs = append(svcs, s)
		}
		l.services = nil
		l.mu.Unlock()
		var errs []error
		for _, s := range svcs {
			errs = append(errs, s.Close())
		}
		if stop != nil {
			errs = append(errs, stop())
		}
		l.err = errors.Join(errs...)
	})
	return l.err
}
