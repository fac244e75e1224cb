//go:build !linux

package iocpstyle

import (
	"time"

	"iostrat"
)

// This package's backends are io_uring and epoll, both Linux; elsewhere
// every entry point reports errors.ErrUnsupported.

type setupFunc func()

func errUnsupported() error {
	return iostrat.Unsupported("iocpstyle: completion ports need Linux (io_uring, or epoll for the emulated backend)")
}

// Start reports errors.ErrUnsupported.
func (s Strategy) Start(iostrat.Options) (iostrat.Runtime, error) { return nil, errUnsupported() }

// Probe reports errors.ErrUnsupported.
func Probe() (string, error) { return "", errUnsupported() }

// Port is unavailable on this system.
type Port struct{}

// NewPort reports errors.ErrUnsupported.
func NewPort(Config) (*Port, error) { return nil, errUnsupported() }

func (*Port) Backend() string                     { return "" }
func (*Port) FallbackReason() string              { return "" }
func (*Port) Features() string                    { return "" }
func (*Port) Park() Park                          { return ParkThread }
func (*Port) Submit(Op) (OpID, error)             { return 0, errUnsupported() }
func (*Port) Cancel(OpID) error                   { return errUnsupported() }
func (*Port) Wait([]Completion, int) (int, error) { return 0, errUnsupported() }
func (*Port) Post(Token, int32) error             { return errUnsupported() }
func (*Port) PostTo(*Port, Token, int32) error    { return errUnsupported() }
func (*Port) Counters() Counters                  { return Counters{} }
func (*Port) Close() error                        { return nil }
func monotonicEpoch() (int64, time.Time)          { return 0, time.Now() }
