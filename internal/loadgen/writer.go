package loadgen

import (
	"net"
	"sync"
)

// inlineWriteMax is the largest message a closed-loop client writes whole
// before it starts reading the reply. Up to this size the message fits in
// the kernel's socket buffers on the way to and from the server, so the
// write completes even if the server echoes as it reads and the client is
// not reading yet. Larger messages are written by an asyncWriter while the
// driver reads: writing first could fill both directions' buffers and
// deadlock client and server, each blocked writing to the other.
const inlineWriteMax = 16 << 10

// An asyncWriter writes a connection's messages on its own goroutine, so
// the driver can read a reply while its request is still being written.
//
// The driver submits at most one message per round and submits the next
// only after reading the whole reply to the previous one; by then the
// writer has taken that message off its channel (every byte of it has
// reached the server), so submit never blocks. Messages are read-only
// payload subslices, so nothing is copied.
type asyncWriter struct {
	conn  net.Conn
	queue chan []byte
	wg    sync.WaitGroup

	mu  sync.Mutex
	err error // the first write error
}

func newAsyncWriter(conn net.Conn) *asyncWriter {
	w := &asyncWriter{conn: conn, queue: make(chan []byte, 1)}
	w.wg.Add(1)
	go w.loop()
	return w
}

func (w *asyncWriter) loop() {
	defer w.wg.Done()
	failed := false
	for msg := range w.queue {
		if failed {
			continue // keep draining, so submit never blocks
		}
		if _, err := w.conn.Write(msg); err != nil {
			failed = true
			w.mu.Lock()
			w.err = err
			w.mu.Unlock()
			// The driver is reading a reply that will never be complete.
			w.conn.SetReadDeadline(aLongTimeAgo)
		}
	}
}

// submit queues msg to be written.
func (w *asyncWriter) submit(msg []byte) { w.queue <- msg }

// writeErr returns the first write error, or nil. The driver asks after a
// failed read, since the write error is then the cause.
func (w *asyncWriter) writeErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// close ends the writer goroutine and waits for it. The connection must be
// closed first, so a write in progress returns.
func (w *asyncWriter) close() {
	close(w.queue)
	w.wg.Wait()
}
