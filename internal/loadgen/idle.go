package loadgen

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"iostrat/internal/affinity"
)

// idleDialers is how many connections HoldIdle dials at once: enough to
// be quick, few enough that the server's listen backlog never overflows
// while it accepts (an overflowing backlog drops SYNs, and each dropped
// one costs its dial a second's retransmission or more).
const idleDialers = 64

// idleTimeout bounds each connection's dial and first round trip.
const idleTimeout = 10 * time.Second

// Idle is a set of open connections to an echo server that do nothing:
// they measure what a connection costs a server while it waits.
// Anchor: the C10K and one-million-connection write-ups.
type Idle struct {
	addr  string
	conns []net.Conn
	once  sync.Once
}

// HoldIdle opens n connections to the echo server at addr, makes one 1-byte
// round trip on each, so the server has accepted and registered every one
// of them, and then holds them without I/O until Close. It dials at most 64
// at a time. A process needs a file descriptor per connection, and twice
// that if the server is in the same process: call [RaiseFDLimit] first.
// If a connection fails, HoldIdle closes the others and returns the error.
func HoldIdle(addr string, n int) (*Idle, error) {
	if n < 0 {
		return nil, fmt.Errorf("loadgen: idle: %d connections, want at least 0", n)
	}
	conns := make([]net.Conn, n)
	var (
		next  = make(chan int)
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	dialer := net.Dialer{Timeout: idleTimeout}
	for range min(idleDialers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b [1]byte
			for i := range next {
				c, err := openIdle(&dialer, addr, i, b[:])
				if err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("loadgen: idle: connection %d of %d to %s: %w", i, n, addr, err)
					}
					mu.Unlock()
					continue
				}
				conns[i] = c
			}
		}()
	}
	for i := range n {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	idle := &Idle{addr: addr, conns: conns}
	if first != nil {
		idle.Close()
		return nil, first
	}
	return idle, nil
}

// openIdle dials one connection and makes its 1-byte round trip; the byte
// is the connection's index, so a reply meant for another is caught.
func openIdle(dialer *net.Dialer, addr string, i int, b []byte) (net.Conn, error) {
	c, err := dialer.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(idleTimeout))
	want := byte(i)
	b[0] = want
	if _, err := c.Write(b); err != nil {
		c.Close()
		return nil, fmt.Errorf("write: %w", err)
	}
	if _, err := io.ReadFull(c, b); err != nil {
		c.Close()
		return nil, fmt.Errorf("reading the echo: %w", err)
	}
	if b[0] != want {
		c.Close()
		return nil, fmt.Errorf("echoed %#02x, want %#02x", b[0], want)
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// Len returns the number of connections held.
func (d *Idle) Len() int { return len(d.conns) }

// Close closes every connection. It is idempotent.
func (d *Idle) Close() error {
	var first error
	d.once.Do(func() {
		for _, c := range d.conns {
			if c == nil {
				continue
			}
			if err := c.Close(); err != nil && first == nil {
				first = fmt.Errorf("loadgen: idle: closing a connection to %s: %w", d.addr, err)
			}
		}
	})
	return first
}

// runHolder is the holder child's side (see [ChildMain]): spec is
// "addr,n". It holds n idle connections to addr, writes "ready", its CPUs
// and GOMAXPROCS as one line to out, and keeps them until in closes; on a
// failure it writes "error:" and the error instead, and returns 1.
func runHolder(spec string, in io.Reader, out io.Writer) int {
	addr, count, _ := strings.Cut(spec, ",")
	n, err := strconv.Atoi(count)
	if err == nil {
		err = affinity.PinFromEnv()
	}
	if err == nil {
		err = RaiseFDLimit(n + 100)
	}
	var idle *Idle
	if err == nil {
		idle, err = HoldIdle(addr, n)
	}
	var at affinity.Placement
	if err == nil {
		at, err = affinity.ObservePlacement()
	}
	if err != nil {
		if idle != nil {
			idle.Close()
		}
		fmt.Fprintln(out, "error:", err)
		return 1
	}
	fmt.Fprintln(out, "ready", at.CPUs, at.GOMAXPROCS)
	io.Copy(io.Discard, in)
	idle.Close()
	return 0
}

// HoldInChild runs the current test binary again as a holder of n idle
// connections to the echo server at addr (see [HoldIdle]) and returns once
// every one is open and answered. The clients' memory and file descriptors
// are then the child's, not the server's, and each process needs only one
// fd per connection. release closes them and waits for the child; it is
// idempotent. The binary's TestMain must call [ChildMain].
func HoldInChild(addr string, n int) (release func() error, err error) {
	release, _, err = HoldInChildOn(addr, n, nil)
	return release, err
}

// HoldInChildOn is [HoldInChild] with the holder process pinned to cpus
// (nil: wherever it is started) and GOMAXPROCS set to their number; it
// returns the placement the holder read back once its connections were
// open.
func HoldInChildOn(addr string, n int, cpus affinity.Set) (release func() error, at affinity.Placement, err error) {
	c, err := startChild("idle", fmt.Sprintf("%s=%s,%d", holdEnv, addr, n), cpus)
	if err != nil {
		return nil, at, err
	}
	var once sync.Once
	var waitErr error
	release = func() error {
		once.Do(func() { waitErr = c.wait() })
		return waitErr
	}
	line, _ := bufio.NewReader(c.stdout).ReadString('\n')
	f := strings.Fields(line)
	if len(f) == 3 && f[0] == "ready" {
		at.CPUs, err = affinity.Parse(f[1])
		if err == nil {
			at.GOMAXPROCS, err = strconv.Atoi(f[2])
		}
	}
	if len(f) != 3 || f[0] != "ready" || err != nil {
		release()
		return nil, at, fmt.Errorf("loadgen: idle: holder process: %q", strings.TrimSpace(line))
	}
	return release, at, nil
}
