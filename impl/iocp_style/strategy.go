package iocpstyle

import "iostrat"

// Strategy is the completion-queue strategy. Its Backend fixes its name,
// so a results file always says which mechanism ran:
//
//	Backend   Name            runs
//	Auto      iocp_style      io_uring if this kernel allows it, else emulated (logged)
//	Uring     iocp_uring      io_uring only; Start fails (errors.ErrUnsupported) without it
//	Emulated  iocp_emulated   the emulated proactor over epoll, always
//
// Benchmarks list iocp_uring and iocp_emulated as two columns, so the
// kernel's completion machinery and the queue's own cost are measured
// side by side and a fallback can never pass for io_uring.
type Strategy struct {
	Backend Backend

	// setup replaces io_uring_setup(2) in tests (see Config.setup).
	setup setupFunc
}

var _ iostrat.Strategy = Strategy{}

// Name returns iocp_style, iocp_uring or iocp_emulated.
func (s Strategy) Name() string {
	switch s.Backend {
	case Uring:
		return "iocp_uring"
	case Emulated:
		return "iocp_emulated"
	}
	return "iocp_style"
}
