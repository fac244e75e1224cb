package proto

import (
	"encoding/binary"
	"hash/fnv"
	"sync"

	"iostrat"
)

// Sink is the bulk one-way protocol of the pump benchmark: the client sends
// frames and the server only acknowledges them, so nearly every byte moves
// one way while the client can still verify that all of them arrived.
//
//	client → server   [8-byte big-endian payload length][payload]
//	server → client   [8-byte big-endian payload length][8-byte big-endian FNV-1a 64 of the payload]
//
// The acknowledgement is sent once the whole frame has been consumed. A
// frame longer than [MaxSinkFrame] is refused by closing the connection.
type Sink struct{}

// MaxSinkFrame is the largest payload a sink frame may carry.
const MaxSinkFrame = 64 << 20

// SinkAckSize is the size of one acknowledgement.
const SinkAckSize = 16

var (
	_ iostrat.Protocol = Sink{}
	_ iostrat.Handler  = (*sinkHandler)(nil)
)

// Name returns "sink".
func (Sink) Name() string { return "sink" }

var sinkPool = sync.Pool{New: func() any { return new(sinkHandler) }}

// NewHandler returns a sink session from a pool; Close returns it.
func (Sink) NewHandler() iostrat.Handler {
	h := sinkPool.Get().(*sinkHandler)
	h.reset()
	return h
}

// sinkHandler states: reading the 8-byte length (header holds what has
// arrived), then reading remaining payload bytes while hashing them.
type sinkHandler struct {
	header    [8]byte
	have      int    // header bytes received
	length    uint64 // payload length of the current frame
	remaining uint64 // payload bytes still to come; 0 while reading a header
	inFrame   bool
	hash      uint64
	closed    bool
}

func (h *sinkHandler) reset() { *h = sinkHandler{} }

// Handle consumes frames and appends one acknowledgement per complete frame.
func (h *sinkHandler) Handle(in, out []byte) ([]byte, iostrat.Action) {
	if h.closed {
		return out, iostrat.CloseAfterWrite
	}
	for len(in) > 0 {
		if !h.inFrame {
			n := copy(h.header[h.have:], in)
			h.have += n
			in = in[n:]
			if h.have < len(h.header) {
				break
			}
			h.length = binary.BigEndian.Uint64(h.header[:])
			if h.length > MaxSinkFrame {
				h.closed = true
				return out, iostrat.CloseAfterWrite
			}
			h.remaining, h.inFrame, h.hash = h.length, true, fnvOffset
		}
		n := min(uint64(len(in)), h.remaining)
		h.hash = fnvUpdate(h.hash, in[:n])
		in = in[n:]
		h.remaining -= n
		if h.remaining == 0 {
			out = binary.BigEndian.AppendUint64(out, h.length)
			out = binary.BigEndian.AppendUint64(out, h.hash)
			h.inFrame, h.have = false, 0
		}
	}
	return out, iostrat.Continue
}

// Close returns the session to its pool.
func (h *sinkHandler) Close() {
	h.reset()
	sinkPool.Put(h)
}

// FNV-1a 64, inlined so hashing a frame allocates nothing (hash/fnv's
// Hash64 is an interface value).
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvUpdate(h uint64, p []byte) uint64 {
	for _, b := range p {
		h ^= uint64(b)
		h *= fnvPrime
	}
	return h
}

// SinkHash is the FNV-1a 64 hash a sink acknowledgement carries for
// payload, computed with hash/fnv so clients check against the standard
// library rather than this package's own loop.
func SinkHash(payload []byte) uint64 {
	f := fnv.New64a()
	f.Write(payload)
	return f.Sum64()
}
