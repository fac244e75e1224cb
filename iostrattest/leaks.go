package iostrattest

import (
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

var warmOnce sync.Once

// warmUpNet makes the Go runtime open its netpoller's epoll fd and eventfd
// before the first fd snapshot, so they are not mistaken for a leak.
func warmUpNet() {
	warmOnce.Do(func() {
		if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
			ln.Close()
		}
	})
}

// openFDs lists the process's open file descriptors with what they point at.
func openFDs() ([]string, error) {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil, fmt.Errorf("listing open fds: %w", err)
	}
	fds := make([]string, 0, len(ents))
	for _, e := range ents {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // the fd of the directory listing itself, already closed
		}
		fds = append(fds, e.Name()+" -> "+target)
	}
	slices.Sort(fds)
	return fds, nil
}

// sameFDs checks that the open fds are those of before. Close must release
// fds before it returns, but a client socket the check closed a moment ago
// may still be in the runtime's hands for an instant, so it retries briefly.
func sameFDs(before []string) error {
	deadline := time.Now().Add(2 * time.Second)
	for {
		now, err := openFDs()
		if err != nil {
			return err
		}
		extra, missing := diff(before, now), diff(now, before)
		if len(extra) == 0 && len(missing) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("open fds changed across Start..Close: leaked [%s], lost [%s]",
				strings.Join(extra, ", "), strings.Join(missing, ", "))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// diff returns the entries of b not in a.
func diff(a, b []string) []string {
	var out []string
	for _, x := range b {
		if _, found := slices.BinarySearch(a, x); !found {
			out = append(out, x)
		}
	}
	return out
}
