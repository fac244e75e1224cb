package loadgen

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"iostrat/internal/proto"
)

// sinkHeaderSize is the size of a sink frame's header: the payload length,
// 8 bytes big-endian. The protocol is [proto.Sink].
const sinkHeaderSize = 8

// pumpVariants is the number of different payloads a pump connection
// cycles through. Their hashes are computed when dialing, so the client
// never hashes while it measures; a handful is enough for consecutive
// frames to differ.
const pumpVariants = 4

// pumpInFlight is how many frames a pump connection keeps sent but not yet
// acknowledged: with two, the next frame is already on its way while the
// server reads the last bytes of one, so the pipe never drains.
const pumpInFlight = 2

// Pump is a bulk one-way client of the sink protocol ([proto.Sink]): conns
// persistent connections, each sending frames of a fixed payload size back
// to back, with up to two frames in flight, and verifying every
// acknowledgement's length and FNV-1a hash. Anchor: libuv pump.
//
// Each connection has two goroutines that live until Close: a driver that
// writes frames and an acknowledgement reader. Run and Close may be called
// from any goroutine, one run at a time; Close aborts a run in progress.
type Pump struct {
	// StallTimeout is how long a connection may have no frame acknowledged
	// before a run fails; 0 means DefaultStallTimeout. Set it before a run.
	StallTimeout time.Duration

	pool  *pool
	frame int
}

// DialPump opens conns connections to the sink server at addr, to send
// frames of frame payload bytes.
func DialPump(addr string, conns, frame int) (*Pump, error) {
	if frame <= 0 || frame > proto.MaxSinkFrame {
		return nil, fmt.Errorf("loadgen: pump: frame size %d, want 1 to %d", frame, proto.MaxSinkFrame)
	}
	cs, err := dialAll("pump", addr, conns)
	if err != nil {
		return nil, err
	}
	p := &Pump{frame: frame}
	p.pool = newPool("pump", "frame", addr, cs, func(i int, conn net.Conn, done *atomic.Uint64, stop *atomic.Bool) connWorker {
		return newPumpConn(i, conn, frame, done, stop)
	})
	return p, nil
}

// Run makes every connection send frames frames and waits until every one
// is acknowledged and verified. It returns the payload bytes acknowledged,
// with the first error. After an error the connections are aborted and
// every later run fails.
func (p *Pump) Run(frames int) (bytes int64, err error) {
	if frames < 0 {
		return 0, fmt.Errorf("loadgen: pump: %d frames, want at least 0", frames)
	}
	_, acked, err := p.pool.run(runSpec{n: frames, stall: p.StallTimeout})
	return int64(acked) * int64(p.frame), err
}

// Conns returns the number of connections.
func (p *Pump) Conns() int { return len(p.pool.slots) }

// Close closes every connection and ends every goroutine of the client
// before returning. It is idempotent.
func (p *Pump) Close() error { return p.pool.close() }

// pumpConn is one connection of a Pump.
type pumpConn struct {
	id      int
	conn    net.Conn
	header  [sinkHeaderSize]byte // the same for every frame
	payload payload
	hashes  [pumpVariants]uint64 // FNV-1a of each payload variant
	iov     [2][]byte            // backing of buf, refilled per frame
	buf     net.Buffers          // header and payload, for one writev
	sent    uint64               // frames written, all runs; picks the payload
	done    *atomic.Uint64
	stop    *atomic.Bool

	// credits holds a token for each frame that may be sent: pumpInFlight
	// at rest; the driver takes one per frame, the ack reader returns one
	// per verified acknowledgement.
	credits chan struct{}
	acks    chan int   // how many acknowledgements the ack reader is to verify
	acked   chan error // the ack reader's outcome of each job
	wg      sync.WaitGroup

	// The ack reader's.
	ack      [proto.SinkAckSize]byte
	verified uint64 // acknowledgements verified, all runs
}

func newPumpConn(i int, conn net.Conn, frame int, done *atomic.Uint64, stop *atomic.Bool) *pumpConn {
	c := &pumpConn{
		id:      i,
		conn:    conn,
		payload: newPayload(frame, pumpVariants, uint64(i)),
		done:    done,
		stop:    stop,
		credits: make(chan struct{}, pumpInFlight),
		acks:    make(chan int),
		acked:   make(chan error, 1),
	}
	binary.BigEndian.PutUint64(c.header[:], uint64(frame))
	for v := range pumpVariants {
		c.hashes[v] = proto.SinkHash(c.payload.message(uint64(v)))
	}
	for range pumpInFlight {
		c.credits <- struct{}{}
	}
	c.wg.Add(1)
	go c.readAcks()
	return c
}

// work sends n frames and waits for their acknowledgements.
func (c *pumpConn) work(n int) error {
	c.acks <- n
	for i := range n {
		select {
		case <-c.credits:
		case err := <-c.acked:
			// The ack reader ended before all n frames were sent.
			if err == nil {
				err = fmt.Errorf("loadgen: pump: connection %d: %d acknowledgements arrived before their frames were sent", c.id, n)
			}
			return err
		}
		if c.stop.Load() {
			break // aborted; the ack reader ends on the expired deadline
		}
		if err := c.write(); err != nil {
			c.conn.SetDeadline(aLongTimeAgo) // ends the ack reader
			ackErr := <-c.acked
			if errors.Is(err, os.ErrDeadlineExceeded) && ackErr != nil {
				return ackErr // the ack reader failed first and expired the deadline
			}
			return fmt.Errorf("loadgen: pump: connection %d, frame %d (%d bytes): write: %w", c.id, i, c.payload.size, err)
		}
	}
	return <-c.acked
}

// write sends the next frame in one writev: header and payload, no copy.
func (c *pumpConn) write() error {
	c.iov = [2][]byte{c.header[:], c.payload.message(c.sent)}
	c.buf = c.iov[:] // WriteTo consumes buf
	_, err := c.buf.WriteTo(c.conn)
	c.sent++
	return err
}

// readAcks verifies acknowledgements, n per job, until close ends the
// jobs.
func (c *pumpConn) readAcks() {
	defer c.wg.Done()
	for n := range c.acks {
		c.acked <- c.verifyAcks(n)
	}
}

// verifyAcks reads and checks the next n acknowledgements, returning a
// credit to the driver for each.
func (c *pumpConn) verifyAcks(n int) error {
	for i := range n {
		if got, err := io.ReadFull(c.conn, c.ack[:]); err != nil {
			what := fmt.Sprintf("read after %d of %d bytes: %v", got, proto.SinkAckSize, err)
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				what = fmt.Sprintf("the server closed the connection after %d of %d bytes", got, proto.SinkAckSize)
			}
			return c.ackFailed(i, "%s", what)
		}
		length := binary.BigEndian.Uint64(c.ack[:8])
		hash := binary.BigEndian.Uint64(c.ack[8:])
		if length != uint64(c.payload.size) {
			return c.ackFailed(i, "length %d, want %d", length, c.payload.size)
		}
		if want := c.hashes[c.verified%pumpVariants]; hash != want {
			return c.ackFailed(i, "hash %#016x, want %#016x", hash, want)
		}
		c.verified++
		c.done.Add(1)
		select {
		case c.credits <- struct{}{}:
		default: // every credit is back: no frame was in flight
			return c.ackFailed(i, "an acknowledgement of a frame not sent")
		}
	}
	return nil
}

// ackFailed ends the run of the connection: it expires the deadline, which
// unblocks a driver stuck writing to a server that stopped reading, and
// returns the error with its context.
func (c *pumpConn) ackFailed(i int, format string, args ...any) error {
	c.conn.SetDeadline(aLongTimeAgo)
	return fmt.Errorf("loadgen: pump: connection %d, acknowledgement of frame %d (%d bytes): %w",
		c.id, i, c.payload.size, fmt.Errorf(format, args...))
}

func (c *pumpConn) close() {
	close(c.acks)
	c.wg.Wait()
}
