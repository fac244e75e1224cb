package iocpstyle

import "time"

// A Handler is one connection's session: it turns the bytes received into
// the bytes to send and never reads, writes or blocks itself. A [Server]
// makes one per connection and calls it only from the owner of the
// [Host] that serves the connection.
type Handler interface {
	// Handle consumes all of in, the bytes just received, and appends its
	// answer to out, returning the extended slice. in is a view of a
	// receive buffer (often a provided buffer the port recycles at its
	// next Wait), valid only until Handle returns: a partial message must
	// be copied if it is kept. out holds the connection's output not yet
	// sent, often none, and reuses the capacity of earlier answers; the
	// Server sends the returned bytes. If closeAfter is true the Server
	// sends them, then ends the connection with a lingering close and
	// calls Handle no more.
	Handle(in, out []byte) (res []byte, closeAfter bool)
	// Close ends the session. It is called exactly once, after the last
	// Handle, however the connection ended.
	Close()
}

// ServerConfig tunes a Server. The zero value asks for the defaults.
type ServerConfig struct {
	// ReadBuffer is the size of the receive buffer each connection holds
	// where its host's port has no provided buffers (Config.Buffers 0).
	// With provided buffers connections hold none, and the port's
	// Config.BufferSize is the size of each receive. 0 means 16 KiB.
	ReadBuffer int
	// HighWater is the output, in bytes, a connection may have waiting to
	// be sent before the Server stops receiving from it; receiving
	// resumes once the output drains below half. 0 means 256 KiB.
	HighWater int
	// DrainTimeout bounds the end of a connection: how long a lingering
	// close waits for the client to close after the server's shutdown,
	// and so how long Close lets a client that does not read hold its
	// connection. 0 means one second.
	DrainTimeout time.Duration
	// SingleShotRecv submits one receive at a time even where the port
	// could keep a multishot receive armed (io_uring 6.0 and later, and
	// the emulated port, with provided buffers). The default is
	// multishot wherever the port has it.
	SingleShotRecv bool
	// Logf receives accept errors, which the Server survives by pausing
	// its accept. nil means none.
	Logf func(format string, args ...any)
}

const (
	defaultServerReadBuffer = 16 << 10
	defaultHighWater        = 256 << 10
	defaultDrainTimeout     = time.Second
)

func (c ServerConfig) withDefaults() ServerConfig {
	if c.ReadBuffer <= 0 {
		c.ReadBuffer = defaultServerReadBuffer
	}
	if c.HighWater <= 0 {
		c.HighWater = defaultHighWater
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = defaultDrainTimeout
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	return c
}

// HostTokens is the size of the token range a [Host] uses: its tokens are
// base+0 to base+HostTokens-1, for the base given to [NewHost], which is
// a multiple of HostTokens. Every token in the range fits a posted
// completion (base+HostTokens-1 <= MaxPostToken), so a port has 256 such
// ranges: a program that shares the port with a host keeps its own tokens
// out of the host's range.
const HostTokens Token = 1 << 48
