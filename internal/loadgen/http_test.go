package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"iostrat/internal/proto"
)

func dialHTTP(t *testing.T, addr string, conns, pipeline int) *HTTP {
	t.Helper()
	h, err := DialHTTP(addr, conns, pipeline)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func TestHTTPPipelined(t *testing.T) {
	checkLeaks(t)
	// 600 requests make a burst over inlineWriteMax, written by the helper.
	for _, pipeline := range []int{1, 16, 600} {
		t.Run(fmt.Sprintf("pipeline=%d", pipeline), func(t *testing.T) {
			var answered atomic.Int64
			srv := startServer(t, httpServer(0, &answered))
			const conns = 3
			h := dialHTTP(t, srv.Addr(), conns, pipeline)
			bursts := max(2, 600/pipeline)
			for run := range 2 {
				res, err := h.Run(bursts)
				if err != nil {
					t.Fatalf("run %d: %v", run, err)
				}
				want := uint64(conns * bursts * pipeline)
				if res.Responses != want || res.OK != want || res.NotOK != 0 {
					t.Errorf("run %d: %+v, want %d responses, all OK", run, res, want)
				}
				if res.BytesRead < int64(want)*int64(len("HTTP/1.1 200 OK\r\n\r\n"+proto.PlaintextBody)) {
					t.Errorf("run %d: %d bytes read for %d responses", run, res.BytesRead, want)
				}
			}
			if want := int64(2 * conns * bursts * pipeline); answered.Load() != want {
				t.Errorf("server answered %d requests, want %d", answered.Load(), want)
			}
		})
	}
}

func TestHTTPCountsNotOK(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, fixedHTTPServer("HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\nNot Found\n"))
	h := dialHTTP(t, srv.Addr(), 2, 4)
	res, err := h.Run(5)
	if err != nil {
		t.Fatal(err)
	}
	if res.Responses != 40 || res.OK != 0 || res.NotOK != 40 {
		t.Errorf("%+v, want 40 responses, all not OK", res)
	}
}

func TestHTTPDetectsWrongBody(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, fixedHTTPServer("HTTP/1.1 200 OK\r\nServer: x\r\nContent-Type: text/plain\r\n"+
		"Content-Length: 13\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\nHello, World?"))
	h := dialHTTP(t, srv.Addr(), 1, 3)
	_, err := h.Run(2)
	if !errors.Is(err, proto.ErrBadResponse) {
		t.Errorf("error %v, want one wrapping proto.ErrBadResponse", err)
	}
	wantErr(t, err, "http", "connection 0", "burst 0", "response 1 of 3", "body")
}

func TestHTTPConnectionClose(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, fixedHTTPServer("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"))
	h := dialHTTP(t, srv.Addr(), 1, 1)
	res, err := h.Run(3)
	wantErr(t, err, "connection 0", "burst 0", "503", "Connection: close")
	if res.NotOK != 1 {
		t.Errorf("%+v, want the one 503 counted", res)
	}
}

func TestHTTPServerCloses(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, closingServer(0))
	h := dialHTTP(t, srv.Addr(), 1, 2)
	_, err := h.Run(1)
	wantErr(t, err, "connection 0", "burst 0", "0 of 2 responses")
}

func TestHTTPStallFailsTheRun(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, silentServer)
	h := dialHTTP(t, srv.Addr(), 1, 2)
	h.StallTimeout = 200 * time.Millisecond
	_, err := h.Run(1)
	wantErr(t, err, "http", "no burst completed")
}

func TestHTTPRunFor(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, httpServer(0, nil))
	h := dialHTTP(t, srv.Addr(), 2, 8)
	res, err := h.RunFor(context.Background(), 300*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Responses == 0 || res.Responses%8 != 0 || res.OK != res.Responses || res.Elapsed <= 0 {
		t.Errorf("result %+v", res)
	}
}

func TestHTTPAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops sync.Pool items at random, so pooled buffers allocate")
	}
	checkLeaks(t)
	srv := startServer(t, httpServer(0, nil))
	h := dialHTTP(t, srv.Addr(), 2, 16)
	const bursts = 100
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := h.Run(bursts); err != nil {
			t.Fatal(err)
		}
	})
	// A response split across reads borrows a pooled buffer, which a GC
	// may have emptied: allow a little, far below one per request.
	if allocs > 2 {
		t.Errorf("%v allocations per Run(%d) of 16-request bursts, want about 0", allocs, bursts)
	}
}
