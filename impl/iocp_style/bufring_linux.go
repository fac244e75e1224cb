package iocpstyle

import (
	"fmt"
	"math/bits"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// bufRing is a provided-buffer ring (IORING_REGISTER_PBUF_RING): a pool of
// receive buffers the kernel picks from when data arrives, so a receive
// that is merely armed holds no memory. The kernel consumes entries from
// the ring's head; we refill at the tail.
//
// Buffer lifetimes:
//
//	in ring  available to the kernel                -> lent (a CQE names it, IORING_CQE_F_BUFFER)
//	lent     in a Completion handed to the caller   -> in ring (the next Wait recycles it)
//
// Both the ring and the buffers are anonymous mmaps: outside the Go heap,
// never moved, and alive until free, which runs after the ring is closed or
// the group unregistered.
type bufRing struct {
	ringMem []byte     // the entries, page aligned as the kernel requires
	entries []bufEntry // view of ringMem
	mem     []byte     // count buffers of size bytes
	size    int
	mask    uint16
	bgid    uint16
	tail    uint16   // next entry to fill; published by publish
	bid0    uint16   // the bid last written to entry 0 (see publish)
	lent    []uint16 // buffers handed out since the last recycle
}

// newBufRing maps count buffers of size bytes and registers them with r as
// buffer group bgid. count is rounded up to a power of two.
func newBufRing(r *ring, bgid uint16, count, size int) (*bufRing, error) {
	if count < 1 || count > 1<<15 || size < 1 || size > 1<<30 {
		return nil, fmt.Errorf("provided buffers: %d x %d bytes out of range", count, size)
	}
	count = 1 << bits.Len(uint(count-1))
	b := &bufRing{size: size, mask: uint16(count - 1), bgid: bgid}
	var err error
	pageAligned := (count*int(unsafe.Sizeof(bufEntry{})) + 4095) &^ 4095
	prot, flags := unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS
	if b.ringMem, err = unix.Mmap(-1, 0, pageAligned, prot, flags); err != nil {
		return nil, fmt.Errorf("mmap buffer ring: %w", err)
	}
	if b.mem, err = unix.Mmap(-1, 0, count*size, prot, flags); err != nil {
		b.free()
		return nil, fmt.Errorf("mmap buffers: %w", err)
	}
	// Safety: ringMem is a fresh anonymous mapping of at least count
	// entries, alive until free.
	b.entries = unsafe.Slice((*bufEntry)(unsafe.Pointer(&b.ringMem[0])), count)
	reg := &bufReg{
		// Safety: the address of an mmap, which the kernel pins; it is
		// unregistered before free unmaps it.
		ringAddr:    uint64(uintptr(unsafe.Pointer(&b.ringMem[0]))),
		ringEntries: uint32(count),
		bgid:        bgid,
	}
	// Safety: reg is heap memory, used by the kernel only during the call.
	if _, err := r.register(registerPbufRing, unsafe.Pointer(reg), 1); err != nil {
		b.free()
		return nil, fmt.Errorf("IORING_REGISTER_PBUF_RING: %w", err)
	}
	for bid := range count {
		b.add(uint16(bid))
	}
	b.publish()
	return b, nil
}

// add puts buffer bid at the tail; publish makes it visible.
func (b *bufRing) add(bid uint16) {
	i := b.tail & b.mask
	e := &b.entries[i]
	// Safety: bid < count, so the buffer lies inside mem, an mmap alive
	// until free.
	e.addr = uint64(uintptr(unsafe.Pointer(&b.mem[int(bid)*b.size])))
	e.len = uint32(b.size)
	e.bid = bid
	if i == 0 {
		b.bid0 = bid
	}
	b.tail++
}

// publish stores the tail, releasing the entries added before it. The
// kernel reads the 16-bit tail, which overlays entry 0's last field; Go
// has no 16-bit atomics, so the store covers the aligned 32-bit word of
// entry 0's bid and the tail. The bid half is rewritten with the value it
// already holds: entry 0 is either not in the ring (we may write it) or in
// the ring, unchanged, and then we write what is there.
func (b *bufRing) publish() {
	// Safety: the word at offset 12 of entry 0 is inside ringMem, 4-byte
	// aligned (ringMem is page aligned).
	word := (*uint32)(unsafe.Pointer(&b.ringMem[12]))
	atomic.StoreUint32(word, uint32(b.bid0)|uint32(b.tail)<<16)
}

// lend returns the n bytes the kernel received into buffer bid and records
// the buffer as lent until the next recycle.
func (b *bufRing) lend(bid uint16, n int) []byte {
	b.lent = append(b.lent, bid)
	off := int(bid) * b.size
	n = max(n, 0)
	return b.mem[off : off+n : off+n]
}

// recycle puts every lent buffer back in the ring.
func (b *bufRing) recycle() {
	if len(b.lent) == 0 {
		return
	}
	for _, bid := range b.lent {
		b.add(bid)
	}
	b.lent = b.lent[:0]
	b.publish()
}

// unregister removes the group from r; the kernel then no longer touches
// the ring or the buffers.
func (b *bufRing) unregister(r *ring) {
	reg := &bufReg{bgid: b.bgid}
	// Safety: heap memory, used by the kernel only during the call.
	r.register(unregisterPbufRing, unsafe.Pointer(reg), 1)
}

// free unmaps the ring and the buffers.
func (b *bufRing) free() {
	if b.mem != nil {
		unix.Munmap(b.mem)
		b.mem = nil
	}
	if b.ringMem != nil {
		unix.Munmap(b.ringMem)
		b.ringMem = nil
	}
	b.entries = nil
}
