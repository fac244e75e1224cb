package iocpstyle

import (
	"time"

	"golang.org/x/sys/unix"
)

// A Port is a completion port: submit operations with caller-owned
// buffers and tokens, then Wait for their completions in batches; any
// goroutine may Post a completion to it.
//
// A port belongs to the goroutine that created it (its owner), which must
// be locked to its OS thread (runtime.LockOSThread) for the port's life:
// on io_uring the ring is set up SINGLE_ISSUER and DEFER_TASKRUN, so only
// that thread may enter it. Submit, Cancel, Wait, PostTo, Counters and
// Close are for the owner only; Post is for any goroutine.
//
// Submit queues an operation; it reaches the kernel at the latest in the
// next Wait, which submits everything queued and, in one system call,
// reaps what has completed; with nothing ready it parks the owner as
// Config.Park says (see [Park]).
type Port struct {
	u       *uringPort // the io_uring backend, or nil
	e       *emuPort   // the emulated backend, or nil
	x       *crossThread
	ringFD  int // the ring's fd, for MSG_RING from other ports; never changes
	backend string
	why     string // why the emulated backend runs under Auto; empty otherwise
}

func (c Config) withDefaults() Config {
	if c.Entries <= 0 {
		c.Entries = defaultEntries
	}
	if c.CQEntries <= 0 {
		c.CQEntries = cqPerSQ * c.Entries
	}
	if c.Buffers > 0 && c.BufferSize <= 0 {
		c.BufferSize = 16 << 10
	}
	return c
}

// NewPort creates a port owned by the calling goroutine, which must be
// locked to its OS thread. With Backend Uring and no io_uring here, the
// error wraps errors.ErrUnsupported and says why; with Auto the port falls
// back to the emulated backend and says so through cfg.Logf.
func NewPort(cfg Config) (*Port, error) {
	cfg = cfg.withDefaults()
	x, err := newCrossThread()
	if err != nil {
		return nil, err
	}
	p := &Port{x: x}
	if cfg.Backend != Emulated {
		u, err := newUringPort(cfg, x)
		switch {
		case err == nil:
			p.u, p.ringFD, p.backend = u, u.r.fd, "io_uring"
			return p, nil
		case cfg.Backend == Uring:
			x.close()
			return nil, err
		}
		p.why = err.Error()
		if cfg.Logf != nil {
			cfg.Logf("iocpstyle: %v; falling back to the emulated completion port over epoll", err)
		}
	}
	e, err := newEmuPort(cfg, x)
	if err != nil {
		x.close()
		return nil, err
	}
	p.e, p.backend = e, "emulated"
	return p, nil
}

// Backend returns "io_uring" or "emulated".
func (p *Port) Backend() string { return p.backend }

// FallbackReason says why an Auto port runs emulated; it is empty for a
// port whose backend was not a fallback.
func (p *Port) FallbackReason() string { return p.why }

// Features describes the io_uring ring (setup flags, features, optional
// operations in use), or says the port is emulated.
func (p *Port) Features() string {
	if p.u != nil {
		return p.u.describe()
	}
	return "emulated proactor over edge-triggered epoll"
}

// Park returns how Wait waits when nothing is ready: ParkNetpoll, or
// ParkThread where Config asked for it or the ring cannot be parked on the
// netpoller (see park_linux.go; Config.Logf is told why).
func (p *Port) Park() Park {
	if (p.u != nil && p.u.parker != nil) || (p.e != nil && p.e.parker != nil) {
		return ParkNetpoll
	}
	return ParkThread
}

// Submit queues op. Its buffer is lent until its final completion (see
// Op.Buf). The returned OpID names it for Cancel; it is 0 for no-ops
// (nothing to cancel) and, in the emulated backend, for closes and
// shutdowns, which it performs at once.
// Owner only.
//
// The backends are called directly, not through an interface, so op does
// not escape and a Submit allocates nothing.
func (p *Port) Submit(op Op) (OpID, error) {
	if p.u != nil {
		return p.u.submit(&op)
	}
	return p.e.submit(&op)
}

// Cancel asks for the operation to end early. It completes with ECANCELED,
// or normally if it finished first; either way its final completion comes
// through Wait as usual, and only then is its buffer back. ErrNotFound
// means it already completed. Owner only.
func (p *Port) Cancel(id OpID) error {
	if p.u != nil {
		return p.u.cancel(id)
	}
	return p.e.cancel(id)
}

// Wait fills cs with completions and returns how many, blocking until at
// least atLeast are there (0: never block). It first submits whatever
// Submit queued. Owner only.
func (p *Port) Wait(cs []Completion, atLeast int) (int, error) {
	if p.u != nil {
		return p.u.wait(cs, atLeast)
	}
	return p.e.wait(cs, atLeast)
}

// Post queues a completion with token tok and result res, as
// PostQueuedCompletionStatus does, and wakes the owner if it is waiting.
// It is safe from any goroutine; tok must not exceed MaxPostToken.
func (p *Port) Post(tok Token, res int32) error {
	if tok > MaxPostToken {
		return ErrTokenRange
	}
	return p.x.post(tok, res)
}

// PostTo posts a completion to dst, which may be p itself, from p's owner
// thread. To p itself it goes to p's user-space ready queue, returned by
// the next Wait before anything from the ring (with Config.PostKernel, a
// no-op SQE carrying the token into p's ring instead); to another
// io_uring port it goes into that port's ring with IORING_OP_MSG_RING (no
// eventfd, no queue lock); otherwise through dst's Post. Like Submit it
// takes effect at p's next Wait at the latest; dst must stay open until
// then. Owner of p only.
func (p *Port) PostTo(dst *Port, tok Token, res int32) error {
	if p.u != nil {
		return p.u.postTo(p, dst, tok, res)
	}
	return p.e.postTo(p, dst, tok, res)
}

// PostMode says how PostTo reaches the port itself: "user" (the ready
// queue) or "kernel" (a no-op SQE through the ring, Config.PostKernel).
func (p *Port) PostMode() string {
	if p.u != nil && p.u.postKernel {
		return "kernel"
	}
	return "user"
}

// Counters returns the port's own counts. Owner only.
func (p *Port) Counters() Counters {
	var c Counters
	if p.u != nil {
		c = p.u.cnt
	} else {
		c = p.e.cnt
	}
	c.EventfdWrites = p.x.writes.Load()
	return c
}

// Close cancels every operation in flight, waits until the kernel has let
// go of every lent buffer, and releases the ring (or epoll set), the
// eventfd and all mappings. Completions not yet returned are dropped.
// Posts after Close fail with ErrClosed. Owner only.
func (p *Port) Close() error {
	var err error
	if p.u != nil {
		err = p.u.close()
	} else {
		err = p.e.close()
	}
	if xerr := p.x.close(); err == nil {
		err = xerr
	}
	return err
}

// monotonicEpoch reads Go's clock, then CLOCK_MONOTONIC.
func monotonicEpoch() (int64, time.Time) {
	g := time.Now()
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic("iocpstyle: clock_gettime(CLOCK_MONOTONIC): " + err.Error())
	}
	return ts.Nano(), g
}

// providedBuffers reports whether receives may leave Op.Buf nil.
func (p *Port) providedBuffers() bool {
	if p.u != nil {
		return p.u.bufs != nil
	}
	return p.e.bufSize > 0
}

// multishotRecv reports whether a provided-buffer receive may be
// multishot.
func (p *Port) multishotRecv() bool {
	if p.u != nil {
		return p.u.bufs != nil && p.u.feat.multishotRecv
	}
	return p.providedBuffers()
}

// msgRing reports whether PostTo another io_uring port uses
// IORING_OP_MSG_RING.
func (p *Port) msgRing() bool { return p.u != nil && p.u.feat.msgRing }
