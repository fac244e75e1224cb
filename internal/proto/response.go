package proto

import "strconv"

// PlaintextBody is the body of every 200 response to GET /plaintext.
const PlaintextBody = "Hello, World!"

// serverName is the Server header value of every response.
const serverName = "iostrat"

// status is a response the HTTP handler can send.
type status uint8

const (
	statusOK                      status = iota // 200: GET or HEAD /plaintext
	statusBadRequest                            // 400: malformed request line or header line, missing Host
	statusNotFound                              // 404: any path but /plaintext
	statusMethodNotAllowed                      // 405: a method other than GET or HEAD on /plaintext
	statusContentTooLarge                       // 413: Content-Length over maxBodyBytes
	statusHeaderFieldsTooLarge                  // 431: no blank line within maxHeadBytes
	statusNotImplemented                        // 501: Transfer-Encoding
	statusHTTPVersionNotSupported               // 505: HTTP major version other than 1
	numStatuses
)

// statusLines holds each status's code and reason phrase (RFC 9110 §15).
var statusLines = [numStatuses]struct {
	code   int
	reason string
}{
	statusOK:                      {200, "OK"},
	statusBadRequest:              {400, "Bad Request"},
	statusNotFound:                {404, "Not Found"},
	statusMethodNotAllowed:        {405, "Method Not Allowed"},
	statusContentTooLarge:         {413, "Content Too Large"},
	statusHeaderFieldsTooLarge:    {431, "Request Header Fields Too Large"},
	statusNotImplemented:          {501, "Not Implemented"},
	statusHTTPVersionNotSupported: {505, "HTTP Version Not Supported"},
}

// connHeader is the Connection header a response carries.
type connHeader uint8

const (
	connDefault   connHeader = iota // none: HTTP/1.1 keeps the connection by default
	connKeepAlive                   // "Connection: keep-alive": an HTTP/1.0 client asked to keep it
	connClose                       // "Connection: close": the server closes after this response
	numConnHeaders
)

// cannedResponse is one response, split around its Date value so that
// building it is three appends and no formatting.
type cannedResponse struct {
	head string // status line and headers, up to and including "Date: "
	body string // the body, sent unless the request was HEAD
}

// dateEnd ends the Date header line and the head.
const dateEnd = "\r\n\r\n"

// responses holds every response the HTTP handler sends, by status and
// Connection header.
var responses = buildResponses()

func buildResponses() (r [numStatuses][numConnHeaders]cannedResponse) {
	for st := range numStatuses {
		line := statusLines[st]
		body := PlaintextBody
		if st != statusOK {
			body = line.reason + "\n"
		}
		for conn := range numConnHeaders {
			head := "HTTP/1.1 " + strconv.Itoa(line.code) + " " + line.reason + "\r\n" +
				"Server: " + serverName + "\r\n" +
				"Content-Type: text/plain\r\n" +
				"Content-Length: " + strconv.Itoa(len(body)) + "\r\n"
			if st == statusMethodNotAllowed {
				head += "Allow: GET, HEAD\r\n"
			}
			switch conn {
			case connKeepAlive:
				head += "Connection: keep-alive\r\n"
			case connClose:
				head += "Connection: close\r\n"
			}
			r[st][conn] = cannedResponse{head: head + "Date: ", body: body}
		}
	}
	return r
}

// appendResponse appends response st with Connection header conn to out.
// A response to HEAD has the same head as the response to GET, Content-Length
// included, and no body (RFC 9110 §9.3.2).
func appendResponse(out []byte, st status, conn connHeader, withBody bool, date *httpDate) []byte {
	r := &responses[st][conn]
	out = append(out, r.head...)
	out = append(out, date.text[:]...)
	out = append(out, dateEnd...)
	if withBody {
		out = append(out, r.body...)
	}
	return out
}
