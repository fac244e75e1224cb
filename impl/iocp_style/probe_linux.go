package iocpstyle

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// requiredOps are the opcodes the port cannot work without.
var requiredOps = []struct {
	op   uint8
	name string
}{
	{opNop, "NOP"}, {opRead, "READ"}, {opWrite, "WRITE"}, {opAccept, "ACCEPT"},
	{opRecv, "RECV"}, {opSend, "SEND"}, {opTimeout, "TIMEOUT"},
	{opTimeoutRemove, "TIMEOUT_REMOVE"}, {opAsyncCancel, "ASYNC_CANCEL"}, {opClose, "CLOSE"},
	{opShutdown, "SHUTDOWN"},
}

// ringFeatures is what the kernel offers beyond the required operations,
// found at start-up. Flags that have no probe of their own are dated by an
// opcode that arrived in the same kernel release.
type ringFeatures struct {
	msgRing         bool // IORING_OP_MSG_RING: post into another ring (5.18)
	multishotAccept bool // IORING_ACCEPT_MULTISHOT (5.19, with IORING_OP_SOCKET)
	cancelAny       bool // IORING_ASYNC_CANCEL_ANY (5.19, with IORING_OP_SOCKET)
	multishotRecv   bool // IORING_RECV_MULTISHOT (6.0, with IORING_OP_SEND_ZC)
	injectResult    bool // IORING_NOP_INJECT_RESULT, tried at start-up
	pbufRing        bool // provided-buffer ring registered
}

// probeRing asks the kernel which operations it supports
// (IORING_REGISTER_PROBE) and checks the port's requirements.
func probeRing(r *ring) (ringFeatures, error) {
	var f ringFeatures
	p := new(probe)
	// Safety: p is heap memory, written by the kernel only during the call.
	if _, err := r.register(registerProbe, unsafe.Pointer(p), registerProbeOpsLen); err != nil {
		return f, fmt.Errorf("IORING_REGISTER_PROBE: %w (kernel too old)", err)
	}
	var ops [256]bool
	for i := 0; i < int(p.opsLen) && i < len(p.ops); i++ {
		if p.ops[i].flags&probeOpSupported != 0 {
			ops[p.ops[i].op] = true
		}
	}
	var missing []string
	for _, o := range requiredOps {
		if !ops[o.op] {
			missing = append(missing, o.name)
		}
	}
	if r.features&featNoDrop == 0 {
		missing = append(missing, "FEAT_NODROP")
	}
	if r.features&featCQESkip == 0 {
		missing = append(missing, "FEAT_CQE_SKIP")
	}
	if r.features&featFastPoll == 0 {
		missing = append(missing, "FEAT_FAST_POLL")
	}
	if len(missing) > 0 {
		return f, fmt.Errorf("io_uring lacks %s (kernel too old)", strings.Join(missing, ", "))
	}
	f.msgRing = ops[opMsgRing]
	f.multishotAccept = ops[opSocket]
	f.cancelAny = ops[opSocket]
	f.multishotRecv = ops[opSendZC]
	return f, nil
}

// unavailableError says io_uring cannot be used here, and why. It matches
// errors.ErrUnsupported and unwraps to the cause (an errno from setup, a
// missing feature).
type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return "io_uring unavailable: " + e.err.Error() }
func (e *unavailableError) Unwrap() error { return e.err }
func (e *unavailableError) Is(target error) bool {
	return target == errors.ErrUnsupported
}

// Probe reports whether io_uring works on this machine and what it
// offers, as one line for `iostrat list` and the results' provenance:
// kernel release, setup flags accepted, features, and the optional
// operations the port uses. When io_uring is unavailable the error wraps
// errors.ErrUnsupported and says why (ENOSYS, EPERM from seccomp or
// kernel.io_uring_disabled, ENOMEM from RLIMIT_MEMLOCK, a kernel too old).
func Probe() (features string, err error) {
	runtime.LockOSThread() // SINGLE_ISSUER binds the test ring to this thread
	defer runtime.UnlockOSThread()
	x, err := newCrossThread()
	if err != nil {
		return "", err
	}
	defer x.close()
	u, err := newUringPort(Config{Buffers: 8, BufferSize: 4096}.withDefaults(), x)
	if err != nil {
		return "", err
	}
	defer u.close()
	return u.describe(), nil
}

// ringInfo is what a ring runs with, for knobs and provenance.
type ringInfo struct {
	kernel, setup, features, ops string
	sq, cq                       uint32
}

func (u *uringPort) info() ringInfo {
	kernel := "unknown"
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		kernel = unix.ByteSliceToString(uts.Release[:])
	}
	return ringInfo{kernel, u.setupString(), u.featureString(), u.opsString(), u.r.sqSize, u.r.cqSize}
}

// describe is the one-line account of a uring port's ring.
func (u *uringPort) describe() string {
	i := u.info()
	return fmt.Sprintf("kernel=%s setup=%s features=%s ops=%s sq=%d cq=%d", i.kernel, i.setup, i.features, i.ops, i.sq, i.cq)
}

func (u *uringPort) setupString() string {
	var names []string
	for _, f := range setupFlagNames {
		if u.r.setupFlags&f.bit != 0 {
			names = append(names, f.name)
		}
	}
	return strings.Join(names, "|")
}

func (u *uringPort) featureString() string {
	var names []string
	for _, f := range featureNames {
		if u.r.features&f.bit != 0 {
			names = append(names, f.name)
		}
	}
	return strings.Join(names, "|")
}

// opsString lists the optional mechanisms in use, and those missing.
func (u *uringPort) opsString() string {
	f := u.feat
	var names []string
	add := func(ok bool, name string) {
		if !ok {
			name = "no-" + name
		}
		names = append(names, name)
	}
	add(f.msgRing, "msg-ring")
	add(f.multishotAccept, "multishot-accept")
	add(f.multishotRecv, "multishot-recv")
	add(f.pbufRing, "pbuf-ring")
	add(f.injectResult, "nop-inject-result")
	add(f.cancelAny, "cancel-any")
	add(u.r.enterFlags&enterRegisteredRing != 0, "registered-ring")
	names = append(names, "no-sqpoll")
	return strings.Join(names, ",")
}
