package proto

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

const okResponse = "HTTP/1.1 200 OK\r\nServer: iostrat\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\nHello, World!"

// handlerOutput returns what a fresh HTTP handler answers to in.
func handlerOutput(t testing.TB, in string) []byte {
	t.Helper()
	out, _ := feed(t, []byte(in))
	return out
}

// feedSplit feeds b to r in random pieces and returns the responses
// completed.
func feedSplit(r *ResponseReader, b []byte, rng *rand.Rand) (int, error) {
	total := 0
	for len(b) > 0 {
		n := 1 + rng.IntN(len(b))
		if rng.IntN(3) == 0 {
			n = 1
		}
		done, err := r.Feed(b[:n])
		total += done
		if err != nil {
			return total, err
		}
		b = b[n:]
	}
	return total, nil
}

func TestResponseReaderHandlerOutput(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 200
	out := handlerOutput(t, string(AppendRequests(nil, n)))
	for _, split := range []bool{false, true} {
		var r ResponseReader
		var done int
		var err error
		if split {
			done, err = feedSplit(&r, out, rng)
		} else {
			done, err = r.Feed(out)
		}
		if err != nil || done != n {
			t.Fatalf("split %v: %d responses, %v; want %d", split, done, err, n)
		}
		s := r.Stats()
		if s.Responses != n || s.OK() != n || s.NotOK() != 0 || r.LastStatus() != 200 || r.CloseSeen() {
			t.Errorf("split %v: stats %+v, last %d, close %v", split, s, r.LastStatus(), r.CloseSeen())
		}
		if err := r.Finish(); err != nil {
			t.Errorf("Finish: %v", err)
		}
	}
}

func TestResponseReaderStatuses(t *testing.T) {
	in := get + "GET /x HTTP/1.1\r\nHost: x\r\n\r\n" + "PUT /plaintext HTTP/1.1\r\nHost: x\r\n\r\n" + get + "GET / HTTP/7.0\r\n\r\n"
	out := handlerOutput(t, in)
	var r ResponseReader
	done, err := feedSplit(&r, out, rand.New(rand.NewPCG(5, 6)))
	if err != nil || done != 5 {
		t.Fatalf("%d responses, %v", done, err)
	}
	s := r.Stats()
	if s.Class != [6]uint64{2: 2, 4: 2, 5: 1} || s.OK() != 2 || s.NotOK() != 3 {
		t.Errorf("stats %+v", s)
	}
	if r.LastStatus() != 505 || !r.CloseSeen() {
		t.Errorf("last %d, close seen %v; want 505, true", r.LastStatus(), r.CloseSeen())
	}
	if _, err := r.Feed([]byte("H")); !errors.Is(err, ErrBadResponse) {
		t.Errorf("byte after a closing response: %v", err)
	}

	var total ResponseStats
	total.Add(s)
	total.Add(s)
	if total.Responses != 10 || total.Class[4] != 4 {
		t.Errorf("Add: %+v", total)
	}
}

func TestResponseReaderGood(t *testing.T) {
	for _, c := range []struct{ name, in string }{
		{"minimal-404", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"},
		{"no-reason", "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n"},
		{"empty-reason", "HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n"},
		{"http10", "HTTP/1.0 500 Oops\r\nContent-Length: 3\r\n\r\nabc"},
		{"204-no-length", "HTTP/1.1 204 No Content\r\nX: y\r\n\r\n"},
		{"304-no-length", "HTTP/1.1 304 Not Modified\r\n\r\n"},
		{"header-case-and-ows", strings.ReplaceAll(okResponse, "Content-Length: 13", "content-LENGTH:\t 13 ")},
		{"same-length-twice", strings.ReplaceAll(okResponse, "Content-Length: 13", "Content-Length: 13\r\nContent-Length: 13")},
	} {
		t.Run(c.name, func(t *testing.T) {
			var r ResponseReader
			if done, err := r.Feed([]byte(c.in)); done != 1 || err != nil {
				t.Fatalf("%d, %v", done, err)
			}
			if err := r.Finish(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestResponseReaderMalformed(t *testing.T) {
	replace := func(old, new string) string {
		if !strings.Contains(okResponse, old) {
			panic(old)
		}
		return strings.Replace(okResponse, old, new, 1)
	}
	cases := []struct{ name, in string }{
		{"bare-lf", strings.ReplaceAll(okResponse, "\r\n", "\n")},
		{"bare-lf-once", replace("Server: iostrat\r\n", "Server: iostrat\n")},
		{"not-http", "SSH-2.0-OpenSSH\r\n\r\n"},
		{"http2-version", replace("HTTP/1.1", "HTTP/2.0")},
		{"lowercase-version", replace("HTTP/1.1", "http/1.1")},
		{"short-status", replace("200 OK", "20 OK")},
		{"letter-status", replace("200 OK", "2x0 OK")},
		{"no-space-after-code", replace("200 OK", "200OK")},
		{"status-99", replace("200 OK", "099 OK")},
		{"status-600", replace("200 OK", "600 OK")},
		{"interim-100", "HTTP/1.1 100 Continue\r\n\r\n" + okResponse},
		{"control-in-reason", replace("200 OK", "200 O\x01K")},
		{"no-colon", replace("Server: iostrat", "Server iostrat")},
		{"space-before-colon", replace("Server: iostrat", "Server : iostrat")},
		{"obs-fold", replace("Server: iostrat\r\n", "Server: iostrat\r\n more\r\n")},
		{"nul-in-value", replace("Server: iostrat", "Server: ios\x00trat")},
		{"no-content-length", "HTTP/1.1 404 Not Found\r\n\r\n"},
		{"bad-content-length", replace("Content-Length: 13", "Content-Length: 1x")},
		{"negative-content-length", replace("Content-Length: 13", "Content-Length: -13")},
		{"huge-content-length", replace("Content-Length: 13", "Content-Length: 99999999999999999999999")},
		{"conflicting-content-length", replace("Content-Length: 13", "Content-Length: 13\r\nContent-Length: 14")},
		{"chunked", "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
		{"200-wrong-length", replace("Content-Length: 13\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\nHello, World!", "Content-Length: 12\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\nHello, World")},
		{"200-wrong-body", replace("Hello, World!", "Hello, world!")},
		{"200-wrong-last-byte", replace("Hello, World!", "Hello, World?")},
		{"200-no-date", replace("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n", "")},
		{"200-bad-date", replace("Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT")},
		{"200-date-not-gmt", replace("Sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 UTC")},
		{"200-no-server", replace("Server: iostrat\r\n", "")},
		{"200-no-content-type", replace("Content-Type: text/plain\r\n", "")},
		{"head-too-long", "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("x", maxHeadBytes)},
		{"data-after-close", "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n" + okResponse},
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, split := range []bool{false, true} {
				var r ResponseReader
				var err error
				if split {
					_, err = feedSplit(&r, []byte(c.in), rng)
				} else {
					_, err = r.Feed([]byte(c.in))
				}
				if !errors.Is(err, ErrBadResponse) {
					t.Fatalf("split %v: error %v, want ErrBadResponse", split, err)
				}
				if again, err2 := r.Feed([]byte(okResponse)); again != 0 || err2 != err || r.Err() != err || r.Finish() != err {
					t.Fatalf("error is not sticky: %d, %v", again, err2)
				}
			}
		})
	}
}

func TestResponseReaderTruncated(t *testing.T) {
	for i := range len(okResponse) {
		var r ResponseReader
		if done, err := r.Feed([]byte(okResponse[:i])); done != 0 || err != nil {
			t.Fatalf("prefix %d: %d, %v", i, done, err)
		}
		err := r.Finish()
		if (i == 0) != (err == nil) {
			t.Errorf("Finish after %d of %d bytes: %v", i, len(okResponse), err)
		}
		if r.head.partial != nil {
			t.Errorf("Finish kept the buffer")
		}
	}
}

func TestResponseReaderReset(t *testing.T) {
	var r ResponseReader
	r.Feed([]byte("garbage\r\n"))
	r.Reset()
	if r.Err() != nil || r.Stats().Responses != 0 {
		t.Fatal("Reset kept state")
	}
	if done, err := r.Feed([]byte(okResponse)); done != 1 || err != nil {
		t.Fatalf("after Reset: %d, %v", done, err)
	}
}

func TestResponseReaderNoAllocs(t *testing.T) {
	out := handlerOutput(t, string(AppendRequests(nil, 16)))
	var r ResponseReader
	run := func() {
		if done, err := r.Feed(out); done != 16 || err != nil {
			t.Fatalf("%d, %v", done, err)
		}
	}
	if n := testing.AllocsPerRun(1000, run); n != 0 {
		t.Errorf("whole: %v allocations per 16 responses, want 0", n)
	}
	if raceEnabled {
		t.Skip("split inputs use sync.Pool, which the race detector makes drop items at random")
	}
	pieces := splitEvery(out, 7)
	if n := testing.AllocsPerRun(1000, func() {
		for _, p := range pieces {
			if _, err := r.Feed(p); err != nil {
				t.Fatal(err)
			}
		}
	}); n != 0 {
		t.Errorf("7-byte pieces: %v allocations per 16 responses, want 0", n)
	}
}

func TestPlaintextRequest(t *testing.T) {
	if got := AppendRequests([]byte("x"), 3); string(got) != "x"+strings.Repeat(PlaintextRequest, 3) {
		t.Errorf("AppendRequests: %q", got)
	}
	if got := AppendRequests(nil, 0); len(got) != 0 {
		t.Errorf("AppendRequests(nil, 0) = %q", got)
	}
	buf := make([]byte, 0, 16*len(PlaintextRequest))
	if n := testing.AllocsPerRun(100, func() { AppendRequests(buf, 16) }); n != 0 {
		t.Errorf("AppendRequests into room: %v allocations", n)
	}
	checkCase(t, handlerOutput(t, PlaintextRequest), 0, []int{200}, false)
}
