package iocpstyle

// readyQueue is a FIFO of completions that Wait has not returned yet: the
// emulated port's results and self-posts; the io_uring port's user-space
// work, which Wait returns before it looks at the ring — self-posts,
// posts taken from the cross-thread queue, timers due or cancelled. It is
// a ring buffer whose size is a power of
// two and grows by doubling when full, so it holds at most twice the most
// completions ever outstanding at once, however long the queue never
// empties. (A slice appended at the tail and cut at the head, reset only
// when drained, grows without bound while work stays outstanding: 200
// tasks yielding through a port never let it drain.)
//
// The indices are free-running; len is tail-head. Owner thread only.
type readyQueue struct {
	buf        []Completion // len(buf) is 0 or a power of two
	head, tail uint
}

// readyQueueMin is the first allocation: a batch of self-posts fits.
const readyQueueMin = 64

func (q *readyQueue) len() int { return int(q.tail - q.head) }

// push appends c.
func (q *readyQueue) push(c Completion) {
	if q.tail-q.head == uint(len(q.buf)) {
		q.grow()
	}
	q.buf[q.tail&uint(len(q.buf)-1)] = c
	q.tail++
}

// grow doubles the buffer, keeping the queued completions in order.
func (q *readyQueue) grow() {
	n := max(2*len(q.buf), readyQueueMin)
	buf := make([]Completion, n)
	k := q.pop(buf)
	q.buf, q.head, q.tail = buf, 0, uint(k)
}

// pop moves up to len(cs) completions, oldest first, into cs and returns
// how many. The slots they leave are cleared, so the queue keeps no buffer
// reachable once it has been handed back.
func (q *readyQueue) pop(cs []Completion) int {
	n := min(len(cs), q.len())
	if n == 0 {
		return 0
	}
	// At most two runs: from head to the end of buf, then from its start.
	h := int(q.head & uint(len(q.buf)-1))
	first := min(n, len(q.buf)-h)
	copy(cs, q.buf[h:h+first])
	clear(q.buf[h : h+first])
	copy(cs[first:n], q.buf[:n-first])
	clear(q.buf[:n-first])
	q.head += uint(n)
	return n
}

// reset drops everything queued and the buffer.
func (q *readyQueue) reset() { *q = readyQueue{} }
