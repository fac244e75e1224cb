package futures

import (
	"net"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"iostrat/internal/netfd"
)

// newTestExecutor returns an executor closed at the end of the test.
func newTestExecutor(t testing.TB) *Executor {
	t.Helper()
	e, err := NewExecutor(Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

// socketPair returns two connected non-blocking Unix stream sockets,
// registered with e. The caller must be e's owner.
func socketPair(t testing.TB, e *Executor) (Source, Source) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.Register(fds[0])
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Register(fds[1])
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

// listener returns a loopback TCP listener taken over as a raw fd and
// registered with e. The caller must be e's owner.
func listener(t testing.TB, e *Executor) Source {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := netfd.Detach(ln)
	if err != nil {
		t.Fatal(err)
	}
	src, err := e.Register(l.FD)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// openFDs counts the process's open file descriptors.
func openFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(ents)
}
