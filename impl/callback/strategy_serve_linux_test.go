package callback

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"iostrat"
	"iostrat/internal/proto"
)

// TestServeForLoad serves a protocol with the callback strategy for an
// outside load generator such as wrk, when CALLBACK_SERVE_ADDR is set:
//
//	go test -c -o /tmp/callback.test ./impl/callback
//	CALLBACK_SERVE_ADDR=127.0.0.1:8082 CALLBACK_SERVE_FOR=60s \
//	    /tmp/callback.test -test.run TestServeForLoad -test.v
//
// CALLBACK_SERVE_PROTO picks the protocol (default http) and
// CALLBACK_SERVE_TRIGGER=edge the trigger mode.
func TestServeForLoad(t *testing.T) {
	addr := os.Getenv("CALLBACK_SERVE_ADDR")
	if addr == "" {
		t.Skip("set CALLBACK_SERVE_ADDR to serve for an outside load generator")
	}
	name := os.Getenv("CALLBACK_SERVE_PROTO")
	if name == "" {
		name = "http"
	}
	var p iostrat.Protocol = crlfCounter{}
	if name != crlfCounter.Name(crlfCounter{}) {
		var err error
		if p, err = proto.ByName(name); err != nil {
			t.Fatal(err)
		}
	}
	d, err := time.ParseDuration(os.Getenv("CALLBACK_SERVE_FOR"))
	if err != nil {
		d = 30 * time.Second
	}
	var o iostrat.Options
	if os.Getenv("CALLBACK_SERVE_TRIGGER") == "edge" {
		o.Trigger = iostrat.Edge
	}
	rt, err := Strategy{}.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := rt.Serve(ln, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v serving %s on %v for %v", rt.Info(), name, svc.Addr(), d)
	time.Sleep(d)
	t.Logf("stats:%s", statsLine(rt.Stats()))
}

func statsLine(s iostrat.Stats) string {
	line := ""
	for _, c := range iostrat.Counters() {
		if v, ok := s.Get(c); ok {
			line += " " + c.String() + "=" + strconv.FormatUint(v, 10)
		}
	}
	return line
}

// crlfCounter is the protocol of the usual gnet plaintext server: every
// "\r\n\r\n" in the input ends a request
// and gets the canned plaintext response; nothing is parsed. Serving it
// (CALLBACK_SERVE_PROTO=crlf) compares the event loops alone, with the
// protocol work equal on both sides.
type crlfCounter struct{}

func (crlfCounter) Name() string                { return "crlf" }
func (crlfCounter) NewHandler() iostrat.Handler { return &crlfHandler{} }

type crlfHandler struct{ tail int } // bytes of "\r\n\r\n" matched at the end of the last input

var crlfResponse = []byte("HTTP/1.1 200 OK\r\nServer: gnet\r\nContent-Type: text/plain\r\nDate: " +
	time.Now().UTC().Format(http.TimeFormat) + "\r\nContent-Length: 13\r\n\r\nHello, World!")

const crlf2 = "\r\n\r\n"

// Handle finds terminators with bytes.Index, as the gnet server does,
// carrying a terminator split across reads over in tail.
func (h *crlfHandler) Handle(in, out []byte) ([]byte, iostrat.Action) {
	i := 0
	for h.tail > 0 && i < len(in) {
		if in[i] != crlf2[h.tail] {
			h.tail = 0
			break
		}
		i++
		if h.tail++; h.tail == len(crlf2) {
			h.tail = 0
			out = append(out, crlfResponse...)
		}
	}
	for {
		j := bytes.Index(in[i:], []byte(crlf2))
		if j < 0 {
			break
		}
		i += j + len(crlf2)
		out = append(out, crlfResponse...)
	}
	for k := min(len(crlf2)-1, len(in)-i); k > 0; k-- {
		if string(in[len(in)-k:]) == crlf2[:k] {
			h.tail = k
			break
		}
	}
	return out, iostrat.Continue
}

func (h *crlfHandler) Close() {}

// TestCRLFCounter: the load helper's gnet-like protocol answers once per
// "\r\n\r\n" however the input is split.
func TestCRLFCounter(t *testing.T) {
	in := []byte("GET / HTTP/1.1\r\nA: b\r\n\r\nGET / HTTP/1.1\r\n\r\n\r\n\r\nx\r\n\r")
	const want = 3
	for split := range len(in) + 1 {
		h := crlfCounter{}.NewHandler()
		out, _ := h.Handle(in[:split], nil)
		out, _ = h.Handle(in[split:], out)
		out, _ = h.Handle([]byte("\n"), out) // completes the last terminator
		if got := bytes.Count(out, crlfResponse); got != want+1 {
			t.Fatalf("split at %d: %d responses, want %d", split, got, want+1)
		}
	}
}
