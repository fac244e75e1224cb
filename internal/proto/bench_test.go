package proto

import (
	"bytes"
	"fmt"
	"testing"
)

// The benchmarks measure the protocol code alone, with no I/O: the cost a
// server pays per Handle call and a client per batch of responses read.
// Tunables, as in the bench package:
var (
	// pipelineDepths are the numbers of requests sent in one read; 1 is a
	// plain request-response client, 16 is TechEmpower's plaintext depth.
	pipelineDepths = []int{1, 16}
	// echoSizes are the echo read sizes, as in the echo workload.
	echoSizes = []int{64, 4 << 10, 16 << 10}
)

// Custom units: time per request handled and per response read, so depths
// compare directly.
const (
	unitNsPerRequest  = "ns/req"
	unitNsPerResponse = "ns/resp"
)

func BenchmarkHandle(b *testing.B) {
	b.Run("proto=http", func(b *testing.B) {
		for _, depth := range pipelineDepths {
			b.Run(fmt.Sprintf("pipeline=%d", depth), func(b *testing.B) {
				benchmarkHTTP(b, AppendRequests(nil, depth), depth, 0)
			})
		}
		// A request delivered in pieces exercises the partial-line buffer.
		b.Run("pipeline=1/split=8B", func(b *testing.B) {
			benchmarkHTTP(b, AppendRequests(nil, 1), 1, 8)
		})
	})
	b.Run("proto=echo", func(b *testing.B) {
		for _, size := range echoSizes {
			b.Run("size="+sizeName(size), func(b *testing.B) {
				in := bytes.Repeat([]byte{'e'}, size)
				out := make([]byte, 0, size)
				h := Echo{}.NewHandler()
				defer h.Close()
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					out, _ = h.Handle(in, out[:0])
				}
			})
		}
	})
}

// benchmarkHTTP feeds requests (depth of them) to one handler per
// iteration, in pieces of chunk bytes if chunk > 0, and reports ns/req.
func benchmarkHTTP(b *testing.B, requests []byte, depth, chunk int) {
	chunks := [][]byte{requests}
	if chunk > 0 {
		chunks = splitEvery(requests, chunk)
	}
	h := HTTP{}.NewHandler()
	defer h.Close()
	out := make([]byte, 0, 64<<10)
	b.SetBytes(int64(len(requests)))
	b.ReportAllocs()
	for b.Loop() {
		out = out[:0]
		for _, c := range chunks {
			out, _ = h.Handle(c, out)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*depth), unitNsPerRequest)
}

func BenchmarkResponseReader(b *testing.B) {
	for _, depth := range pipelineDepths {
		b.Run(fmt.Sprintf("pipeline=%d", depth), func(b *testing.B) {
			out := handlerOutput(b, string(AppendRequests(nil, depth)))
			var r ResponseReader
			b.SetBytes(int64(len(out)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Feed(out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*depth), unitNsPerResponse)
		})
	}
}

// sizeName formats a byte count as the workloads name sizes: 64B, 4KiB.
func sizeName(n int) string {
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}
