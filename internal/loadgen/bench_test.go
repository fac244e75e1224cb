package loadgen

import (
	"fmt"
	"testing"
	"time"
)

// The benchmarks measure the client against trivial in-process servers
// (the test servers: a goroutine per connection). Client and server share
// the machine, so ns/request is a whole round trip, both sides and the
// kernel between them. allocs/op counts the whole process, but the test
// servers allocate nothing per request, so it is the client's.

// benchRounds is the round trips (echo) or bursts (http) of one iteration:
// Run(1) shows the per-run dispatch cost, Run(100) the per-request cost.
var benchRounds = []int{1, 100}

func BenchmarkEcho(b *testing.B) {
	for _, conns := range []int{1, 16} {
		for _, size := range []int{64, 4 << 10, inlineWriteMax, inlineWriteMax + 1, 64 << 10} {
			for _, rounds := range benchRounds {
				b.Run(fmt.Sprintf("conns=%d/size=%dB/rounds=%d", conns, size, rounds), func(b *testing.B) {
					srv := startServer(b, echoServer(nil))
					e, err := DialEcho(srv.Addr(), conns, size)
					if err != nil {
						b.Fatal(err)
					}
					defer e.Close()
					b.ReportAllocs()
					b.SetBytes(int64(conns * rounds * size))
					iterations := 0
					for b.Loop() {
						if err := e.Run(rounds); err != nil {
							b.Fatal(err)
						}
						iterations++
					}
					reportPerRequest(b, iterations*conns*rounds)
				})
			}
		}
	}
}

func BenchmarkHTTP(b *testing.B) {
	for _, conns := range []int{1, 16} {
		for _, pipeline := range []int{1, 16} {
			for _, rounds := range benchRounds {
				b.Run(fmt.Sprintf("conns=%d/pipeline=%d/bursts=%d", conns, pipeline, rounds), func(b *testing.B) {
					srv := startServer(b, httpServer(0, nil))
					h, err := DialHTTP(srv.Addr(), conns, pipeline)
					if err != nil {
						b.Fatal(err)
					}
					defer h.Close()
					b.ReportAllocs()
					iterations := 0
					for b.Loop() {
						if _, err := h.Run(rounds); err != nil {
							b.Fatal(err)
						}
						iterations++
					}
					reportPerRequest(b, iterations*conns*rounds*pipeline)
				})
			}
		}
	}
}

// BenchmarkOpenLoopPacing reports how late the open-loop senders are at a
// light load: the client's own share of every latency it measures.
func BenchmarkOpenLoopPacing(b *testing.B) {
	srv := startServer(b, httpServer(0, nil))
	samples := make([]time.Duration, 2000)
	var late time.Duration
	var p50, p99 time.Duration
	for b.Loop() {
		res, err := OpenLoop(OpenLoopConfig{
			Addr: srv.Addr(), Proto: "http", Conns: 4, Rate: 2000,
			Duration: 500 * time.Millisecond, Warmup: 100 * time.Millisecond, Samples: samples,
		})
		if err != nil {
			b.Fatal(err)
		}
		ps, err := Percentiles(res.Latencies, 50, 99)
		if err != nil {
			b.Fatal(err)
		}
		late = max(late, res.MaxLate)
		p50, p99 = ps[0], ps[1]
	}
	b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(p99.Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(late.Nanoseconds()), "max-late-ns")
}

func reportPerRequest(b *testing.B, requests int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(requests), "ns/request")
}
