package loadgen

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// A pacer puts an open-loop sender to sleep until its next intended send
// time. On Linux it waits on a timerfd through the runtime's netpoller: a
// Go timer shorter than a millisecond often sleeps a whole millisecond when
// the process is idle (the netpoller's wait is in milliseconds), which
// would add up to a millisecond of client delay to every latency measured
// at a light load; a timerfd wakes the goroutine within tens of
// microseconds and still parks it, burning no CPU.
type pacer struct {
	fd   int
	file *os.File // the timerfd, pollable: reads park the goroutine
	buf  [8]byte  // the expiration count a read returns
}

func newPacer() (*pacer, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("loadgen: timerfd_create: %w", err)
	}
	return &pacer{fd: fd, file: os.NewFile(uintptr(fd), "loadgen-pacer")}, nil
}

// sleep waits for d, which is positive.
func (p *pacer) sleep(d time.Duration) error {
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	if err := unix.TimerfdSettime(p.fd, 0, &spec, nil); err != nil {
		return fmt.Errorf("loadgen: timerfd_settime: %w", err)
	}
	if _, err := p.file.Read(p.buf[:]); err != nil {
		return fmt.Errorf("loadgen: reading timerfd: %w", err)
	}
	return nil
}

// abort makes a sleep in progress, and every later one, return an error at
// once. It may be called from any goroutine.
func (p *pacer) abort() { p.file.SetReadDeadline(aLongTimeAgo) }

// close releases the timerfd.
func (p *pacer) close() error { return p.file.Close() }
