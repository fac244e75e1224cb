package proto

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"iostrat"
	"iostrat/internal/golden"
)

const get = "GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n"

// httpCases are requests and what the handler must answer, in order. close
// is whether the last response ends the connection (CloseAfterWrite, and
// Connection: close on that response only).
var httpCases = []struct {
	name  string
	in    string
	want  []int
	close bool
}{
	// Routing.
	{"get", get, []int{200}, false},
	{"head", "HEAD /plaintext HTTP/1.1\r\nHost: x\r\n\r\n", []int{200}, false},
	{"query", "GET /plaintext?a=1&b HTTP/1.1\r\nHost: x\r\n\r\n", []int{200}, false},
	{"absolute-form", "GET http://localhost:8080/plaintext HTTP/1.1\r\nHost: x\r\n\r\n", []int{200}, false},
	{"absolute-form-query-no-path", "GET http://localhost?x=/plaintext HTTP/1.1\r\nHost: x\r\n\r\n", []int{404}, false},
	{"absolute-form-no-path", "GET http://localhost HTTP/1.1\r\nHost: x\r\n\r\n", []int{404}, false},
	{"asterisk", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", []int{404}, false},
	{"root", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", []int{404}, false},
	{"trailing-slash", "GET /plaintext/ HTTP/1.1\r\nHost: x\r\n\r\n", []int{404}, false},
	{"head-404", "HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n", []int{404}, false},
	{"post-body-405", "POST /plaintext HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", []int{405}, false},
	{"put-405", "PUT /plaintext HTTP/1.1\r\nHost: x\r\n\r\n", []int{405}, false},
	{"lowercase-method-405", "get /plaintext HTTP/1.1\r\nHost: x\r\n\r\n", []int{405}, false},
	{"post-404", "POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", []int{404}, false},
	{"empty-lines-before", "\r\n\r\n" + get, []int{200}, false},
	{"headers-any-case", "GET /plaintext HTTP/1.1\r\nhOsT: x\r\nX-Other:\t v \t\r\nAccept: */*\r\n\r\n", []int{200}, false},
	{"obs-text-value", "GET /plaintext HTTP/1.1\r\nHost: x\r\nX-Name: caf\xc3\xa9\r\n\r\n", []int{200}, false},
	{"same-content-length-twice", "POST /plaintext HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi", []int{405}, false},
	{"minor-version-2", "GET /plaintext HTTP/1.2\r\nHost: x\r\n\r\n", []int{200}, false},

	// Connection handling.
	{"connection-close", "GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", []int{200}, true},
	{"connection-close-any-case", "GET /plaintext HTTP/1.1\r\nHost: x\r\nCONNECTION: Close\r\n\r\n", []int{200}, true},
	{"connection-close-in-list", "GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: keep-alive , CLOSE\r\n\r\n", []int{200}, true},
	{"connection-upgrade-only", "GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, closed\r\n\r\n", []int{200}, false},
	{"connection-close-404", "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", []int{404}, true},
	{"http10", "GET /plaintext HTTP/1.0\r\n\r\n", []int{200}, true},
	{"http10-keep-alive", "GET /plaintext HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n" + "GET /plaintext HTTP/1.0\r\n\r\n", []int{200, 200}, true},
	{"http10-keep-alive-and-close", "GET /plaintext HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", []int{200}, true},
	{"close-ignores-rest", "GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + get + get, []int{200}, true},

	// Pipelining.
	{"pipelined", get + get + get, []int{200, 200, 200}, false},
	{"pipelined-mixed", get + "HEAD /plaintext HTTP/1.1\r\nHost: x\r\n\r\n" + "GET /x HTTP/1.1\r\nHost: x\r\n\r\n" +
		"POST /plaintext HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" + get, []int{200, 200, 404, 405, 200}, false},
	{"pipelined-then-error", get + "BAD\r\n\r\n" + get, []int{200, 400}, true},

	// 400: request line.
	{"bad-method-token", "G(T /plaintext HTTP/1.1\r\nHost: x\r\n\r\n", []int{400}, true},
	{"empty-method", " /plaintext HTTP/1.1\r\nHost: x\r\n\r\n", []int{400}, true},
	{"missing-target", "GET HTTP/1.1\r\nHost: x\r\n\r\n", []int{400}, true},
	{"double-space", "GET  /plaintext HTTP/1.1\r\nHost: x\r\n\r\n", []int{400}, true},
	{"trailing-space", "GET /plaintext HTTP/1.1 \r\nHost: x\r\n\r\n", []int{400}, true},
	{"no-version", "GET /plaintext\r\nHost: x\r\n\r\n", []int{400}, true},
	{"bad-version-letter", "GET /plaintext HTTP/1.x\r\nHost: x\r\n\r\n", []int{400}, true},
	{"bad-version-name", "GET /plaintext HTTPS/1.1\r\nHost: x\r\n\r\n", []int{400}, true},
	{"lowercase-version", "GET /plaintext http/1.1\r\nHost: x\r\n\r\n", []int{400}, true},
	{"long-version", "GET /plaintext HTTP/1.10\r\nHost: x\r\n\r\n", []int{400}, true},
	{"control-byte-in-target", "GET /plain\x01text HTTP/1.1\r\nHost: x\r\n\r\n", []int{400}, true},
	{"del-in-target", "GET /plain\x7ftext HTTP/1.1\r\nHost: x\r\n\r\n", []int{400}, true},
	{"non-ascii-target", "GET /plain\xfftext HTTP/1.1\r\nHost: x\r\n\r\n", []int{400}, true},
	{"tab-separator", "GET\t/plaintext HTTP/1.1\r\nHost: x\r\n\r\n", []int{400}, true},
	{"bare-lf-request-line", "GET /plaintext HTTP/1.1\nHost: x\r\n\r\n", []int{400}, true},
	{"bare-lf-empty-line", "\n" + get, []int{400}, true},
	{"bare-cr", "GET /plaintext HTTP/1.1\r\r\nHost: x\r\n\r\n", []int{400}, true},
	{"binary", "\x00\x01\x02\x03\n", []int{400}, true},
	{"head-400-has-body", "HEAD\r\n\r\n", []int{400}, true},

	// 400: header lines.
	{"bare-lf-header", "GET /plaintext HTTP/1.1\r\nHost: x\n\r\n", []int{400}, true},
	{"bare-lf-end", "GET /plaintext HTTP/1.1\r\nHost: x\r\n\n", []int{400}, true},
	{"no-colon", "GET /plaintext HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", []int{400}, true},
	{"empty-name", "GET /plaintext HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", []int{400}, true},
	{"space-before-colon", "GET /plaintext HTTP/1.1\r\nHost : x\r\n\r\n", []int{400}, true},
	{"obs-fold", "GET /plaintext HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", []int{400}, true},
	{"control-in-value", "GET /plaintext HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", []int{400}, true},
	{"missing-host", "GET /plaintext HTTP/1.1\r\n\r\n", []int{400}, true},
	{"two-hosts", "GET /plaintext HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", []int{400}, true},
	{"content-length-letters", "POST /plaintext HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", []int{400}, true},
	{"content-length-negative", "POST /plaintext HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", []int{400}, true},
	{"content-length-empty", "POST /plaintext HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n", []int{400}, true},
	{"content-length-list", "POST /plaintext HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\nx", []int{400}, true},
	{"content-length-conflict", "POST /plaintext HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx", []int{400}, true},
	{"head-error-no-body", "HEAD /plaintext HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", []int{400}, true},

	// 413, 431, 501, 505.
	{"body-over-1MiB", "POST /plaintext HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n", []int{413}, true},
	{"body-huge", "POST /plaintext HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999999\r\n\r\n", []int{413}, true},
	{"head-over-8KiB", "GET /plaintext HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 9000) + "\r\n\r\n", []int{431}, true},
	{"request-line-over-8KiB", "GET /" + strings.Repeat("a", 9000), []int{431}, true},
	{"head-exactly-8KiB", headOfSize(maxHeadBytes), []int{200}, false},
	{"head-one-over-8KiB", headOfSize(maxHeadBytes + 1), []int{431}, true},
	{"empty-lines-over-8KiB", strings.Repeat("\r\n", maxHeadBytes/2) + get, []int{431}, true},
	{"transfer-encoding", "POST /plaintext HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", []int{501}, true},
	{"transfer-encoding-http10", "POST /plaintext HTTP/1.0\r\ntransfer-encoding: identity\r\n\r\n", []int{501}, true},
	{"http2", "GET /plaintext HTTP/2.0\r\nHost: x\r\n\r\n", []int{505}, true},
	{"http09", "GET /plaintext HTTP/0.9\r\n\r\n", []int{505}, true},
	{"h2-preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", []int{505}, true},
}

// headOfSize returns a GET /plaintext request whose head is exactly n bytes.
func headOfSize(n int) string {
	const start, end = "GET /plaintext HTTP/1.1\r\nHost: x\r\nX-Pad: ", "\r\n\r\n"
	return start + strings.Repeat("p", n-len(start)-len(end)) + end
}

func TestHTTPCases(t *testing.T) {
	for _, c := range httpCases {
		t.Run(c.name, func(t *testing.T) {
			out, action := feed(t, []byte(c.in))
			checkCase(t, out, action, c.want, c.close)

			// The same stream one byte per call gives the same bytes.
			split, splitAction := feed(t, splitEvery([]byte(c.in), 1)...)
			if !bytes.Equal(maskDate(split), maskDate(out)) || splitAction != action {
				t.Errorf("1-byte splits gave action %d and\n%q\nwant action %d and\n%q", splitAction, maskDate(split), action, maskDate(out))
			}
		})
	}
}

func checkCase(t *testing.T, out []byte, action iostrat.Action, want []int, wantClose bool) {
	t.Helper()
	rs, err := readResponses(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(rs); !slices.Equal(got, want) {
		t.Fatalf("statuses %v, want %v; output:\n%s", got, want, out)
	}
	if wantAction := map[bool]iostrat.Action{false: iostrat.Continue, true: iostrat.CloseAfterWrite}[wantClose]; action != wantAction {
		t.Errorf("action %d, want %d", action, wantAction)
	}
	for i, r := range rs {
		last := i == len(rs)-1
		if r.close != (last && wantClose) {
			t.Errorf("response %d: Connection: close is %v", i+1, r.close)
		}
	}
}

// TestHTTPGolden compares whole responses byte for byte, Date masked.
// Run with -update to rewrite testdata/golden (see internal/golden).
func TestHTTPGolden(t *testing.T) {
	cases := []struct{ name, in string }{
		{"get", get},
		{"head", "HEAD /plaintext HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"pipelined", get + get},
		{"not-found", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"method-not-allowed", "DELETE /plaintext HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"connection-close", "GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
		{"http10", "GET /plaintext HTTP/1.0\r\n\r\n"},
		{"http10-keep-alive", "GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
		{"bad-request", "GET /plaintext HTTP/1.x\r\n\r\n"},
		{"bad-request-head", "HEAD /plaintext HTTP/1.1\r\nHost x\r\n\r\n"},
		{"content-too-large", "POST /plaintext HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n"},
		{"header-fields-too-large", "GET /" + strings.Repeat("x", maxHeadBytes)},
		{"not-implemented", "POST /plaintext HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"},
		{"version-not-supported", "GET /plaintext HTTP/2.0\r\n\r\n"},
	}
	for _, g := range cases {
		t.Run(g.name, func(t *testing.T) {
			out, _ := feed(t, []byte(g.in))
			got := maskDate(out)
			golden.Check(t, filepath.Join("testdata", "golden", g.name+".http"), got)
		})
	}
}

func TestHTTPPipelinedBatch(t *testing.T) {
	const n = 64
	out, action := feed(t, AppendRequests(nil, n))
	rs, err := readResponses(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != n || action != iostrat.Continue {
		t.Fatalf("%d responses, action %d; want %d, Continue", len(rs), action, n)
	}
	for i, r := range rs {
		if r.status != 200 || r.noBody || r.close {
			t.Fatalf("response %d: %+v", i, r)
		}
	}
}

// TestHTTPInputIgnoredAfterClose checks that once CloseAfterWrite is
// returned, later calls add nothing and keep returning it.
func TestHTTPInputIgnoredAfterClose(t *testing.T) {
	h := HTTP{}.NewHandler()
	defer h.Close()
	out, action := h.Handle([]byte("GET /plaintext HTTP/1.0\r\n\r\n"+get), nil)
	if action != iostrat.CloseAfterWrite {
		t.Fatalf("action %d, want CloseAfterWrite", action)
	}
	n := len(out)
	for _, in := range []string{get, "garbage\r\n\r\n", ""} {
		out, action = h.Handle([]byte(in), out)
		if len(out) != n || action != iostrat.CloseAfterWrite {
			t.Fatalf("after close, Handle(%q) added %d bytes, action %d", in, len(out)-n, action)
		}
	}
}

// TestHTTPSplitProperty feeds random streams of requests, good and bad,
// whole and in random splits, and requires the same output either way.
func TestHTTPSplitProperty(t *testing.T) {
	fragments := []string{
		get,
		"HEAD /plaintext HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /other?q HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
		"POST /plaintext HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world",
		"GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"\r\n",
		"GET /plaintext HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("z", 3000) + "\r\n\r\n",
	}
	enders := []string{
		"GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /plaintext HTTP/1.0\r\n\r\n",
		"GET /plaintext HTTP/1.1\nHost: x\r\n\r\n",
		"GET /plaintext HTTP/9.9\r\n\r\n",
		"GET /plaintext HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", maxHeadBytes) + "\r\n\r\n",
		"POST /plaintext HTTP/1.1\r\nHost: x\r\nContent-Length: 9999999\r\n\r\n",
		"POST /plaintext HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET /plaintext HTTP/1.1\r\n",
		"GET /plain", // incomplete at the end
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 300 {
		var stream []byte
		for range rng.IntN(12) {
			stream = append(stream, fragments[rng.IntN(len(fragments))]...)
		}
		if rng.IntN(2) == 0 {
			stream = append(stream, enders[rng.IntN(len(enders))]...)
			stream = append(stream, fragments[rng.IntN(len(fragments))]...)
		}
		whole, wholeAction := feed(t, stream)
		if _, err := readResponses(whole); err != nil {
			t.Fatalf("iteration %d: %v", iter, err)
		}
		var chunks [][]byte
		for rest := stream; len(rest) > 0; {
			n := 1 + rng.IntN(min(len(rest), []int{1, 7, 64, 5000}[rng.IntN(4)]))
			chunks, rest = append(chunks, rest[:n]), rest[n:]
		}
		split, splitAction := feed(t, chunks...)
		if !bytes.Equal(maskDate(whole), maskDate(split)) || wholeAction != splitAction {
			t.Fatalf("iteration %d: stream %q\nwhole (action %d):\n%q\nsplit into %d (action %d):\n%q",
				iter, stream, wholeAction, maskDate(whole), len(chunks), splitAction, maskDate(split))
		}
	}
}

// TestHTTPBodyAcrossCalls checks that a body arriving in pieces is discarded
// and the request answered only when its last byte arrives.
func TestHTTPBodyAcrossCalls(t *testing.T) {
	h := HTTP{}.NewHandler()
	defer h.Close()
	out, _ := h.Handle([]byte("POST /plaintext HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n"), nil)
	chunk := bytes.Repeat([]byte("GET /plaintext HTTP/1.1\r\n\r\n"), 1000)
	for sent := 0; sent < 1<<20; {
		n := min(len(chunk), 1<<20-sent)
		out, _ = h.Handle(chunk[:n], out)
		sent += n
		if sent < 1<<20 && len(out) > 0 {
			t.Fatalf("answered after %d of %d body bytes", sent, 1<<20)
		}
	}
	out, action := h.Handle([]byte(get), out)
	checkCase(t, out, action, []int{405, 200}, false)
}

// TestHTTPBufferPooled checks that a handler holds a buffer only while a
// line is split, and that Close gives it back.
func TestHTTPBufferPooled(t *testing.T) {
	h := HTTP{}.NewHandler().(*httpHandler)
	if _, action := h.Handle([]byte(get), nil); action != iostrat.Continue || h.head.partial != nil {
		t.Fatalf("whole request: action %d, buffer held %v", action, h.head.partial != nil)
	}
	h.Handle([]byte("GET /plain"), nil)
	if h.head.partial == nil || string(*h.head.partial) != "GET /plain" {
		t.Fatalf("split request line: buffer %v", h.head.partial)
	}
	h.Handle([]byte("text HTTP/1.1\r\nHo"), nil)
	if h.head.partial == nil || string(*h.head.partial) != "Ho" {
		t.Fatalf("split header: buffer %v", h.head.partial)
	}
	if err := checkBuffer(h); err != nil {
		t.Fatal(err)
	}
	h.Close()
	if h.head.partial != nil {
		t.Fatal("Close kept the buffer")
	}
}

func TestHTTPNoAllocs(t *testing.T) {
	cases := []struct {
		name   string
		in     []byte
		chunk  int
		pooled bool // uses the buffer pool, whose counts the race detector perturbs
	}{
		{"pipeline=1", []byte(get), 0, false},
		{"pipeline=16", AppendRequests(nil, 16), 0, false},
		{"mixed", []byte(get + "HEAD /x HTTP/1.1\r\nHost: x\r\n\r\nPOST /plaintext HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody"), 0, false},
		{"split=1", []byte(get), 1, true},
		{"split=10", AppendRequests(nil, 4), 10, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.pooled && raceEnabled {
				t.Skip("the race detector makes sync.Pool drop items at random")
			}
			h := HTTP{}.NewHandler()
			defer h.Close()
			chunks := [][]byte{c.in}
			if c.chunk > 0 {
				chunks = splitEvery(c.in, c.chunk)
			}
			out := make([]byte, 0, 64<<10)
			run := func() {
				out = out[:0]
				for _, in := range chunks {
					out, _ = h.Handle(in, out)
				}
			}
			run() // warm up: the date cache, the pool
			if n := testing.AllocsPerRun(1000, run); n != 0 {
				t.Errorf("%v allocations per run, want 0", n)
			}
			if _, err := readResponses(out); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestHTTPNewHandlerAllocs(t *testing.T) {
	n := testing.AllocsPerRun(100, func() { HTTP{}.NewHandler().Close() })
	if n > 1 {
		t.Errorf("NewHandler+Close: %v allocations, want at most 1", n)
	}
}

// TestHTTPConcurrentHandlers runs handlers on many goroutines at once, as
// servers do; under -race it checks the shared date cache and buffer pool.
func TestHTTPConcurrentHandlers(t *testing.T) {
	const goroutines, rounds = 8, 200
	requests := AppendRequests(nil, 4)
	errs := make(chan error, goroutines)
	for range goroutines {
		go func() {
			h := HTTP{}.NewHandler()
			defer h.Close()
			var client ResponseReader
			for i := range rounds {
				var out []byte
				for _, c := range splitEvery(requests, 1+i%50) {
					out, _ = h.Handle(c, out)
				}
				if _, err := client.Feed(out); err != nil {
					errs <- err
					return
				}
			}
			if got := client.Stats().OK(); got != 4*rounds {
				errs <- fmt.Errorf("%d responses, want %d", got, 4*rounds)
				return
			}
			errs <- nil
		}()
	}
	for range goroutines {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
