package proto

import (
	"bytes"

	"iostrat"
)

// maxBodyBytes bounds a request body the HTTP handler reads and discards;
// a larger Content-Length gets 413.
const maxBodyBytes = 1 << 20

// HTTP is the HTTP/1.1 "plaintext" protocol of the TechEmpower benchmark.
//
// Routing: GET and HEAD /plaintext (origin or absolute form, any query)
// answer 200 with the body "Hello, World!" and the headers Server,
// Content-Type: text/plain, Content-Length: 13 and Date. Any other path
// answers 404; any other method on /plaintext answers 405 with
// Allow: GET, HEAD. Responses to HEAD carry no body, their Content-Length
// is that of the matching GET.
//
// Connections: an HTTP/1.1 request keeps the connection open unless it
// sends Connection: close; an HTTP/1.0 request closes it unless it sends
// Connection: keep-alive, and is then answered with Connection: keep-alive.
// Header names and Connection options are matched without regard to case.
//
// Errors end the connection: 400 for a malformed request line or header
// line (line ends must be CRLF: a bare LF is malformed), for an HTTP/1.1
// request without exactly one Host header, and for conflicting
// Content-Length values; 431 when the head (request line, headers and the
// blank line, and any empty lines before the request line) has not ended
// within 8 KiB; 413 for a Content-Length over 1 MiB; 501 for any
// Transfer-Encoding; 505 for an HTTP major version other than 1. Each is
// sent as soon as it is known, without waiting for the rest of the head.
//
// Every response that ends the connection carries Connection: close and
// makes Handle return [iostrat.CloseAfterWrite]; the input after the
// request that caused it is ignored, and so are later calls' inputs. A
// request body (Content-Length) is read and discarded before the request
// is answered, so a closing response is not sent while its request's body
// is still arriving.
//
// HTTP/1.0 requests need no Host header; HTTP/1.1 requests need exactly
// one. Responses always say HTTP/1.1, the version the server speaks.
//
// Handlers are one small allocation each and hold no buffer between
// requests: only while a line of a head is split across reads do they hold
// one pooled 8 KiB buffer, which is all the head limit needs. Answering a
// request allocates nothing.
type HTTP struct{}

var (
	_ iostrat.Protocol = HTTP{}
	_ iostrat.Handler  = (*httpHandler)(nil)
)

// Name returns "http".
func (HTTP) Name() string { return "http" }

// NewHandler returns a fresh HTTP session.
func (HTTP) NewHandler() iostrat.Handler { return &httpHandler{} }

// The request parser is a line-oriented state machine. Lines end in CRLF;
// a line is parsed as soon as its LF arrives, wherever the input was split.
//
//	state             reads                 on                                        then
//	stateRequestLine  a line                empty line (tolerated before a request)   stateRequestLine
//	                                        request line                              stateHeaders
//	                                        malformed line: 400,
//	                                        HTTP major version not 1: 505             stateClosed
//	stateHeaders      a line                header line                               stateHeaders
//	                                        blank line, Content-Length > 0            stateBody
//	                                        blank line, no body                       respond
//	                                        malformed line or no Host: 400,
//	                                        Content-Length > 1 MiB: 413,
//	                                        Transfer-Encoding: 501                    stateClosed
//	stateBody         up to bodyLeft bytes  last body byte                            respond
//	stateClosed       nothing               any input, ignored                        stateClosed
//
// respond answers the request, then goes to stateRequestLine, or to
// stateClosed if the answer carries Connection: close. In stateRequestLine
// and stateHeaders, a line that cannot end within the 8 KiB head budget
// gets 431 and goes to stateClosed.
type parseState uint8

const (
	stateRequestLine parseState = iota // waiting for a request line
	stateHeaders                       // reading header lines up to the blank line
	stateBody                          // discarding the request body
	stateClosed                        // a closing response was produced; input is ignored
)

// method is the request method, as far as routing cares.
type method uint8

const (
	methodOther method = iota // any method but GET and HEAD, or not parsed yet
	methodGET
	methodHEAD
)

// request is what the parser has learned about the request being read.
type request struct {
	method        method
	plaintext     bool  // the target's path is /plaintext
	http10        bool  // HTTP/1.0: close unless asked to keep alive
	hasHost       bool  // a Host header was seen
	connClose     bool  // Connection: close was seen
	connKeepAlive bool  // Connection: keep-alive was seen
	hasLength     bool  // a Content-Length header was seen
	length        int64 // its value
}

// httpHandler is one connection's HTTP session.
type httpHandler struct {
	state    parseState
	head     headLines
	bodyLeft int64 // body bytes still to discard in stateBody
	req      request
	date     *httpDate // the Date for responses built in the current Handle call; nil until one is
}

// Handle answers every request completed by in, in order, appending the
// responses to out. See [HTTP] for the behaviour.
func (h *httpHandler) Handle(in, out []byte) ([]byte, iostrat.Action) {
	h.date = nil
	for len(in) > 0 && h.state != stateClosed {
		if h.state == stateBody {
			n := min(int64(len(in)), h.bodyLeft)
			in = in[n:]
			h.bodyLeft -= n
			if h.bodyLeft == 0 {
				out = h.respond(out)
			}
			continue
		}
		line, rest, tooLong := h.head.next(in)
		if tooLong {
			out = h.fail(out, statusHeaderFieldsTooLarge)
			break
		}
		if line == nil {
			break // the line continues in a later input
		}
		in = rest
		out = h.parseLine(line, out)
		h.head.release()
	}
	if h.state == stateClosed {
		return out, iostrat.CloseAfterWrite
	}
	return out, iostrat.Continue
}

// Close releases the partial-line buffer, if held, and ends the session.
func (h *httpHandler) Close() {
	h.head.reset()
	h.state = stateClosed
}

// parseLine parses one complete line of the head, LF included, and appends
// the response when the line completes a request or makes it fail.
func (h *httpHandler) parseLine(line, out []byte) []byte {
	n := len(line)
	if n < 2 || line[n-2] != '\r' {
		return h.fail(out, statusBadRequest) // a bare LF
	}
	line = line[:n-2]
	if h.state == stateRequestLine {
		if len(line) == 0 {
			return out // RFC 9112 §2.2: ignore empty lines before a request line
		}
		if st := h.req.parseRequestLine(line); st != statusOK {
			return h.fail(out, st)
		}
		h.state = stateHeaders
		return out
	}
	if len(line) > 0 {
		if st := h.req.parseField(line); st != statusOK {
			return h.fail(out, st)
		}
		return out
	}
	// The blank line: the head is complete.
	if !h.req.http10 && !h.req.hasHost {
		return h.fail(out, statusBadRequest) // RFC 9112 §3.2
	}
	if h.req.length > 0 {
		h.state = stateBody
		h.bodyLeft = h.req.length
		return out
	}
	return h.respond(out)
}

// respond appends the response to the complete request and gets ready for
// the next one, or closes.
func (h *httpHandler) respond(out []byte) []byte {
	r := &h.req
	st := statusOK
	switch {
	case !r.plaintext:
		st = statusNotFound
	case r.method == methodOther:
		st = statusMethodNotAllowed
	}
	keepAlive := !r.connClose && (!r.http10 || r.connKeepAlive)
	conn := connDefault
	switch {
	case !keepAlive:
		conn = connClose
	case r.http10:
		conn = connKeepAlive
	}
	out = appendResponse(out, st, conn, r.method != methodHEAD, h.now())
	if !keepAlive {
		h.state = stateClosed
		return out
	}
	h.state = stateRequestLine
	h.req = request{}
	h.head.reset()
	return out
}

// fail appends the error response st, which always closes the connection.
// It has a body unless the request line was read and named HEAD.
func (h *httpHandler) fail(out []byte, st status) []byte {
	h.state = stateClosed
	return appendResponse(out, st, connClose, h.req.method != methodHEAD, h.now())
}

// now returns the Date of responses built in this Handle call, reading the
// clock at most once per call.
func (h *httpHandler) now() *httpDate {
	if h.date == nil {
		h.date = currentDate()
	}
	return h.date
}

// parseRequestLine parses method SP request-target SP HTTP-version (RFC 9112
// §3), CRLF removed. Single spaces only; the method is a token, the target
// visible ASCII, the version "HTTP/" DIGIT "." DIGIT.
func (r *request) parseRequestLine(line []byte) status {
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 || !isToken(line[:sp]) {
		return statusBadRequest
	}
	methodName, rest := line[:sp], line[sp+1:]
	sp = bytes.IndexByte(rest, ' ')
	if sp <= 0 {
		return statusBadRequest // no target, or a double space
	}
	target, version := rest[:sp], rest[sp+1:]
	for _, c := range target {
		if c <= ' ' || c >= 0x7f {
			return statusBadRequest
		}
	}
	if len(version) != len("HTTP/1.1") || string(version[:5]) != "HTTP/" ||
		!isDigit(version[5]) || version[6] != '.' || !isDigit(version[7]) {
		return statusBadRequest
	}
	switch string(methodName) {
	case "GET":
		r.method = methodGET
	case "HEAD":
		r.method = methodHEAD
	}
	if version[5] != '1' {
		return statusHTTPVersionNotSupported
	}
	r.http10 = version[7] == '0'
	r.plaintext = isPlaintextTarget(target)
	return statusOK
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isPlaintextTarget reports whether a request target's path is /plaintext,
// in origin form ("/plaintext?q") or absolute form
// ("http://host/plaintext").
func isPlaintextTarget(target []byte) bool {
	path := target
	if path[0] != '/' {
		i := bytes.Index(path, []byte("://"))
		if i <= 0 || !isToken(path[:i]) {
			return false // asterisk or authority form, or nonsense
		}
		path = path[i+3:]
		// The authority ends at the path, or at a query if there is no path.
		if i = bytes.IndexAny(path, "/?"); i < 0 || path[i] != '/' {
			return false
		}
		path = path[i:]
	}
	if i := bytes.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	return string(path) == "/plaintext"
}

// parseField parses one header line, name ":" OWS value OWS (RFC 9112 §5),
// CRLF removed, and records the headers that matter. A line starting with
// whitespace (obsolete line folding) or with whitespace before the colon
// is malformed.
func (r *request) parseField(line []byte) status {
	colon := bytes.IndexByte(line, ':')
	if colon < 0 || !isToken(line[:colon]) {
		return statusBadRequest
	}
	name, value := line[:colon], trimOWS(line[colon+1:])
	if !isFieldValue(value) {
		return statusBadRequest
	}
	switch len(name) {
	case len("host"):
		if equalFoldLower(name, "host") {
			if r.hasHost {
				return statusBadRequest // RFC 9112 §3.2: exactly one Host
			}
			r.hasHost = true
		}
	case len("connection"):
		if equalFoldLower(name, "connection") {
			r.connClose = r.connClose || hasOption(value, "close")
			r.connKeepAlive = r.connKeepAlive || hasOption(value, "keep-alive")
		}
	case len("content-length"):
		if equalFoldLower(name, "content-length") {
			n, ok := parseLength(value, maxBodyBytes)
			switch {
			case !ok:
				return statusBadRequest
			case n > maxBodyBytes:
				return statusContentTooLarge
			case r.hasLength && n != r.length:
				return statusBadRequest // RFC 9112 §6.3: conflicting lengths
			}
			r.hasLength, r.length = true, n
		}
	case len("transfer-encoding"):
		if equalFoldLower(name, "transfer-encoding") {
			return statusNotImplemented
		}
	}
	return statusOK
}
