package proto

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrBadResponse is wrapped by every error a [ResponseReader] returns: the
// server sent something that is not a well-formed, correct response.
var ErrBadResponse = errors.New("proto: bad HTTP response")

// ResponseStats counts the responses a [ResponseReader] has completed.
type ResponseStats struct {
	// Responses is the number of complete, verified responses.
	Responses uint64
	// Class counts them by status class: Class[k] counts status codes k00
	// to k99, for k from 2 to 5. Interim (1xx) responses are rejected, so
	// Class[0] and Class[1] stay 0.
	Class [6]uint64
}

// OK returns the number of 2xx responses.
func (s ResponseStats) OK() uint64 { return s.Class[2] }

// NotOK returns the number of responses that were not 2xx.
func (s ResponseStats) NotOK() uint64 { return s.Responses - s.Class[2] }

// Add adds o's counts to s, to total the readers of several connections.
func (s *ResponseStats) Add(o ResponseStats) {
	s.Responses += o.Responses
	for k := range s.Class {
		s.Class[k] += o.Class[k]
	}
}

// A ResponseReader checks a stream of HTTP/1.1 responses, sans-I/O: the
// client feeds it the bytes of one connection as they arrive, in any split,
// and it parses them, counts complete responses and their status classes,
// and returns an error for anything malformed.
//
// Every 200 response is checked as the answer to GET [PlaintextRequest]:
// Content-Length must be 13, the body exactly [PlaintextBody], and the
// Server, Content-Type and Date headers present. A Date header, in any
// response, must have the fixed form of RFC 9110 §5.6.7. Other responses must be well-formed, but their bodies
// are skipped unchecked. Every response needs a Content-Length (except 204
// and 304, which have no body); Transfer-Encoding and interim 1xx
// responses are rejected, since an iostrat server never sends them, and
// responses to HEAD requests cannot be read (their bodies are absent). A
// response with Connection: close must be the last one: any byte after it
// is an error.
//
// Reading a response allocates nothing; while a line is split across
// inputs the reader holds one pooled 8 KiB buffer. The zero value is ready
// to use. A ResponseReader is used by one goroutine at a time.
type ResponseReader struct {
	state     readState
	head      headLines
	resp      responseHead
	bodyLeft  int64 // body bytes still to come in readBody
	bodyRead  int   // bytes of a 200 body checked so far
	closeSeen bool  // a complete response carried Connection: close
	last      int   // status code of the last complete response
	err       error // sticky: the first error
	stats     ResponseStats
}

// The reader is a line-oriented state machine like the server's parser.
//
//	state            consumes              on                              goes to
//	readStatusLine   one line              valid status line               readHeaders
//	readHeaders      one line              header line                     readHeaders
//	                                       blank line, no body             count, readStatusLine
//	                                       blank line, body to come        readBody
//	readBody         up to bodyLeft bytes  last body byte                  count, readStatusLine
//
// Anything malformed sets the sticky error, which every later Feed returns.
type readState uint8

const (
	readStatusLine readState = iota // waiting for a status line
	readHeaders                     // reading header lines up to the blank line
	readBody                        // reading the body, checking it if the status is 200
)

// responseHead is what the reader has learned about the response being read.
type responseHead struct {
	status         int
	hasLength      bool
	length         int64
	hasServer      bool
	hasContentType bool
	hasDate        bool
	connClose      bool
}

// maxResponseBody bounds the Content-Length a reader accepts. iostrat
// servers send tiny bodies; anything near this is a corrupt length.
const maxResponseBody = 1 << 30

// Feed parses p, the next bytes received, and returns the number of
// responses it completed. After an error, Feed does nothing and returns it
// again; completed counts the responses finished before it.
func (r *ResponseReader) Feed(p []byte) (completed int, err error) {
	if r.err != nil {
		return 0, r.err
	}
	for len(p) > 0 {
		if r.closeSeen {
			return completed, r.fail("data after a response with Connection: close")
		}
		if r.state == readBody {
			n := int(min(int64(len(p)), r.bodyLeft))
			if r.resp.status == 200 {
				if string(p[:n]) != PlaintextBody[r.bodyRead:r.bodyRead+n] {
					return completed, r.fail("200 body is not %q", PlaintextBody)
				}
				r.bodyRead += n
			}
			p = p[n:]
			r.bodyLeft -= int64(n)
			if r.bodyLeft == 0 {
				r.complete()
				completed++
			}
			continue
		}
		line, rest, tooLong := r.head.next(p)
		if tooLong {
			return completed, r.fail("head longer than %d bytes", maxHeadBytes)
		}
		if line == nil {
			break // the line continues in a later input
		}
		p = rest
		done, err := r.parseLine(line)
		r.head.release()
		if err != nil {
			return completed, err
		}
		if done {
			completed++
		}
	}
	return completed, nil
}

// Stats returns the counts of responses completed so far.
func (r *ResponseReader) Stats() ResponseStats { return r.stats }

// LastStatus returns the status code of the last complete response, or 0.
func (r *ResponseReader) LastStatus() int { return r.last }

// CloseSeen reports whether a complete response carried Connection: close,
// so the server is about to close the connection.
func (r *ResponseReader) CloseSeen() bool { return r.closeSeen }

// Err returns the first error found, or nil.
func (r *ResponseReader) Err() error { return r.err }

// Finish tells the reader the stream has ended. It returns the first error
// found, or an error if the stream ended inside a response, and releases
// the reader's buffer.
func (r *ResponseReader) Finish() error {
	pending := r.state != readStatusLine || r.head.used > 0 || r.head.buffered() > 0
	r.head.reset()
	if r.err == nil && pending {
		r.fail("stream ended inside a response")
	}
	return r.err
}

// Reset makes r ready for a new connection, clearing its counts and error.
func (r *ResponseReader) Reset() {
	r.head.reset()
	*r = ResponseReader{}
}

// fail records the first error and returns it.
func (r *ResponseReader) fail(format string, args ...any) error {
	r.err = fmt.Errorf("%w: response %d: %s", ErrBadResponse, r.stats.Responses+1, fmt.Sprintf(format, args...))
	return r.err
}

// complete counts the response just finished and gets ready for the next.
func (r *ResponseReader) complete() {
	r.stats.Responses++
	r.stats.Class[r.resp.status/100]++
	r.last = r.resp.status
	r.closeSeen = r.resp.connClose
	r.resp = responseHead{}
	r.state = readStatusLine
	r.bodyLeft, r.bodyRead = 0, 0
	r.head.reset()
}

// parseLine parses one complete line of a head, LF included. done reports
// that it completed a response without a body.
func (r *ResponseReader) parseLine(line []byte) (done bool, err error) {
	n := len(line)
	if n < 2 || line[n-2] != '\r' {
		return false, r.fail("line does not end in CRLF")
	}
	line = line[:n-2]
	switch r.state {
	case readStatusLine:
		return false, r.parseStatusLine(line)
	case readHeaders:
		if len(line) > 0 {
			return false, r.parseField(line)
		}
	}
	return r.endHead()
}

// parseStatusLine parses HTTP-version SP 3DIGIT SP reason (RFC 9112 §4),
// CRLF removed. The space before an empty reason may be missing.
func (r *ResponseReader) parseStatusLine(line []byte) error {
	const prefix = "HTTP/1.x 200"
	if len(line) < len(prefix) || string(line[:7]) != "HTTP/1." ||
		(line[7] != '0' && line[7] != '1') || line[8] != ' ' ||
		!isDigit(line[9]) || !isDigit(line[10]) || !isDigit(line[11]) ||
		(len(line) > len(prefix) && line[12] != ' ') {
		return r.fail("malformed status line %q", line)
	}
	reason := line[min(len(line), len(prefix)+1):]
	if !isFieldValue(reason) {
		return r.fail("malformed reason phrase %q", reason)
	}
	code := int(line[9]-'0')*100 + int(line[10]-'0')*10 + int(line[11]-'0')
	switch {
	case code < 100:
		return r.fail("status code %d out of range", code)
	case code < 200:
		return r.fail("interim %d response (not supported)", code)
	case code > 599:
		return r.fail("status code %d out of range", code)
	}
	r.resp.status = code
	r.state = readHeaders
	return nil
}

// parseField parses one header line, CRLF removed, and records the headers
// the checks need.
func (r *ResponseReader) parseField(line []byte) error {
	colon := bytes.IndexByte(line, ':')
	if colon < 0 || !isToken(line[:colon]) {
		return r.fail("malformed header line %q", line)
	}
	name, value := line[:colon], trimOWS(line[colon+1:])
	if !isFieldValue(value) {
		return r.fail("malformed header value %q", line)
	}
	switch len(name) {
	case len("date"):
		if equalFoldLower(name, "date") {
			if !isHTTPDate(value) {
				return r.fail("malformed Date %q", value)
			}
			r.resp.hasDate = true
		}
	case len("server"):
		if equalFoldLower(name, "server") {
			r.resp.hasServer = true
		}
	case len("connection"):
		if equalFoldLower(name, "connection") {
			r.resp.connClose = r.resp.connClose || hasOption(value, "close")
		}
	case len("content-type"):
		if equalFoldLower(name, "content-type") {
			r.resp.hasContentType = true
		}
	case len("content-length"):
		if equalFoldLower(name, "content-length") {
			n, ok := parseLength(value, maxResponseBody)
			switch {
			case !ok || n > maxResponseBody:
				return r.fail("malformed Content-Length %q", value)
			case r.resp.hasLength && n != r.resp.length:
				return r.fail("conflicting Content-Length values")
			}
			r.resp.hasLength, r.resp.length = true, n
		}
	case len("transfer-encoding"):
		if equalFoldLower(name, "transfer-encoding") {
			return r.fail("unexpected Transfer-Encoding")
		}
	}
	return nil
}

// endHead checks a complete head and decides whether a body follows.
func (r *ResponseReader) endHead() (done bool, err error) {
	h := &r.resp
	if h.status == 204 || h.status == 304 {
		r.complete() // RFC 9112 §6.3: never a body
		return true, nil
	}
	if !h.hasLength {
		return false, r.fail("%d response without Content-Length", h.status)
	}
	if h.status == 200 {
		switch {
		case h.length != int64(len(PlaintextBody)):
			return false, r.fail("200 response with Content-Length %d, want %d", h.length, len(PlaintextBody))
		case !h.hasDate:
			return false, r.fail("200 response without Date")
		case !h.hasServer:
			return false, r.fail("200 response without Server")
		case !h.hasContentType:
			return false, r.fail("200 response without Content-Type")
		}
	}
	if h.length == 0 {
		r.complete()
		return true, nil
	}
	r.state = readBody
	r.bodyLeft = h.length
	return false, nil
}

// isHTTPDate reports whether b has the shape of a date in dateFormat, such
// as "Sun, 06 Nov 1994 08:49:37 GMT". It checks the shape only: a full
// parse would cost more than the rest of the response.
func isHTTPDate(b []byte) bool {
	if len(b) != dateLen {
		return false
	}
	for i := range len(dateFormat) {
		switch c := dateFormat[i]; {
		case isDigit(c):
			if !isDigit(b[i]) {
				return false
			}
		case c == ' ' || c == ',' || c == ':':
			if b[i] != c {
				return false
			}
		}
	}
	return string(b[len(b)-4:]) == " GMT"
}
