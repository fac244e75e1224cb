// Package proto holds the protocol code that every iostrat server and client
// shares. It sits below the four strategies (impl/goroutine, impl/callback,
// impl/futures, impl/iocp_style), whose servers all run the same sans-I/O
// state machines from here, and below the clients (the conformance suite in
// iostrattest, the shared benchmark client in bench, and `iostrat load`),
// which all build requests and check responses with the same code. The
// strategies therefore differ only in how they move bytes and schedule work,
// never in how they parse or answer.
//
// Nothing in this package reads, writes, blocks or starts a goroutine: bytes
// go in, bytes come out.
//
// # Server side
//
// Each protocol implements [iostrat.Protocol]; its handlers implement
// [iostrat.Handler]:
//
//	echo  [Echo]  every byte received is sent back, unchanged, at once
//	http  [HTTP]  HTTP/1.1 "plaintext" as in the TechEmpower benchmark
//	sink  [Sink]  bulk one-way frames, each acknowledged with its length and hash (the pump benchmark)
//
// [ByName] and [Names] map command-line names to protocols.
//
// The HTTP handler answers GET and HEAD /plaintext with 200 and the body
// "Hello, World!", any other path with 404 and any other method on
// /plaintext with 405. It keeps connections alive by default for HTTP/1.1,
// and for HTTP/1.0 only when asked to with Connection: keep-alive. It
// answers every complete request in the input, in order, in one Handle call
// (pipelining), and keeps an incomplete line until the rest arrives, so any
// split of the same byte stream gives the same output. Malformed requests
// get 400, heads over 8 KiB 431, bodies over 1 MiB 413, Transfer-Encoding
// 501 and HTTP major versions other than 1 get 505; each of those, like
// every response that ends the connection, carries Connection: close, and
// Handle then returns [iostrat.CloseAfterWrite]. See [HTTP] for the details.
//
// # Client side
//
// [PlaintextRequest] is the request every client sends and [AppendRequests]
// batches it for pipelining. A [ResponseReader] is fed response bytes as
// they arrive, parses them, counts complete responses by status class and
// verifies every 200 response as the answer to GET /plaintext, so a
// benchmark result only ever counts responses that were checked.
package proto
