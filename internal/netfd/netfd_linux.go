// Package netfd takes TCP sockets out of the Go runtime's hands for the
// strategies that drive sockets themselves (callback, futures, completion
// queue): it detaches a net.Listener into a raw non-blocking fd, accepts
// connections as raw fds, and wraps the few socket calls they share with
// EINTR handled in one place. The goroutine strategy does not use it.
package netfd

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// Listener is a listening TCP socket owned as a raw fd.
type Listener struct {
	FD   int
	Addr net.Addr
}

// Detach takes over ln's socket: it duplicates the fd (close-on-exec,
// non-blocking), closes ln so the Go netpoller forgets the socket, and
// returns the duplicate. The caller owns the returned fd and must not use
// ln again. Only *net.TCPListener is accepted.
func Detach(ln net.Listener) (*Listener, error) {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return nil, fmt.Errorf("netfd: listener is %T, want *net.TCPListener", ln)
	}
	rc, err := tl.SyscallConn()
	if err != nil {
		return nil, err
	}
	dup := -1
	var dupErr error
	if err := rc.Control(func(fd uintptr) {
		dup, dupErr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return nil, err
	}
	if dupErr != nil {
		return nil, fmt.Errorf("netfd: dup listener: %w", dupErr)
	}
	addr := tl.Addr()
	if err := tl.Close(); err != nil {
		unix.Close(dup)
		return nil, err
	}
	if err := unix.SetNonblock(dup, true); err != nil {
		unix.Close(dup)
		return nil, fmt.Errorf("netfd: set non-blocking: %w", err)
	}
	return &Listener{FD: dup, Addr: addr}, nil
}

// Accept accepts one connection as a non-blocking, close-on-exec fd with
// TCP_NODELAY set. It returns unix.EAGAIN when no connection is waiting.
// Errors that concern only the connection being accepted (it was reset
// before we took it) are retried, as the Go runtime does.
func Accept(lfd int) (int, error) {
	for {
		fd, _, err := unix.Accept4(lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		switch err {
		case nil:
			SetNoDelay(fd)
			return fd, nil
		case unix.EINTR, unix.ECONNABORTED:
			continue
		default:
			return -1, err
		}
	}
}

// SetNoDelay turns off Nagle's algorithm, as Go's net package does for
// every TCP connection, so all strategies send with the same settings.
func SetNoDelay(fd int) {
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
}

// Read reads from fd, retrying EINTR. It returns (0, nil) at end of stream
// and unix.EAGAIN when nothing is ready.
func Read(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Read(fd, p)
		if err == unix.EINTR {
			continue
		}
		if n < 0 {
			n = 0
		}
		return n, err
	}
}

// Write writes to fd, retrying EINTR. It returns unix.EAGAIN when the
// socket buffer is full. It uses send with MSG_NOSIGNAL so a peer that has
// gone away gives EPIPE, not a SIGPIPE.
func Write(fd int, p []byte) (int, error) {
	for {
		n, err := unix.SendmsgN(fd, p, nil, nil, unix.MSG_NOSIGNAL)
		if err == unix.EINTR {
			continue
		}
		if n < 0 {
			n = 0
		}
		return n, err
	}
}

// Close closes fd. EINTR from close is not retried: on Linux the fd is
// released whatever close returns.
func Close(fd int) error {
	err := unix.Close(fd)
	if err == unix.EINTR {
		return nil
	}
	return err
}

// IsGone reports whether err means the peer has gone away (reset, broken
// pipe, timed out): the connection is closed quietly, not reported.
func IsGone(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ETIMEDOUT) || errors.Is(err, syscall.ENOTCONN)
}
