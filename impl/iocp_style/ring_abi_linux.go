package iocpstyle

// The io_uring ABI, from include/uapi/linux/io_uring.h. golang.org/x/sys
// has the three system call numbers but none of the structures or
// constants, so they are defined here, each with the kernel's name. Only
// what this package uses is listed. Layouts are checked against their
// kernel sizes in ring_abi_linux_test.go.

// Setup flags: io_uring_params.flags (IORING_SETUP_*).
const (
	setupCQSize       = 1 << 3  // IORING_SETUP_CQSIZE: app defines the CQ size
	setupSubmitAll    = 1 << 7  // IORING_SETUP_SUBMIT_ALL: keep submitting after a failed SQE
	setupCoopTaskrun  = 1 << 8  // IORING_SETUP_COOP_TASKRUN: no IPI to run completion work
	setupTaskrunFlag  = 1 << 9  // IORING_SETUP_TASKRUN_FLAG: IORING_SQ_TASKRUN says work is pending
	setupSingleIssuer = 1 << 12 // IORING_SETUP_SINGLE_ISSUER: only one task submits
	setupDeferTaskrun = 1 << 13 // IORING_SETUP_DEFER_TASKRUN: run completion work only in io_uring_enter
	setupNoSQArray    = 1 << 16 // IORING_SETUP_NO_SQARRAY: no SQ index array
)

// Feature bits: io_uring_params.features (IORING_FEAT_*).
const (
	featSingleMmap = 1 << 0  // IORING_FEAT_SINGLE_MMAP: SQ and CQ rings share one mapping
	featNoDrop     = 1 << 1  // IORING_FEAT_NODROP: CQ overflow is kept, not dropped
	featFastPoll   = 1 << 5  // IORING_FEAT_FAST_POLL: internal poll instead of io-wq for sockets
	featCQESkip    = 1 << 11 // IORING_FEAT_CQE_SKIP: IOSQE_CQE_SKIP_SUCCESS works
)

// featureNames names the feature bits for the knobs, in bit order.
var featureNames = []struct {
	bit  uint32
	name string
}{
	{1 << 0, "SINGLE_MMAP"}, {1 << 1, "NODROP"}, {1 << 2, "SUBMIT_STABLE"},
	{1 << 3, "RW_CUR_POS"}, {1 << 4, "CUR_PERSONALITY"}, {1 << 5, "FAST_POLL"},
	{1 << 6, "POLL_32BITS"}, {1 << 7, "SQPOLL_NONFIXED"}, {1 << 8, "EXT_ARG"},
	{1 << 9, "NATIVE_WORKERS"}, {1 << 10, "RSRC_TAGS"}, {1 << 11, "CQE_SKIP"},
	{1 << 12, "LINKED_FILE"}, {1 << 13, "REG_REG_RING"}, {1 << 14, "RECVSEND_BUNDLE"},
	{1 << 15, "MIN_TIMEOUT"}, {1 << 16, "RW_ATTR"}, {1 << 17, "NO_IOWAIT"},
}

// setupFlagNames names the setup flags this package may ask for.
var setupFlagNames = []struct {
	bit  uint32
	name string
}{
	{setupCQSize, "CQSIZE"}, {setupSubmitAll, "SUBMIT_ALL"},
	{setupCoopTaskrun, "COOP_TASKRUN"}, {setupTaskrunFlag, "TASKRUN_FLAG"},
	{setupSingleIssuer, "SINGLE_ISSUER"}, {setupDeferTaskrun, "DEFER_TASKRUN"},
	{setupNoSQArray, "NO_SQARRAY"},
}

// io_uring_enter flags (IORING_ENTER_*).
const (
	enterGetEvents      = 1 << 0 // IORING_ENTER_GETEVENTS: wait for min_complete completions
	enterRegisteredRing = 1 << 4 // IORING_ENTER_REGISTERED_RING: fd is a registered ring index
)

// SQ ring flags, read from the ring (IORING_SQ_*).
const (
	sqCQOverflow = 1 << 1 // IORING_SQ_CQ_OVERFLOW: completions wait in the overflow list
	sqTaskrun    = 1 << 2 // IORING_SQ_TASKRUN: completion work waits for an enter
)

// CQ ring flags, written by us and read by the kernel (IORING_CQ_*).
const (
	cqEventfdDisabled = 1 << 0 // IORING_CQ_EVENTFD_DISABLED: do not signal the registered eventfd
)

// SQE flags (IOSQE_*).
const (
	sqeBufferSelect   = 1 << 5 // IOSQE_BUFFER_SELECT: take a buffer from sqe.bufIndex's group
	sqeCQESkipSuccess = 1 << 6 // IOSQE_CQE_SKIP_SUCCESS: post a CQE only on failure
)

// CQE flags (IORING_CQE_F_*).
const (
	cqeFBuffer     = 1 << 0 // IORING_CQE_F_BUFFER: the upper 16 bits are a buffer id
	cqeFMore       = 1 << 1 // IORING_CQE_F_MORE: the SQE will post more CQEs
	cqeBufferShift = 16     // IORING_CQE_BUFFER_SHIFT
)

// Opcodes (enum io_uring_op).
const (
	opNop           = 0  // IORING_OP_NOP
	opTimeout       = 11 // IORING_OP_TIMEOUT
	opTimeoutRemove = 12 // IORING_OP_TIMEOUT_REMOVE
	opAccept        = 13 // IORING_OP_ACCEPT
	opAsyncCancel   = 14 // IORING_OP_ASYNC_CANCEL
	opClose         = 19 // IORING_OP_CLOSE
	opShutdown      = 34 // IORING_OP_SHUTDOWN
	opRead          = 22 // IORING_OP_READ
	opWrite         = 23 // IORING_OP_WRITE
	opSend          = 26 // IORING_OP_SEND
	opRecv          = 27 // IORING_OP_RECV
	opMsgRing       = 40 // IORING_OP_MSG_RING
	opSocket        = 45 // IORING_OP_SOCKET: only probed, to date the kernel (5.19)
	opSendZC        = 47 // IORING_OP_SEND_ZC: only probed, to date the kernel (6.0)
	opLast          = 64 // bound for the probe array (IORING_OP_LAST is below it)
)

// Per-opcode flags, in sqe.ioprio or sqe.opFlags.
const (
	acceptMultishot  = 1 << 0 // IORING_ACCEPT_MULTISHOT (ioprio)
	recvMultishot    = 1 << 1 // IORING_RECV_MULTISHOT (ioprio)
	timeoutAbs       = 1 << 0 // IORING_TIMEOUT_ABS (timeout_flags), CLOCK_MONOTONIC by default
	nopInjectResult  = 1 << 0 // IORING_NOP_INJECT_RESULT (nop_flags): res = sqe.len
	msgRingData      = 0      // IORING_MSG_DATA (sqe.addr): post sqe.len as res, sqe.off as user_data
	probeOpSupported = 1 << 0 // IO_URING_OP_SUPPORTED (io_uring_probe_op.flags)
	asyncCancelAll   = 1 << 0 // IORING_ASYNC_CANCEL_ALL (cancel_flags)
	asyncCancelAny   = 1 << 2 // IORING_ASYNC_CANCEL_ANY (cancel_flags)
)

// io_uring_register opcodes (IORING_REGISTER_*).
const (
	registerEventfd     = 4  // IORING_REGISTER_EVENTFD
	unregisterEventfd   = 5  // IORING_UNREGISTER_EVENTFD
	registerProbe       = 8  // IORING_REGISTER_PROBE
	registerRingFDs     = 20 // IORING_REGISTER_RING_FDS
	unregisterRingFDs   = 21 // IORING_UNREGISTER_RING_FDS
	registerPbufRing    = 22 // IORING_REGISTER_PBUF_RING
	unregisterPbufRing  = 23 // IORING_UNREGISTER_PBUF_RING
	registerProbeOpsLen = opLast
)

// mmap offsets (IORING_OFF_*).
const (
	offSQRing = 0          // IORING_OFF_SQ_RING
	offCQRing = 0x8000000  // IORING_OFF_CQ_RING
	offSQEs   = 0x10000000 // IORING_OFF_SQES
)

// sqringOffsets is struct io_sqring_offsets.
type sqringOffsets struct {
	head        uint32
	tail        uint32
	ringMask    uint32
	ringEntries uint32
	flags       uint32
	dropped     uint32
	array       uint32
	resv1       uint32
	userAddr    uint64
}

// cqringOffsets is struct io_cqring_offsets.
type cqringOffsets struct {
	head        uint32
	tail        uint32
	ringMask    uint32
	ringEntries uint32
	overflow    uint32
	cqes        uint32
	flags       uint32
	resv1       uint32
	userAddr    uint64
}

// ringParams is struct io_uring_params (120 bytes).
type ringParams struct {
	sqEntries    uint32
	cqEntries    uint32
	flags        uint32
	sqThreadCPU  uint32
	sqThreadIdle uint32
	features     uint32
	wqFD         uint32
	resv         [3]uint32
	sqOff        sqringOffsets
	cqOff        cqringOffsets
}

// sqe is struct io_uring_sqe (64 bytes). Unions are named after the member
// this package uses; the kernel's other names are in the comments.
type sqe struct {
	opcode   uint8  // opcode
	flags    uint8  // flags (IOSQE_*)
	ioprio   uint16 // ioprio; accept/recv multishot flags
	fd       int32  // fd
	off      uint64 // off / addr2; MSG_RING: target user_data; TIMEOUT: count
	addr     uint64 // addr; buffer, timespec, or target user_data for cancels
	len      uint32 // len; MSG_RING and NOP: the result to post
	opFlags  uint32 // rw_flags / msg_flags / timeout_flags / accept_flags / cancel_flags / msg_ring_flags / nop_flags
	userData uint64 // user_data
	bufIndex uint16 // buf_index / buf_group
	persona  uint16 // personality
	fileIdx  int32  // splice_fd_in / file_index / addr_len
	addr3    uint64 // addr3
	pad2     uint64 // __pad2[0]
}

// cqe is struct io_uring_cqe (16 bytes; CQE32 is never asked for).
type cqe struct {
	userData uint64
	res      int32
	flags    uint32
}

// kernelTimespec is struct __kernel_timespec.
type kernelTimespec struct {
	sec  int64
	nsec int64
}

// probeOp is struct io_uring_probe_op.
type probeOp struct {
	op    uint8
	resv  uint8
	flags uint16
	resv2 uint32
}

// probe is struct io_uring_probe with room for registerProbeOpsLen ops.
type probe struct {
	lastOp uint8
	opsLen uint8
	resv   uint16
	resv2  [3]uint32
	ops    [registerProbeOpsLen]probeOp
}

// rsrcUpdate is struct io_uring_rsrc_update, the argument of
// IORING_REGISTER_RING_FDS.
type rsrcUpdate struct {
	offset uint32
	resv   uint32
	data   uint64
}

// bufEntry is struct io_uring_buf, one entry of a provided-buffer ring.
// The ring's tail is overlaid on entry 0's resv field (struct
// io_uring_buf_ring).
type bufEntry struct {
	addr uint64
	len  uint32
	bid  uint16
	resv uint16
}

// bufReg is struct io_uring_buf_reg, the argument of
// IORING_(UN)REGISTER_PBUF_RING.
type bufReg struct {
	ringAddr    uint64
	ringEntries uint32
	bgid        uint16
	flags       uint16
	resv        [3]uint64
}
