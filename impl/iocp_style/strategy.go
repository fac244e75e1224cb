package iocpstyle

import "iostrat"

// Strategy is the completion-queue strategy. Its Backend and PostKernel
// fix its name, so a results file always says which mechanism ran:
//
//	Backend   PostKernel  Name                    runs
//	Auto      false       iocp_style              io_uring if this kernel allows it, else emulated (logged)
//	Uring     false       iocp_uring              io_uring only; Start fails (errors.ErrUnsupported) without it
//	Uring     true        iocp_uring_kernelpost   io_uring, every self-post a NOP SQE through the ring
//	Auto      true        iocp_style_kernelpost   as Auto, self-posts through the ring when it is io_uring
//	Emulated  either      iocp_emulated           the emulated proactor over epoll (posts in user space)
//
// Benchmarks list iocp_uring and iocp_emulated as two columns, so the
// kernel's completion machinery and the queue's own cost are measured
// side by side and a fallback can never pass for io_uring;
// iocp_uring_kernelpost shows what routing every self-post through the
// kernel costs. Info's post knob says which way posts went.
type Strategy struct {
	Backend Backend
	// PostKernel posts every completion a loop sends itself through its
	// ring as a no-op SQE (Config.PostKernel) instead of its user-space
	// ready queue.
	PostKernel bool

	// setup replaces io_uring_setup(2) in tests (see Config.setup).
	setup setupFunc
}

var _ iostrat.Strategy = Strategy{}

// Name returns iocp_style, iocp_uring, iocp_emulated, or with PostKernel
// iocp_uring_kernelpost or iocp_style_kernelpost.
func (s Strategy) Name() string {
	switch {
	case s.Backend == Emulated:
		return "iocp_emulated"
	case s.Backend == Uring && s.PostKernel:
		return "iocp_uring_kernelpost"
	case s.Backend == Uring:
		return "iocp_uring"
	case s.PostKernel:
		return "iocp_style_kernelpost"
	}
	return "iocp_style"
}
