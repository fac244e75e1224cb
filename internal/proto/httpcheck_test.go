package proto

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"iostrat"
)

// The helpers here judge handler output with net/http, independently of
// the handler's own tables.

// wantBodies is the body the handler sends with each status code.
var wantBodies = map[int]string{
	200: "Hello, World!",
	400: "Bad Request\n",
	404: "Not Found\n",
	405: "Method Not Allowed\n",
	413: "Content Too Large\n",
	431: "Request Header Fields Too Large\n",
	501: "Not Implemented\n",
	505: "HTTP Version Not Supported\n",
}

// parsedResponse is one response as net/http read it.
type parsedResponse struct {
	status int
	header http.Header
	noBody bool // sent without its body, as a response to HEAD
	close  bool // Connection: close
}

// readResponses splits out into responses with net/http.ReadResponse and
// checks each one's headers and body. Whether a response was sent with its
// body or without (to HEAD) is told by the bytes after its head: every body
// is known and none starts like a status line.
func readResponses(out []byte) ([]parsedResponse, error) {
	var rs []parsedResponse
	for len(out) > 0 {
		r, n, err := readResponse(out, http.MethodGet)
		if err != nil {
			r, n, err = readResponse(out, http.MethodHead)
		}
		if err != nil {
			return rs, fmt.Errorf("response %d: %v in %q", len(rs)+1, err, out)
		}
		if len(rs) > 0 && rs[len(rs)-1].close {
			return rs, fmt.Errorf("response %d follows a response with Connection: close", len(rs)+1)
		}
		rs = append(rs, r)
		out = out[n:]
	}
	return rs, nil
}

// readResponse reads and checks the response at the start of b, as the
// answer to a request with the given method, and returns its length in b.
func readResponse(b []byte, method string) (parsedResponse, int, error) {
	rd := bytes.NewReader(b)
	br := bufio.NewReader(rd)
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return parsedResponse{}, 0, err
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return parsedResponse{}, 0, err
	}
	n := len(b) - rd.Len() - br.Buffered()
	r := parsedResponse{status: resp.StatusCode, header: resp.Header, noBody: method == http.MethodHead, close: resp.Close}

	want, known := wantBodies[resp.StatusCode]
	switch {
	case !known:
		return r, n, fmt.Errorf("unexpected status %q", resp.Status)
	case resp.ProtoMajor != 1 || resp.ProtoMinor != 1:
		return r, n, fmt.Errorf("version %q, want HTTP/1.1", resp.Proto)
	case string(body) != want && !r.noBody:
		return r, n, fmt.Errorf("body %q, want %q", body, want)
	case resp.Header.Get("Content-Length") != strconv.Itoa(len(want)):
		return r, n, fmt.Errorf("Content-Length %q, want %d", resp.Header.Get("Content-Length"), len(want))
	case resp.Header.Get("Server") != "iostrat":
		return r, n, fmt.Errorf("Server %q", resp.Header.Get("Server"))
	case resp.Header.Get("Content-Type") != "text/plain":
		return r, n, fmt.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
	case resp.StatusCode == 405 && resp.Header.Get("Allow") != "GET, HEAD":
		return r, n, fmt.Errorf("405 with Allow %q", resp.Header.Get("Allow"))
	}
	date := resp.Header.Get("Date")
	if t, err := http.ParseTime(date); err != nil || t.UTC().Format(http.TimeFormat) != date {
		return r, n, fmt.Errorf("Date %q is not in RFC 1123 GMT form", date)
	}
	return r, n, nil
}

// statuses returns the status codes of rs.
func statuses(rs []parsedResponse) []int {
	codes := make([]int, len(rs))
	for i, r := range rs {
		codes[i] = r.status
	}
	return codes
}

var dateHeader = regexp.MustCompile(`Date: [^\r\n]*`)

// maskDate replaces every Date value, the only part of the handler's output
// that depends on when it ran.
func maskDate(b []byte) []byte {
	return dateHeader.ReplaceAll(b, []byte("Date: <masked>"))
}

// feed runs a new HTTP handler over the chunks, one Handle call each, closes
// it and returns all output and the last action. It checks the contract on
// the way: nothing is produced after CloseAfterWrite, which stays returned,
// and the partial-line buffer stays within its bound.
func feed(t testing.TB, chunks ...[]byte) ([]byte, iostrat.Action) {
	t.Helper()
	h := HTTP{}.NewHandler().(*httpHandler)
	defer h.Close()
	var out []byte
	action := iostrat.Continue
	for i, c := range chunks {
		before := len(out)
		var a iostrat.Action
		out, a = h.Handle(c, out)
		if action == iostrat.CloseAfterWrite {
			if a != iostrat.CloseAfterWrite || len(out) != before {
				t.Fatalf("chunk %d: after CloseAfterWrite got action %d and %d more bytes", i, a, len(out)-before)
			}
		}
		action = a
		if err := checkBuffer(h); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
	}
	return out, action
}

// checkBuffer checks that h holds a partial-line buffer only while a line is
// incomplete, and that it stays within the head limit.
func checkBuffer(h *httpHandler) error {
	p := h.head.partial
	switch {
	case p == nil:
		return nil
	case len(*p) == 0:
		return fmt.Errorf("empty partial buffer held")
	case len(*p) >= maxHeadBytes || cap(*p) != maxHeadBytes:
		return fmt.Errorf("partial buffer len %d cap %d, limit %d", len(*p), cap(*p), maxHeadBytes)
	case h.head.used+len(*p) >= maxHeadBytes:
		return fmt.Errorf("head %d bytes plus %d buffered is over the limit %d", h.head.used, len(*p), maxHeadBytes)
	}
	return nil
}

// splitEvery cuts b into chunks of n bytes.
func splitEvery(b []byte, n int) [][]byte {
	var chunks [][]byte
	for len(b) > n {
		chunks = append(chunks, b[:n])
		b = b[n:]
	}
	return append(chunks, b)
}
