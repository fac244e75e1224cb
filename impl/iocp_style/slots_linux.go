package iocpstyle

import (
	"errors"

	"iostrat/internal/timerheap"
)

// Slot lifetimes. Every submitted operation occupies one slot from Submit
// until its final completion is returned; the slot is what the kernel's
// user_data (or the emulated backend's queues) name, by index and
// generation, never by pointer.
//
//	state      meaning                                   next
//	free       on the free list; gen is the next to use   -> busy       (Submit)
//	busy       in flight; owns the op's buffer/timespec   -> cancelling (Cancel)
//	                                                      -> free       (final completion: gen++, buffer dropped)
//	cancelling a cancel was sent; still in flight         -> free       (final completion)
//
// A slot is never freed while a completion for it may still arrive: a
// multishot operation keeps its slot until the completion without More.
// The generation, checked on every completion, makes a stale user_data (a
// bug) visible instead of misdelivering.
type slotState uint8

const (
	slotFree       slotState = iota // on the free list
	slotBusy                        // operation in flight
	slotCancelling                  // in flight, cancel requested
)

// An OpID, and the low 56 bits of an operation's io_uring user_data:
//
//	bits 32-55  slot generation (24 bits)
//	bits 24-31  OpKind
//	bits  0-23  slot index (at most 1<<24 operations in flight)
const (
	genBits   = 24
	genMask   = 1<<genBits - 1
	indexBits = 24
	indexMask = 1<<indexBits - 1
	maxSlots  = 1 << indexBits
)

// errTooManyOps: the slot table is full.
var errTooManyOps = errors.New("iocpstyle: 16M operations in flight")

// slot is one operation in flight. Slots live in fixed-size chunks so
// their addresses never change: the timer heaps point at slots.
type slot struct {
	gen       uint32 // generation of the current (or next) operation
	next      int32  // free list link, -1 at the end
	state     slotState
	kind      OpKind
	multishot bool
	provided  bool                    // receive into a provided buffer
	anonFD    bool                    // read or write of an anonymous-inode fd on a netpoll-parked ring (see park_linux.go)
	fd        int32                   // the op's fd (emulated queues, cancel)
	token     Token                   // the caller's token
	buf       []byte                  // the lent buffer: referenced until the final completion
	timer     timerheap.Timer[uint32] // OpTimeout's deadline, in the port's timer heap
}

// slotChunk is the number of slots allocated at once.
const slotChunk = 256

// slotTable is the set of slots of one port, owned by its thread.
type slotTable struct {
	chunks []*[slotChunk]slot
	free   int32 // head of the free list, -1 if empty
	busy   int   // slots in flight
}

func newSlotTable() slotTable { return slotTable{free: -1} }

// at returns slot i.
func (t *slotTable) at(i uint32) *slot { return &t.chunks[i/slotChunk][i%slotChunk] }

// len is the number of slots allocated.
func (t *slotTable) len() int { return len(t.chunks) * slotChunk }

// alloc takes a free slot, growing the table by a chunk when none is
// left; it returns nil when the table holds maxSlots.
func (t *slotTable) alloc() (uint32, *slot) {
	if t.free < 0 {
		if t.len() >= maxSlots {
			return 0, nil
		}
		base := int32(t.len())
		c := new([slotChunk]slot)
		for i := range c {
			c[i].next = base + int32(i) + 1
			c[i].gen = 1
		}
		c[slotChunk-1].next = -1
		t.chunks = append(t.chunks, c)
		t.free = base
	}
	i := uint32(t.free)
	s := t.at(i)
	t.free = s.next
	s.state = slotBusy
	t.busy++
	return i, s
}

// release frees slot i after its final completion: the buffer is dropped
// and the generation moves on.
func (t *slotTable) release(i uint32, s *slot) {
	s.buf = nil
	s.token = 0
	s.state = slotFree
	s.multishot = false
	s.provided = false
	s.anonFD = false
	s.gen = (s.gen + 1) & genMask
	if s.gen == 0 {
		s.gen = 1 // generation 0 is never used, so OpID 0 names nothing
	}
	s.next = t.free
	t.free = int32(i)
	t.busy--
}

// id names slot i's current operation.
func (s *slot) id(i uint32) OpID {
	return OpID(uint64(s.gen)<<32 | uint64(s.kind)<<indexBits | uint64(i))
}

// lookup returns the busy slot id names, or nil: an id of an operation
// that has completed (its slot freed, or reused under a new generation)
// names nothing.
func (t *slotTable) lookup(id OpID) (uint32, *slot) {
	i := uint32(id) & indexMask
	if int(i) >= t.len() || uint64(id)>>(32+genBits) != 0 {
		return 0, nil
	}
	s := t.at(i)
	if s.state == slotFree || s.id(i) != id {
		return 0, nil
	}
	return i, s
}
