package proto

import "slices"

// PlaintextRequest is the request every iostrat client sends to an HTTP
// server: GET /plaintext over HTTP/1.1 with the Host header HTTP/1.1
// requires, and nothing else, so the server's parsing cost is the same for
// every strategy and every client. Each 200 response to it is checked by a
// [ResponseReader].
const PlaintextRequest = "GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n"

// AppendRequests appends n copies of [PlaintextRequest] to dst, the batch a
// client sends at once to pipeline n requests, and returns the extended
// slice.
func AppendRequests(dst []byte, n int) []byte {
	dst = slices.Grow(dst, n*len(PlaintextRequest))
	for range n {
		dst = append(dst, PlaintextRequest...)
	}
	return dst
}
