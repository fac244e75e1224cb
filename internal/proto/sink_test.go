package proto

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"iostrat"
)

func frame(payload []byte) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(len(payload))), payload...)
}

func TestSinkAcksEveryFrameInAnySplit(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var stream, want []byte
	for _, n := range []int{0, 1, 7, 8, 9, 1000, 70000} {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(r.Uint32())
		}
		stream = append(stream, frame(p)...)
		want = binary.BigEndian.AppendUint64(want, uint64(n))
		want = binary.BigEndian.AppendUint64(want, SinkHash(p))
	}
	for _, chunk := range []int{1, 3, 8, 4096, len(stream)} {
		h := Sink{}.NewHandler()
		var out []byte
		for rest := stream; len(rest) > 0; {
			n := min(chunk, len(rest))
			var a iostrat.Action
			out, a = h.Handle(rest[:n], out)
			if a != iostrat.Continue {
				t.Fatalf("chunk %d: action %v", chunk, a)
			}
			rest = rest[n:]
		}
		h.Close()
		if !bytes.Equal(out, want) {
			t.Fatalf("chunk %d: acks differ\n got %x\nwant %x", chunk, out, want)
		}
	}
}

func TestSinkRefusesHugeFrame(t *testing.T) {
	h := Sink{}.NewHandler()
	defer h.Close()
	out, a := h.Handle(binary.BigEndian.AppendUint64(nil, MaxSinkFrame+1), nil)
	if a != iostrat.CloseAfterWrite || len(out) != 0 {
		t.Fatalf("oversized frame: %q, %v", out, a)
	}
	if _, a := h.Handle([]byte("more"), nil); a != iostrat.CloseAfterWrite {
		t.Fatal("input after refusal was accepted")
	}
}

func TestSinkNoAllocs(t *testing.T) {
	h := Sink{}.NewHandler()
	defer h.Close()
	in := frame(make([]byte, 4096))
	out := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { out, _ = h.Handle(in, out[:0]) }); n != 0 {
		t.Fatalf("%v allocs per frame", n)
	}
}
