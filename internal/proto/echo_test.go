package proto

import (
	"bytes"
	"testing"

	"iostrat"
)

func TestEcho(t *testing.T) {
	h := Echo{}.NewHandler()
	defer h.Close()
	out := []byte("kept:")
	for _, in := range []string{"", "a", "hello\r\n", "\x00\xff binary", string(bytes.Repeat([]byte{'z'}, 70000))} {
		before := string(out)
		var action iostrat.Action
		out, action = h.Handle([]byte(in), out)
		if action != iostrat.Continue {
			t.Fatalf("Handle(%d bytes): action %d, want Continue", len(in), action)
		}
		if string(out) != before+in {
			t.Fatalf("Handle(%d bytes) did not append exactly its input", len(in))
		}
	}
}

func TestEchoNoAllocs(t *testing.T) {
	in := bytes.Repeat([]byte{'e'}, 4096)
	out := make([]byte, 0, len(in))
	n := testing.AllocsPerRun(1000, func() {
		h := Echo{}.NewHandler()
		out, _ = h.Handle(in, out[:0])
		h.Close()
	})
	if n != 0 {
		t.Errorf("%v allocations per session, want 0", n)
	}
}
