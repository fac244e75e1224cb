//go:build linux

package twohost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A delay line is the delay subtest's link on a kernel without netem: a
// second point-to-point link between the two namespaces, made of a TUN
// device in each, whose packets this process carries from one device to
// the other, holding those the client sends for the line's delay, as
// netem on the client's end of the veth would. Its own cost (reading and
// writing each packet in this process, a hand-off between goroutines for
// the held ones) is in every round trip over it, which is why the
// subtest measures the line without a delay first.
const (
	lineIf       = "delay0" // the TUN device's name, in both namespaces
	lineServerIP = "10.201.0.1"
	lineClientIP = "10.201.0.2"
	lineQueue    = 4096  // packets held at once before the reader waits
	lineMTU      = 65536 // read buffer: larger than any packet of a TUN device without offloads
)

// A delayLine carries packets between two TUN devices; close stops it.
type delayLine struct {
	devs  []*os.File
	delay atomic.Int64 // nanoseconds the client's packets are held
	wg    sync.WaitGroup

	// The client's packets since the last setDelay, and the nanoseconds
	// they were held, from their read to the end of their write.
	held, heldNanos, heldMax atomic.Int64
}

// newDelayLine makes the line, with no delay, and starts carrying
// packets. Its close is a cleanup, which removes both devices (a TUN
// device that is not persistent goes with its file).
func newDelayLine(t *testing.T, ctx context.Context, server, client namespace) (*delayLine, error) {
	l := &delayLine{}
	t.Cleanup(l.close)
	for _, ns := range []namespace{server, client} {
		dev, err := openTUN(ns, lineIf)
		if err != nil {
			return nil, err
		}
		l.devs = append(l.devs, dev)
	}
	for _, step := range []struct {
		ns          namespace
		local, peer string
	}{{server, lineServerIP, lineClientIP}, {client, lineClientIP, lineServerIP}} {
		if _, err := step.ns.ipIn(ctx, "addr", "add", step.local+"/32", "peer", step.peer+"/32", "dev", lineIf); err != nil {
			return nil, err
		}
		if _, err := step.ns.ipIn(ctx, "link", "set", lineIf, "up"); err != nil {
			return nil, err
		}
	}
	l.hold(l.devs[1], l.devs[0]) // client to server: held for the delay
	l.pass(l.devs[0], l.devs[1]) // server to client: at once
	return l, nil
}

// setDelay sets how long the client's packets are held from now on.
func (l *delayLine) setDelay(d time.Duration) {
	l.delay.Store(d.Nanoseconds())
	l.held.Store(0)
	l.heldNanos.Store(0)
	l.heldMax.Store(0)
}

// heldStats describes how long the client's packets were held since the
// last setDelay: how many, the mean and the longest.
func (l *delayLine) heldStats() string {
	n := l.held.Load()
	if n == 0 {
		return "no packets"
	}
	mean := time.Duration(l.heldNanos.Load() / n)
	return fmt.Sprintf("%d packets, held %v on average, %v at most", n, mean.Round(time.Microsecond), time.Duration(l.heldMax.Load()).Round(time.Microsecond))
}

// pass moves every packet read from one device to the other at once.
func (l *delayLine) pass(from, to *os.File) {
	l.wg.Go(func() {
		buf := make([]byte, lineMTU)
		for {
			n, err := from.Read(buf)
			if err != nil {
				return // closed
			}
			to.Write(buf[:n]) // a packet that cannot be delivered is lost, as on a wire
		}
	})
}

// hold moves every packet read from one device to the other, the line's
// delay after it was read, in order. The reader hands each packet to a
// writer that waits for its time, so that the packets of a burst are held
// from their own arrival, not one after another.
func (l *delayLine) hold(from, to *os.File) {
	type packet struct {
		read, due time.Time
		data      []byte
	}
	queue := make(chan packet, lineQueue)
	l.wg.Go(func() {
		defer close(queue)
		buf := make([]byte, lineMTU)
		for {
			n, err := from.Read(buf)
			if err != nil {
				return // closed
			}
			now := time.Now()
			queue <- packet{now, now.Add(time.Duration(l.delay.Load())), bytes.Clone(buf[:n])}
		}
	})
	l.wg.Go(func() {
		for p := range queue {
			if wait := time.Until(p.due); wait > 0 {
				sleepPrecisely(wait)
			}
			to.Write(p.data) // as in pass
			d := time.Since(p.read).Nanoseconds()
			l.held.Add(1)
			l.heldNanos.Add(d)
			if d > l.heldMax.Load() {
				l.heldMax.Store(d) // this goroutine is the only writer
			}
		}
	})
}

// sleepPrecisely sleeps for d on the kernel's high-resolution timer, in
// a blocking nanosleep. time.Sleep would wake through the netpoller,
// whose epoll timeout counts whole milliseconds (runtime/netpoll_epoll.go),
// and add a good part of a millisecond to a 1 ms delay.
func sleepPrecisely(d time.Duration) {
	ts := unix.NsecToTimespec(d.Nanoseconds())
	for unix.Nanosleep(&ts, &ts) == unix.EINTR {
	}
}

func (l *delayLine) close() {
	for _, dev := range l.devs {
		dev.Close()
	}
	l.wg.Wait()
}

// openTUN creates a TUN device named name inside ns and returns its file,
// in non-blocking mode so that reads wait in the Go netpoller and Close
// ends them. The device is made in the namespace of the thread that opens
// /dev/net/tun, so a goroutine locked to its thread enters ns for that
// and leaves; if it cannot leave, the thread stays locked and ends with
// the goroutine, so that no other goroutine ever runs in ns.
func openTUN(ns namespace, name string) (*os.File, error) {
	type result struct {
		dev *os.File
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{nil, err}
			return
		}
		defer home.Close()
		target, err := os.Open(filepath.Join("/run/netns", ns.name))
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{nil, err}
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			done <- result{nil, fmt.Errorf("entering %s: %w", ns.name, err)}
			return
		}
		dev, err := tunHere(name)
		if backErr := unix.Setns(int(home.Fd()), unix.CLONE_NEWNET); backErr != nil {
			done <- result{dev, errors.Join(err, fmt.Errorf("leaving %s: %w", ns.name, backErr))}
			return // still locked: the thread ends with this goroutine
		}
		runtime.UnlockOSThread()
		done <- result{dev, err}
	}()
	r := <-done
	if r.err != nil && r.dev != nil {
		r.dev.Close()
		r.dev = nil
	}
	return r.dev, r.err
}

// tunHere creates a TUN device (IP packets, no packet information header)
// in the calling thread's network namespace.
func tunHere(name string) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("opening /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err == nil {
		ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
		err = unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr)
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("creating TUN device %s: %w", name, err)
	}
	return os.NewFile(uintptr(fd), "/dev/net/tun:"+name), nil
}
