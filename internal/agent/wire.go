package agent

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"iostrat"
)

// MaxLine is the longest request or reply line, newline excluded. A longer
// request is answered with an error and skipped; the connection stays up.
const MaxLine = 64 << 10

// An Op is what a request asks the agent to do.
type Op string

// The operations, with the reply field each fills.
const (
	OpPing    Op = "ping"    // nothing: checks the connection and the token
	OpMachine Op = "machine" // Machine: the agent's host
	OpStart   Op = "start"   // Started: start a strategy's server (the StartRequest fields)
	OpStats   Op = "stats"   // Report: a snapshot of the running server, which keeps running
	OpStop    Op = "stop"    // Report: stop the running server and report on it
)

// ops lists the operations in the order error messages name them.
var ops = []Op{OpMachine, OpStart, OpStats, OpStop, OpPing}

// A StartRequest asks for one registered strategy's server. Zero fields
// ask for defaults: the protocol is required, one CPU, the strategy's
// read buffer and loop count, and a port on the address the client
// reached the agent at.
type StartRequest struct {
	Strategy   string `json:"strategy"`
	Proto      string `json:"proto"` // echo | http | sink
	CPUs       int    `json:"cpus"`  // CPU budget; 0 = 1
	ReadBuffer int    `json:"read_buffer,omitempty"`
	Loops      int    `json:"loops,omitempty"`
	// Listen is the address to serve on. "" means port 0 on the IP the
	// control connection reached; a host left empty (":9000") means that
	// IP too.
	Listen string `json:"listen,omitempty"`
}

// Started answers a start: where to dial, and the placement the agent
// read back after pinning itself to the budget.
type Started struct {
	Addr       string `json:"addr"` // host:port the client should dial
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	// CPUList is the CPUs the agent runs on, as the kernel lists them ("0-1").
	CPUList string `json:"cpu_list"`
}

// A Report describes a server over its run: from its start to the stats or
// stop request that produced the report.
type Report struct {
	CPU      time.Duration     `json:"cpu_ns"`          // process CPU time, user and system (getrusage)
	Wall     time.Duration     `json:"wall_ns"`         // wall-clock time
	RSS      int64             `json:"rss_bytes"`       // resident set size (VmRSS) at the request
	RSSDelta int64             `json:"rss_delta_bytes"` // RSS minus the RSS before the strategy started
	Stats    map[string]uint64 `json:"stats"`           // every counter the runtime keeps, by Counter.String
	Name     string            `json:"name"`            // Info.Name
	Model    string            `json:"model"`           // Info.Model
	Backend  string            `json:"backend"`         // Info.Backend
	Knobs    []iostrat.Knob    `json:"knobs"`           // Info.Knobs
	// Placement read back at the request.
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUList    string `json:"cpu_list"`
}

// Machine describes the agent's host, as the benchmark report's provenance
// does the local one.
type Machine struct {
	CPU       string `json:"cpu"`        // model name from /proc/cpuinfo
	Kernel    string `json:"kernel"`     // uname -r
	GoVersion string `json:"go_version"` // the Go that built the agent
	Commit    string `json:"commit"`     // the commit the agent was built from, "-dirty" with local changes
	VCPUs     int    `json:"vcpus"`      // online CPUs
	Hostname  string `json:"hostname"`
	// Allowed is the CPUs the agent may run on, the set budgets are taken
	// from, as the kernel lists them.
	Allowed string `json:"allowed"`
}

// request is one request line. The StartRequest fields sit beside the
// token and op, and only a start reads them.
type request struct {
	Token string `json:"token"`
	Op    Op     `json:"op"`
	StartRequest
}

// reply is one reply line: OK with the field its op fills, or an error.
type reply struct {
	OK      bool     `json:"ok"`
	Error   string   `json:"error,omitempty"`
	Machine *Machine `json:"machine,omitempty"`
	Started *Started `json:"started,omitempty"`
	Report  *Report  `json:"report,omitempty"`
}

// Error is a request the agent refused or failed, with its message.
type Error struct {
	Op  Op
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("agent: %s: %s", e.Op, e.Msg) }

// errTooLarge is the reply to a line over MaxLine.
var errTooLarge = fmt.Errorf("request too large (max %d bytes)", MaxLine)

// A lineReader reads lines of at most MaxLine bytes. A longer line is
// reported as soon as more than MaxLine bytes of it have arrived, so its
// reply need not wait for the rest, which the next call skips.
type lineReader struct {
	r    *bufio.Reader
	line []byte
	skip bool // the rest of a line over the limit is still to be skipped
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 4<<10)}
}

// next returns the next line without its newline (valid until the next
// call), errTooLarge for a line over the limit, or the read error. A last
// line without a newline is returned; end of input after it is io.EOF.
//
// It takes whatever has arrived rather than use ReadSlice, which would
// wait for a newline or a full buffer before the limit could be checked.
func (l *lineReader) next() ([]byte, error) {
	l.line = l.line[:0]
	for {
		if _, err := l.r.Peek(1); err != nil { // waits for one read's worth
			if errors.Is(err, io.EOF) && len(l.line) > 0 {
				return l.line, nil
			}
			return nil, err
		}
		chunk, _ := l.r.Peek(l.r.Buffered())
		piece, _, found := bytes.Cut(chunk, []byte("\n"))
		consumed := len(piece)
		if found {
			consumed++
		}
		if l.skip {
			l.skip = !found
			l.r.Discard(consumed)
			continue
		}
		if len(l.line)+len(piece) > MaxLine {
			l.line = l.line[:0]
			l.skip = !found
			l.r.Discard(consumed)
			return nil, errTooLarge
		}
		l.line = append(l.line, piece...)
		l.r.Discard(consumed)
		if found {
			return l.line, nil
		}
	}
}

// decodeRequest parses one request line strictly: one JSON object, no
// unknown fields, nothing after it.
func decodeRequest(line []byte) (request, error) {
	var req request
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return request{}, fmt.Errorf("malformed request: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return request{}, errors.New("malformed request: data after the JSON object")
	}
	return req, nil
}
