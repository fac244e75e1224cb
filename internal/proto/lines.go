package proto

import (
	"bytes"
	"sync"
)

// maxHeadBytes bounds a message head: the request or status line, the
// header lines and the blank line that ends them, CRLFs included, plus any
// empty lines before a request line. It is also the size of the buffer that
// keeps a line split across reads, so that buffer never grows.
const maxHeadBytes = 8 << 10

// lineBuffers holds the buffers of heads whose current line has not fully
// arrived. Taking one only for that time keeps an idle connection, or one
// whose requests arrive whole, free of any buffer.
var lineBuffers = sync.Pool{
	New: func() any {
		b := make([]byte, 0, maxHeadBytes)
		return &b
	},
}

// headLines cuts the head of an HTTP message into lines as its bytes arrive,
// in any split, within the maxHeadBytes budget. Complete lines are returned
// in place, in the caller's input; only a line cut by the end of an input is
// copied, into a pooled buffer, to be joined with the rest of it later.
type headLines struct {
	partial *[]byte // the start of a line whose end has not arrived; nil if none
	used    int     // bytes of the current head in complete lines so far
}

// next returns the next complete line of the head in in, LF included, and
// the input after it. If in ends first, next keeps the start of the line
// and returns a nil line. tooLong reports that the line cannot end within
// the head budget; the head is then over the limit whatever comes next.
// A line returned from the partial buffer stays valid until release.
func (l *headLines) next(in []byte) (line, rest []byte, tooLong bool) {
	budget := maxHeadBytes - l.used
	var kept []byte
	if l.partial != nil {
		kept = *l.partial
		budget -= len(kept)
	}
	i := bytes.IndexByte(in[:min(len(in), budget)], '\n')
	if i < 0 {
		if len(in) >= budget {
			return nil, nil, true
		}
		if l.partial == nil {
			l.partial = lineBuffers.Get().(*[]byte)
			kept = (*l.partial)[:0]
		}
		// Cannot grow the buffer: len(kept)+len(in) < maxHeadBytes-used.
		*l.partial = append(kept, in...)
		return nil, nil, false
	}
	line, rest = in[:i+1], in[i+1:]
	if l.partial != nil {
		line = append(kept, line...)
		*l.partial = line
	}
	l.used += len(line)
	return line, rest, false
}

// release gives the partial buffer back to its pool once the line taken
// from it has been parsed. It does nothing when no buffer is held.
func (l *headLines) release() {
	if l.partial != nil {
		*l.partial = (*l.partial)[:0]
		lineBuffers.Put(l.partial)
		l.partial = nil
	}
}

// reset starts a new head, releasing any buffer held.
func (l *headLines) reset() {
	l.release()
	l.used = 0
}

// buffered is how many bytes of an unfinished line are held.
func (l *headLines) buffered() int {
	if l.partial == nil {
		return 0
	}
	return len(*l.partial)
}
