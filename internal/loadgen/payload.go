package loadgen

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
)

// echoShifts is the number of different messages an echo connection cycles
// through. It is prime, so no message size lines the shifts up with a
// pattern in the data.
const echoShifts = 251

// A payload is the bytes a connection sends: a random pattern from which
// message k is cut at offset k mod shifts. Consecutive messages differ, so
// a server that echoes a stale buffer is caught, yet making a message costs
// nothing: it is a subslice of the pattern, never written to after setup.
type payload struct {
	pattern []byte
	size    int
	shifts  int
}

// newPayload makes a payload of messages of size bytes in shifts variants,
// random but reproducible from seed, so a failure can be replayed.
func newPayload(size, shifts int, seed uint64) payload {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	binary.LittleEndian.PutUint64(key[8:], uint64(size))
	pattern := make([]byte, size+shifts-1)
	rand.NewChaCha8(key).Read(pattern)
	return payload{pattern: pattern, size: size, shifts: shifts}
}

// offset is where message k starts in the pattern.
func (p payload) offset(k uint64) int { return int(k % uint64(p.shifts)) }

// message returns message k.
func (p payload) message(k uint64) []byte {
	off := p.offset(k)
	return p.pattern[off : off+p.size]
}

// mismatch describes how got differs from want, for an error message. got
// and want have the same length and are known to differ.
func mismatch(got, want []byte) string {
	for i := range got {
		if got[i] != want[i] {
			return fmt.Sprintf("byte %d of %d is %#02x, want %#02x", i, len(want), got[i], want[i])
		}
	}
	return "bytes differ"
}
