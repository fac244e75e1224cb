//go:build !linux

package loadgen

import (
	"errors"
	"sync"
	"time"
)

// A pacer puts an open-loop sender to sleep until its next intended send
// time. Outside Linux it is a Go timer, which may oversleep by up to a
// millisecond when the process is idle; that lateness is measured and
// counted in the latencies like any other.
type pacer struct {
	timer     *time.Timer
	aborted   chan struct{}
	abortOnce sync.Once
}

func newPacer() (*pacer, error) {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &pacer{timer: t, aborted: make(chan struct{})}, nil
}

var errPacerAborted = errors.New("loadgen: pacer aborted")

// sleep waits for d, which is positive.
func (p *pacer) sleep(d time.Duration) error {
	p.timer.Reset(d)
	select {
	case <-p.timer.C:
		return nil
	case <-p.aborted:
		p.timer.Stop()
		return errPacerAborted
	}
}

// abort makes a sleep in progress, and every later one, return an error at
// once. It may be called from any goroutine.
func (p *pacer) abort() { p.abortOnce.Do(func() { close(p.aborted) }) }

// close releases the timer.
func (p *pacer) close() error {
	p.timer.Stop()
	return nil
}
