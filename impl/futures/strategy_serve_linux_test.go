package futures

import (
	"net"
	"testing"

	"iostrat"
	"iostrat/internal/proto"
)

// Serve passes Options.HighWater and ReadBuffer to its Server: a client
// that writes without reading is paused at the high-water mark (see
// checkBackpressure), and every byte comes back in order.
func TestServeBackpressure(t *testing.T) {
	const (
		highWater = 64 << 10
		readBuf   = 16 << 10
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
	s := svc.(interface{ Unwrap() iostrat.Service }).Unwrap().(*Server)
	if s.cfg.HighWater != highWater || len(s.shares[0].readBuf) != readBuf {
		t.Fatalf("Server high water %d, read buffer %d; want Options' %d, %d", s.cfg.HighWater, len(s.shares[0].readBuf), highWater, readBuf)
	}
	checkBackpressure(t, s, highWater, readBuf)
}
