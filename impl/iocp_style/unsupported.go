//go:build !linux

package iocpstyle

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// This package's backends are io_uring and epoll, both Linux; elsewhere
// every entry point reports errors.ErrUnsupported.

type setupFunc func()

// errNeedsLinux is what every entry point returns here; it wraps
// errors.ErrUnsupported.
var errNeedsLinux = fmt.Errorf("iocpstyle: completion ports need Linux (io_uring, or epoll for the emulated backend): %w", errors.ErrUnsupported)

// Probe reports errors.ErrUnsupported.
func Probe() (string, error) { return "", errNeedsLinux }

// Port is unavailable on this system.
type Port struct{}

// NewPort reports errors.ErrUnsupported.
func NewPort(Config) (*Port, error) { return nil, errNeedsLinux }

func (*Port) Backend() string                     { return "" }
func (*Port) FallbackReason() string              { return "" }
func (*Port) Features() string                    { return "" }
func (*Port) Park() Park                          { return ParkThread }
func (*Port) PostMode() string                    { return "" }
func (*Port) Submit(Op) (OpID, error)             { return 0, errNeedsLinux }
func (*Port) Cancel(OpID) error                   { return errNeedsLinux }
func (*Port) Wait([]Completion, int) (int, error) { return 0, errNeedsLinux }
func (*Port) Post(Token, int32) error             { return errNeedsLinux }
func (*Port) PostTo(*Port, Token, int32) error    { return errNeedsLinux }
func (*Port) Counters() Counters                  { return Counters{} }
func (*Port) Close() error                        { return nil }
func monotonicEpoch() (int64, time.Time)          { return 0, time.Now() }

// Host is unavailable on this system.
type Host struct{}

// NewHost reports errors.ErrUnsupported.
func NewHost(*Port, Token) (*Host, error) { return nil, errNeedsLinux }

func (*Host) HandleCompletion(*Completion) bool { return false }

// Server is unavailable on this system.
type Server struct{}

// NewServer reports errors.ErrUnsupported.
func NewServer(net.Listener, []*Host, func() Handler, ServerConfig) (*Server, error) {
	return nil, errNeedsLinux
}

func (*Server) Addr() net.Addr { return nil }
func (*Server) Conns() int     { return 0 }
func (*Server) Close() error   { return nil }
