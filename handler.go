package iostrat

// A Protocol makes one [Handler] per connection. Protocols are written once
// (internal/proto: echo, HTTP/1.1 plaintext) and shared by every strategy.
type Protocol interface {
	// Name is the protocol's name on the command line: "echo", "http".
	Name() string
	// NewHandler returns a fresh session for a new connection. It is safe
	// for concurrent use.
	NewHandler() Handler
}

// A Handler is one connection's protocol session, sans-I/O: it never reads,
// writes or blocks; it turns bytes received into bytes to send. A Handler
// is used by one goroutine at a time.
type Handler interface {
	// Handle consumes all of in, the bytes just received, and appends the
	// responses they complete to out, returning the extended slice. A
	// partial message is kept inside the handler until the rest arrives, so
	// the caller may reuse in's memory as soon as Handle returns (one read
	// buffer per loop). If action is [CloseAfterWrite], the transport writes
	// the returned bytes, then closes the connection and stops calling
	// Handle; the bytes of in after the message that caused it are ignored.
	Handle(in, out []byte) (res []byte, action Action)
	// Close ends the session, returning its buffers to their pools. It is
	// called exactly once, after the last Handle, however the connection
	// ended.
	Close()
}

// Action is what a [Handler] asks of the transport after Handle.
type Action uint8

const (
	// Continue: keep the connection open and keep reading.
	Continue Action = iota
	// CloseAfterWrite: write the output produced so far, then close.
	CloseAfterWrite
)
