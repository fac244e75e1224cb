package bench

import (
	"fmt"
	"testing"

	"iostrat"
	"iostrat/internal/loadgen"
	"iostrat/internal/proto"
)

// I/O workloads over loopback TCP, or, with -iostrat.remote, to a server
// the agent runs on another machine (remote_test.go). The client is
// internal/loadgen, the same for every strategy, in a child process
// (client_test.go), pinned to a CPU the server's budget leaves free. Every
// workload meets its server through withServer (server_test.go); Echo and
// HTTP also meet outside servers, with -iostrat.anchor-servers
// (forEachIOServer, anchor_server_test.go).
const (
	echoRounds   = 20      // round trips per connection per call
	pumpFrame    = 1 << 20 // bytes per sink frame (libuv pump moves 64 KiB writes; frames are acked)
	pumpFrames   = 8       // frames per connection per call
	httpBursts   = 20      // bursts per connection per call
	churnPerCall = 100     // connections opened, used and closed per call
	churnWorkers = 4       // concurrent churning clients (Go TCP4OneShot runs GOMAXPROCS-parallel)
)

var (
	echoConns   = []int{1, 16, 256}            // libuv ping_pongs uses 1; Go TCP4Persistent many
	echoSizes   = []int{64, 1 << 10, 16 << 10} // 64 B to 16 KiB
	pumpConns   = []int{1, 8}                  // libuv pump: 1 and 100 streams, scaled to 2 cores
	httpConns   = []int{16, 256}               // TechEmpower plaintext runs 256+; 16 is the light case
	httpDepths  = []int{1, 16}                 // TechEmpower plaintext pipelines 16
	churnProtos = []string{"echo", "http"}     // one echo or one GET per connection
	_           = []iostrat.Protocol{proto.Echo{}, proto.HTTP{}, proto.Sink{}}
)

func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// BenchmarkEcho: every connection does round trips of size bytes, written
// while the reply is read and checked byte for byte.
func BenchmarkEcho(b *testing.B) {
	rounds := size(echoRounds, 5)
	forEachIOServer(b, proto.Echo{}, func(b *testing.B, serve serveFunc) {
		for _, conns := range echoConns {
			for _, sz := range echoSizes {
				b.Run(fmt.Sprintf("conns=%d/size=%s", conns, sizeName(sz)), func(b *testing.B) {
					serve(b, func(srv server, addr string) {
						client := startClient(b)
						mustCall(b, client, loadgen.Request{Op: loadgen.OpDialEcho, Addr: addr, Conns: conns, Size: sz})
						b.SetBytes(int64(sz * conns * rounds))
						measureIO(b, srv, client, unitMsg, conns*rounds, func() error {
							_, err := client.Call(loadgen.Request{Op: loadgen.OpRun, N: rounds})
							return err
						})
						mustCall(b, client, loadgen.Request{Op: loadgen.OpClose})
					})
				})
			}
		}
	})
}

// BenchmarkPump: bulk one-way transfer; the server acknowledges each frame
// with its length and hash (proto.Sink), so the client knows every byte
// arrived.
func BenchmarkPump(b *testing.B) {
	frames := size(pumpFrames, 2)
	forEachIOStrategy(b, func(b *testing.B, s iostrat.Strategy) {
		for _, conns := range pumpConns {
			b.Run(fmt.Sprintf("conns=%d/frame=%s", conns, sizeName(pumpFrame)), func(b *testing.B) {
				withServer(b, s, proto.Sink{}, func(srv server, addr string) {
					client := startClient(b)
					mustCall(b, client, loadgen.Request{Op: loadgen.OpDialPump, Addr: addr, Conns: conns, Size: pumpFrame})
					want := int64(pumpFrame * frames * conns)
					b.SetBytes(want)
					measureIO(b, srv, client, unitMsg, frames*conns, func() error {
						resp, err := client.Call(loadgen.Request{Op: loadgen.OpRun, N: frames})
						if err == nil && resp.Bytes != want {
							err = fmt.Errorf("pump moved %d bytes, want %d", resp.Bytes, want)
						}
						return err
					})
					mustCall(b, client, loadgen.Request{Op: loadgen.OpClose})
				})
			})
		}
	})
}

// BenchmarkHTTP: HTTP/1.1 plaintext, every response parsed and checked.
func BenchmarkHTTP(b *testing.B) {
	bursts := size(httpBursts, 5)
	forEachIOServer(b, proto.HTTP{}, func(b *testing.B, serve serveFunc) {
		for _, conns := range httpConns {
			for _, depth := range httpDepths {
				b.Run(fmt.Sprintf("conns=%d/pipeline=%d", conns, depth), func(b *testing.B) {
					serve(b, func(srv server, addr string) {
						client := startClient(b)
						mustCall(b, client, loadgen.Request{Op: loadgen.OpDialHTTP, Addr: addr, Conns: conns, Size: depth})
						want := uint64(conns * depth * bursts)
						ns := measureIO(b, srv, client, unitReq, conns*depth*bursts, func() error {
							resp, err := client.Call(loadgen.Request{Op: loadgen.OpRun, N: bursts})
							if err == nil && (resp.OK != want || resp.NotOK != 0) {
								err = fmt.Errorf("%d ok and %d not-ok responses, want %d ok", resp.OK, resp.NotOK, want)
							}
							return err
						})
						reportRate(b, ns, unitReqPerS)
						mustCall(b, client, loadgen.Request{Op: loadgen.OpClose})
					})
				})
			}
		}
	})
}

// BenchmarkChurn: connect, one request, close, repeated by a few clients at
// once: the cost of accepting, registering and closing connections.
func BenchmarkChurn(b *testing.B) {
	perCall := size(churnPerCall, 20)
	forEachIOStrategy(b, func(b *testing.B, s iostrat.Strategy) {
		for _, name := range churnProtos {
			p, err := proto.ByName(name)
			if err != nil {
				b.Fatal(err)
			}
			b.Run("proto="+name, func(b *testing.B) {
				withServer(b, s, p, func(srv server, addr string) {
					client := startClient(b)
					ns := measureIO(b, srv, client, unitConn, perCall, func() error {
						_, err := client.Call(loadgen.Request{Op: loadgen.OpChurn, Addr: addr, Proto: name, N: perCall, Workers: churnWorkers})
						return err
					})
					reportRate(b, ns, unitConnPS)
				})
			})
		}
	})
}
