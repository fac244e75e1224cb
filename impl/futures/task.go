package futures

import (
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"
)

// A task is a future the executor owns and polls until it is ready. Its
// memory is one heap object, a cell: the header below, the output, and the
// future itself stored inline (so spawning allocates nothing more than the
// cell, and a pooled cell nothing at all).
//
//	cell[T, F] { taskCore[T] { header; output T }; future F }
//
// The header is all the executor and the waker vtable ever see; only the
// per-type vtable (taskVTable, one per future type) knows T and F. A
// JoinHandle[T] sees taskCore[T], which is typed, so joining uses no unsafe.

// Task state bits (header.state). The state word is a plain field, read and
// written only by the goroutine running the executor (its owner): wakes
// from other goroutines never touch it, they go through the executor's
// inbox (see Executor.post). That is what lets the same-thread wake, the
// common one, run without a single atomic instruction.
//
//	state                           meaning                               who moves it
//	notified, !running              in the run queue                      a wake; Spawn
//	notified, running               being polled, woken meanwhile:        a wake during poll
//	                                requeued when the poll returns
//	running                         being polled                          the executor
//	idle (none of the three)        waiting for a waker                   the executor, after Pending
//	complete                        output stored (or cancelled); never   the executor, after Ready;
//	                                polled again                          Abort
//
// joinInterest and cancelled qualify the above.
const (
	// taskNotified: the task is queued, or will be when its poll returns.
	// A wake that finds it set does nothing, so a task woken twice before
	// it runs is queued once.
	taskNotified uint32 = 1 << iota
	// taskRunning: the executor is inside the task's Poll.
	taskRunning
	// taskComplete: the future returned Ready or was dropped by Abort; the
	// task is never polled again. Set once, never cleared (until reuse).
	taskComplete
	// taskCancelled: Abort dropped the future before it completed.
	taskCancelled
	// taskAbortRequested: Abort was called from inside the task's own poll;
	// the executor drops the future when that poll returns.
	taskAbortRequested
	// taskJoinInterest: a JoinHandle exists and has neither taken the
	// output nor been dropped.
	taskJoinInterest
)

// header is the type-independent part of every task.
//
// Reference counting. A task is referred to by: the executor, from spawn
// until the task is complete and out of the run queue; its JoinHandle,
// while it has interest; every Waker cloned from the task's waker; and
// every inbox entry carrying a cross-thread wake. The task's own waker in
// the header, which the executor lends to each poll through the Context, is
// borrowed and not counted (tokio's waker_ref).
//
// In Rust the count frees the memory. In Go the garbage collector keeps a
// header alive while any pointer to it exists, so the count is not needed
// for safety; it decides something else: when the count reaches zero the
// executor may put the cell back in its pool and hand it to the next Spawn.
// Reusing a cell some waker still points at would let that waker wake a
// stranger, so a cell is reused only at zero.
//
// The count is split in two so the owner never needs an atomic: refs counts
// changes made on the executor's goroutine, remoteRefs (atomic) those made
// elsewhere. Either may be negative (a waker cloned on the executor and
// dropped by another thread); their sum is the count. Only the executor
// looks at the sum, when its own changes might have made it zero; a cell
// whose last reference goes away on another thread is left to the garbage
// collector instead of the pool.
type header struct {
	state       uint32        // task state bits; owner only
	refs        int32         // references counted on the owner goroutine
	remoteRefs  atomic.Int32  // references counted elsewhere
	remoteWoken atomic.Uint32 // 1: a cross-thread wake is in the inbox (coalesces remote wakes)

	next     *header // run queue or free list link; owner only
	allPrev  *header // live (not complete) task list; owner only
	allNext  *header
	exec     *Executor
	vt       *taskVTable
	pool     *cellPool // where the cell goes back; nil if created by another thread
	waker    Waker     // this task's waker: RawWaker{this header, &taskWakerVTable}
	joinWake Waker     // the waker of whoever awaits the JoinHandle
}

// The task waker. Each of the four functions below gets the data pointer
// of a RawWaker built by newCell, which is always a *header, and each
// starts from the same argument:
//
// Safety: data came from newCell's unsafe.Pointer(&c.header), a live
// *header; the waker holding it keeps the header reachable, and its
// reference keeps the cell out of the pool, so the header is the task's.
//
// Each function decides between the owner path (plain fields) and the
// remote path (the inbox) by comparing goroutine tokens; see
// Executor.onOwner. The token is taken before anything but the header is
// loaded, so that only the header stays live across that call (one spill
// instead of two; measurable on the already-queued WakeByRef path).

func cloneTaskWaker(data unsafe.Pointer) RawWaker {
	// Safety: data is a live *header (see above).
	h := (*header)(data)
	if h.exec.isOwner(goroutineToken()) {
		h.refs++
	} else {
		h.remoteRefs.Add(1)
	}
	return RawWaker{data: data, vtable: &taskWakerVTable}
}

func wakeTask(data unsafe.Pointer) {
	// Safety: data is a live *header (see above).
	h := (*header)(data)
	self := goroutineToken()
	e := h.exec
	if e.isOwner(self) {
		e.wakeLocal(h)
		h.refs--
		e.releaseIfUnused(h)
		return
	}
	e.wakeRemote(h, true)
}

func wakeTaskByRef(data unsafe.Pointer) {
	// Safety: data is a live *header (see above).
	h := (*header)(data)
	self := goroutineToken()
	e := h.exec
	if e.isOwner(self) {
		e.wakeLocal(h)
		return
	}
	e.wakeRemote(h, false)
}

func dropTaskWaker(data unsafe.Pointer) {
	// Safety: data is a live *header (see above).
	h := (*header)(data)
	self := goroutineToken()
	e := h.exec
	if e.isOwner(self) {
		h.refs--
		e.releaseIfUnused(h)
		return
	}
	h.remoteRefs.Add(-1)
}

// taskWakerVTable is the one vtable of every task waker, whatever the
// task's future type. There is exactly one because WillWake compares vtable
// addresses: were there one per future type, or one built per call, two
// wakers of the same task could compare unequal, and every future re-polled
// by its own task would drop and clone its stored waker instead of keeping
// it (tokio's waker.rs keeps a single vtable for the same reason). The four
// functions need nothing but the header, which is the same for all tasks.
//
// It is filled in by init because cloneTaskWaker refers back to it, which Go
// reports as an initialization cycle in a variable's initializer.
var taskWakerVTable RawWakerVTable

func init() {
	taskWakerVTable = RawWakerVTable{
		Clone:     cloneTaskWaker,
		Wake:      wakeTask,
		WakeByRef: wakeTaskByRef,
		Drop:      dropTaskWaker,
	}
}

// taskVTable is the per-future-type half of a task: what the executor calls
// that depends on T and F. There is one per future type (tokio's raw.rs
// builds one Vtable per <T, S> the same way), found through taskVTables.
type taskVTable struct {
	// poll polls the future once with cx and, when it is ready, stores its
	// output; it reports whether it was ready.
	poll func(h *header, cx *Context) bool
	// drop drops the future of a task abandoned before completion.
	drop func(h *header)
	// reset zeroes the output and the future, so a pooled cell holds no
	// pointers and the next task starts from a zero future.
	reset func(h *header)
	// typ names the future type, for messages.
	typ reflect.Type
}

// taskCore is the part of a cell a JoinHandle[T] needs.
type taskCore[T any] struct {
	header
	output T
}

// cell is a task's memory.
type cell[T any, F any] struct {
	taskCore[T]
	future F
}

// taskVTables maps a future type to its taskVTable. Executors look here
// only on a cache miss (see Executor.poolFor) and for spawns from other
// goroutines.
var taskVTables sync.Map // reflect.Type -> *taskVTable

// vtableFor returns the taskVTable of future type F.
func vtableFor[T any, PF interface {
	*F
	Future[T]
}, F any](typ reflect.Type) *taskVTable {
	if vt, ok := taskVTables.Load(typ); ok {
		return vt.(*taskVTable)
	}
	vt, _ := taskVTables.LoadOrStore(typ, &taskVTable{
		poll:  pollCell[T, PF, F],
		drop:  dropCell[T, PF, F],
		reset: resetCell[T, F],
		typ:   typ,
	})
	return vt.(*taskVTable)
}

// cellOf recovers a cell from its header.
func cellOf[T, F any](h *header) *cell[T, F] {
	// Safety: h is the first field of a cell[T, F] (the header sits at
	// offset 0 of taskCore, which sits at offset 0 of cell), allocated by
	// newTask for this F; the vtable that calls this was chosen for F.
	return (*cell[T, F])(unsafe.Pointer(h))
}

func pollCell[T any, PF interface {
	*F
	Future[T]
}, F any](h *header, cx *Context) bool {
	c := cellOf[T, F](h)
	p := PF(&c.future).Poll(cx)
	if !p.ready {
		return false
	}
	c.output = p.value
	return true
}

func dropCell[T any, PF interface {
	*F
	Future[T]
}, F any](h *header) {
	DropFuture(PF(&cellOf[T, F](h).future))
}

func resetCell[T, F any](h *header) {
	c := cellOf[T, F](h)
	var zt T
	var zf F
	c.output = zt
	c.future = zf
}

// A JoinHandle awaits a spawned task's output: it is itself a future, which
// a task on the same executor polls (Rust's JoinHandle, restricted to the
// executor's own tasks, as a thread-per-core runtime does). The zero
// JoinHandle stands for a task that never ran (spawned on a closed
// executor) and is ready at once with the zero T.
//
// A JoinHandle that is neither awaited to completion nor dropped keeps its
// task out of the pool (the garbage collector still reclaims it).
type JoinHandle[T any] struct {
	core *taskCore[T]
}

// Poll returns the task's output once it has completed, taking it; an
// aborted task yields the zero T. It must be called by a task of the same
// executor.
func (j *JoinHandle[T]) Poll(cx *Context) Poll[T] {
	c := j.core
	if c == nil {
		var zero T
		return Ready(zero)
	}
	h := &c.header
	e := h.exec
	if cx.exec != e {
		panic("futures: JoinHandle polled outside its task's executor")
	}
	if h.state&taskComplete == 0 {
		h.joinWake.CloneFrom(cx.Waker())
		return Pending[T]()
	}
	out := c.output
	var zero T
	c.output = zero
	j.core = nil
	h.joinWake.Drop()
	h.state &^= taskJoinInterest
	h.refs--
	e.releaseIfUnused(h)
	return Ready(out)
}

// Drop gives up interest in the task's output; the task runs on. It is
// called on the executor's goroutine (by a task, or by a combinator that
// abandons the handle).
func (j *JoinHandle[T]) Drop() {
	c := j.core
	if c == nil {
		return
	}
	h := &c.header
	e := h.exec
	if !e.onOwner() {
		panic("futures: JoinHandle dropped outside its task's executor")
	}
	j.core = nil
	var zero T
	c.output = zero
	h.joinWake.Drop()
	h.state &^= taskJoinInterest
	h.refs--
	e.releaseIfUnused(h)
}

// IsFinished reports whether the task has completed (or been aborted).
func (j *JoinHandle[T]) IsFinished() bool {
	return j.core == nil || j.core.state&taskComplete != 0
}

// Abort cancels the task: its future is dropped (releasing whatever it had
// registered) and it is never polled again; an awaiting JoinHandle is
// ready with the zero T. Abort reports whether it cancelled the task: false
// if the task had already completed. A task aborting itself from inside its
// own poll is cancelled when that poll returns. Abort is called on the
// executor's goroutine.
func (j *JoinHandle[T]) Abort() bool {
	c := j.core
	if c == nil {
		return false
	}
	e := c.exec
	if !e.onOwner() {
		panic("futures: JoinHandle aborted outside its task's executor")
	}
	return e.abort(&c.header)
}
