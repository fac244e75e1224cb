package proto

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"iostrat"
)

// fuzzSeeds are added with f.Add; testdata/fuzz/FuzzHTTP holds more, in
// Go's corpus file format.
var fuzzSeeds = []string{
	get,
	get + get + "HEAD /plaintext HTTP/1.1\r\nHost: x\r\n\r\n",
	"POST /plaintext HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" + get,
	"GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /plaintext HTTP/1.0\r\n\r\n",
	"GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + get,
	"G@T /plaintext HTTP/1.1\r\n\r\n",
	"GET /plaintext HTTP/1.1\nHost: x\n\n",
	"GET /plaintext HTTP/2.0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nX: " + strings.Repeat("a", maxHeadBytes) + "\r\n\r\n",
}

// FuzzHTTP feeds any input to an HTTP handler whole and split in two at a
// fuzz-chosen point, and requires: no panic; output that net/http reads as
// a sequence of well-formed, correct responses; the same output (Date
// masked) and action either way; a partial-line buffer within its bound;
// and no output after CloseAfterWrite.
func FuzzHTTP(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add([]byte(s), uint16(i*7))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		at := int(split) % (len(data) + 1)
		whole, wholeAction := feed(t, data)
		parts, partsAction := feed(t, data[:at], data[at:])
		if !bytes.Equal(maskDate(whole), maskDate(parts)) || wholeAction != partsAction {
			t.Fatalf("split at %d changed the output:\nwhole (action %d):\n%q\nsplit (action %d):\n%q",
				at, wholeAction, maskDate(whole), partsAction, maskDate(parts))
		}
		rs, err := readResponses(whole)
		if err != nil {
			t.Fatal(err)
		}
		closing := len(rs) > 0 && rs[len(rs)-1].close
		if closing != (wholeAction == iostrat.CloseAfterWrite) {
			t.Fatalf("last response closing %v, action %d", closing, wholeAction)
		}
	})
}

// FuzzResponseReader feeds any input to a ResponseReader whole and split in
// two, and requires no panic and the same verdict either way: responses
// completed, counts and error.
func FuzzResponseReader(f *testing.F) {
	ok := handlerOutput(f, get+get+"GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	f.Add(ok, uint16(100))
	f.Add([]byte(okResponse), uint16(3))
	f.Add([]byte("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nx"), uint16(20))
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!"), uint16(30))
	f.Add([]byte("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), uint16(9))
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		at := int(split) % (len(data) + 1)
		var whole, parts ResponseReader
		n1, err1 := whole.Feed(data)
		n2, err2 := parts.Feed(data[:at])
		if err2 == nil {
			var more int
			more, err2 = parts.Feed(data[at:])
			n2 += more
		}
		if n1 != n2 || whole.Stats() != parts.Stats() || fmt.Sprint(err1) != fmt.Sprint(err2) {
			t.Fatalf("split at %d: whole %d %+v %v; split %d %+v %v", at, n1, whole.Stats(), err1, n2, parts.Stats(), err2)
		}
		if err1 != nil && !errors.Is(err1, ErrBadResponse) {
			t.Fatalf("error %v does not wrap ErrBadResponse", err1)
		}
		whole.Finish()
		parts.Finish()
	})
}
