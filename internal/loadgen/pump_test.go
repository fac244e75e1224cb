package loadgen

import (
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"iostrat/internal/proto"
)

func dialPump(t *testing.T, addr string, conns, frame int) *Pump {
	t.Helper()
	p, err := DialPump(addr, conns, frame)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestPump(t *testing.T) {
	checkLeaks(t)
	for _, frame := range []int{1, 64 << 10, 1 << 20} {
		for _, conns := range []int{1, 2} {
			t.Run(fmt.Sprintf("frame=%d/conns=%d", frame, conns), func(t *testing.T) {
				var consumed atomic.Int64
				srv := startServer(t, sinkServer(sinkOK, &consumed))
				p := dialPump(t, srv.Addr(), conns, frame)
				frames := max(3, min(100, (4<<20)/frame/conns))
				for run := range 2 {
					n, err := p.Run(frames)
					if err != nil {
						t.Fatalf("run %d: %v", run, err)
					}
					if want := int64(conns * frames * frame); n != want {
						t.Errorf("run %d: %d bytes acknowledged, want %d", run, n, want)
					}
				}
				if want := int64(2 * conns * frames); consumed.Load() != want {
					t.Errorf("server consumed %d frames, want %d", consumed.Load(), want)
				}
			})
		}
	}
}

func TestPumpVerifiesAcks(t *testing.T) {
	checkLeaks(t)
	for _, tc := range []struct {
		fault sinkFault
		want  []string
	}{
		{sinkShortAck, []string{"closed the connection after 8 of 16 bytes"}},
		{sinkWrongHash, []string{"hash"}},
		{sinkWrongLength, []string{"length 1001, want 1000"}},
	} {
		srv := startServer(t, sinkServer(tc.fault, nil))
		p := dialPump(t, srv.Addr(), 2, 1000)
		_, err := p.Run(5)
		wantErr(t, err, append(tc.want, "pump", "acknowledgement of frame 0")...)
		_, err = p.Run(1)
		wantErr(t, err, "unusable")
	}
}

func TestPumpStallFailsTheRun(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, sinkServer(sinkNoAck, nil))
	p := dialPump(t, srv.Addr(), 1, 1<<20)
	p.StallTimeout = 200 * time.Millisecond
	_, err := p.Run(10)
	wantErr(t, err, "pump", "no frame completed")
}

func TestPumpServerStopsReading(t *testing.T) {
	checkLeaks(t)
	// The server reads a little, then nothing: the driver blocks in a
	// write, and the stall watchdog must still end the run.
	release := make(chan struct{})
	srv := startServer(t, func(c net.Conn) {
		c.Read(make([]byte, 100))
		<-release
	})
	t.Cleanup(func() { close(release) })   // before the server's Close
	p := dialPump(t, srv.Addr(), 1, 8<<20) // two in flight outgrow the socket buffers
	p.StallTimeout = 200 * time.Millisecond
	_, err := p.Run(4)
	wantErr(t, err, "pump", "no frame completed")
}

func TestPumpKeepsTwoFramesInFlight(t *testing.T) {
	checkLeaks(t)
	var waited atomic.Int64
	srv := startServer(t, lazySinkServer(time.Second, &waited))
	p := dialPump(t, srv.Addr(), 1, 10<<10)
	n, err := p.Run(20)
	if err != nil {
		t.Fatal(err)
	}
	if n != 20*10<<10 {
		t.Errorf("%d bytes acknowledged, want %d", n, 20*10<<10)
	}
	// Only the run's last frame has no next frame behind it.
	if waited.Load() != 1 {
		t.Errorf("the server waited for a next frame %d times in 20 frames, want once", waited.Load())
	}
}

// The real sink and echo protocols, served as every strategy serves them.
func TestAgainstProtoHandlers(t *testing.T) {
	checkLeaks(t)
	sink := startServer(t, protocolServer(proto.Sink{}, 0, nil))
	p := dialPump(t, sink.Addr(), 2, 100<<10)
	if n, err := p.Run(10); err != nil || n != 2*10*100<<10 {
		t.Errorf("pump: %d bytes, %v", n, err)
	}
	echo := startServer(t, protocolServer(proto.Echo{}, 0, nil))
	e := dialEcho(t, echo.Addr(), 2, 1000)
	if err := e.Run(10); err != nil {
		t.Error(err)
	}
}
