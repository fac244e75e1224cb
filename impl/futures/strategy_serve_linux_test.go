package futures

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"iostrat"
	"iostrat/internal/proto"
)

// connState is what inspect reports about the connections of a loop.
type connState struct {
	conns, paused, maxPending int
}

// inspectOp reads the connections' state on their loop's goroutine.
type inspectOp struct {
	lp  *loop
	out chan connState
}

func (op *inspectOp) runOnOwner(*Executor) {
	var s connState
	for c := range op.lp.conns {
		s.conns++
		if c.paused {
			s.paused++
		}
		s.maxPending = max(s.maxPending, len(c.out)-c.off)
	}
	op.out <- s
}

func inspect(lp *loop) connState {
	out := make(chan connState, 1)
	lp.e.post(inboxEntry{op: &inspectOp{lp: lp, out: out}})
	return <-out
}

// A client that writes without reading: the server's pending output
// reaches the high-water mark, it stops reading that connection (so the
// output it holds stays bounded), and resumes once the client reads; every
// byte comes back in order.
func TestServeBackpressure(t *testing.T) {
	const (
		highWater = 64 << 10
		readBuf   = 16 << 10
		total     = 8 << 20
	)
	rt, err := Strategy{}.Start(iostrat.Options{Loops: 1, HighWater: highWater, ReadBuffer: readBuf})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := rt.Serve(ln, proto.Echo{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	c, err := net.Dial("tcp", svc.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	msg := make([]byte, total)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range msg {
		msg[i] = byte(rng.Uint32())
	}
	werr := make(chan error, 1)
	go func() { _, err := c.Write(msg); werr <- err }()

	lp := rt.(*strategyRuntime).loops[0]
	deadline := time.Now().Add(time.Minute)
	var s connState
	for s = inspect(lp); s.paused == 0; s = inspect(lp) {
		if time.Now().After(deadline) {
			t.Fatalf("the connection never paused reading: %+v", s)
		}
		time.Sleep(time.Millisecond)
	}
	if s.maxPending > highWater+readBuf {
		t.Fatalf("%d bytes pending while paused, want at most high water + one read = %d", s.maxPending, highWater+readBuf)
	}
	got := make([]byte, total)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("echo differs from what was sent")
	}
	if s := inspect(lp); s.paused != 0 {
		t.Fatalf("still paused after the client read everything: %+v", s)
	}
}
