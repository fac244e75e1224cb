package loadgen

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"iostrat/internal/affinity"
)

// A Remote is a load client in a child process: the benchmarks' socket
// workloads drive their server through one, so client goroutines never
// compete with the server for the Go scheduler's Ps (which would tax
// strategies that lock loop threads more than others), and the server's
// allocation and counter figures hold only the server's work.
//
// The protocol is one JSON [Request] per line on the child's standard
// input and one JSON [Response] per line on its standard output, in
// order; the child ends when its standard input closes. The child holds
// at most one Echo, HTTP or Pump client at a time (the last one dialed)
// and the latencies of the open-loop calls since the last percentiles
// request.
type Remote struct {
	child *child
	enc   *json.Encoder
	dec   *json.Decoder
	once  sync.Once
	err   error
}

// An Op is what a [Request] asks the remote client to do.
type Op string

// The operations, with the Request fields each reads.
const (
	OpDialEcho    Op = "dial-echo"   // close the current client, dial an Echo (Addr, Conns, Size)
	OpDialHTTP    Op = "dial-http"   // close the current client, dial an HTTP (Addr, Conns, Size as the pipeline depth)
	OpDialPump    Op = "dial-pump"   // close the current client, dial a Pump (Addr, Conns, Size as the frame)
	OpRun         Op = "run"         // run the current client (N); answers Bytes, OK and NotOK as the client counts them
	OpChurn       Op = "churn"       // ChurnConcurrent (Addr, Proto, N, Workers)
	OpOpenLoop    Op = "open-loop"   // one OpenLoop run (Addr, Proto, Size, Conns, Rate, Duration, Warmup, Drain), latencies kept
	OpPercentiles Op = "percentiles" // p50, p99, p99.9 and max of the kept latencies, which it then forgets
	OpPlacement   Op = "placement"   // where the child runs, read back: CPUs and GOMAXPROCS
	OpClose       Op = "close"       // close the current client
)

// maxKeptLatencies bounds the open-loop latencies the child keeps across
// calls for one percentiles request.
const maxKeptLatencies = 1 << 22

// A Request is one command to a [Remote]; the fields an [Op] does not
// read are left zero.
type Request struct {
	Op       Op            `json:"op"`
	Addr     string        `json:"addr,omitempty"`
	Proto    string        `json:"proto,omitempty"`
	Conns    int           `json:"conns,omitempty"`
	Size     int           `json:"size,omitempty"`
	N        int           `json:"n,omitempty"`
	Workers  int           `json:"workers,omitempty"`
	Rate     float64       `json:"rate,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
	Warmup   time.Duration `json:"warmup,omitempty"`
	Drain    time.Duration `json:"drain,omitempty"`
}

// A Response answers one [Request]; Err is empty on success.
type Response struct {
	Err         string          `json:"err,omitempty"`
	Bytes       int64           `json:"bytes,omitempty"`
	OK          uint64          `json:"ok,omitempty"`
	NotOK       uint64          `json:"not_ok,omitempty"`
	Errors      uint64          `json:"errors,omitempty"`
	Behind      bool            `json:"behind,omitempty"`
	Percentiles []time.Duration `json:"percentiles,omitempty"`
	CPUs        string          `json:"cpus,omitempty"` // placement: the client's CPUs, read back
	GOMAXPROCS  int             `json:"gomaxprocs,omitempty"`
}

// StartRemote starts a load client in a child process pinned to cpus
// (nil: wherever it is started), with GOMAXPROCS set to their number. The
// test binary's TestMain must call [ChildMain]. Close ends it.
func StartRemote(cpus affinity.Set) (*Remote, error) {
	c, err := startChild("remote client", remoteEnv+"=1", cpus)
	if err != nil {
		return nil, err
	}
	return &Remote{child: c, enc: json.NewEncoder(c.stdin), dec: json.NewDecoder(bufio.NewReader(c.stdout))}, nil
}

// Call sends one request and waits for its answer. An answer with Err set
// is returned with the error "client: " and Err. Calls must not overlap.
func (r *Remote) Call(req Request) (Response, error) {
	var resp Response
	if err := r.enc.Encode(req); err != nil {
		return resp, fmt.Errorf("client process: %w", err)
	}
	if err := r.dec.Decode(&resp); err != nil {
		return resp, fmt.Errorf("client process: %w", err)
	}
	if resp.Err != "" {
		return resp, fmt.Errorf("client: %s", resp.Err)
	}
	return resp, nil
}

// Placement asks the client where it runs.
func (r *Remote) Placement() (affinity.Placement, error) {
	resp, err := r.Call(Request{Op: OpPlacement})
	if err != nil {
		return affinity.Placement{}, err
	}
	cpus, err := affinity.Parse(resp.CPUs)
	return affinity.Placement{CPUs: cpus, GOMAXPROCS: resp.GOMAXPROCS}, err
}

// Close ends the child, which closes its clients, and waits for it; the
// error is the child's exit status if it failed. It is idempotent.
func (r *Remote) Close() error {
	r.once.Do(func() {
		if err := r.child.wait(); err != nil {
			r.err = fmt.Errorf("client process: %w", err)
		}
	})
	return r.err
}

// runRemote is the child's side: it pins itself, then serves requests
// from in until in closes, and returns the exit code.
func runRemote(in io.Reader, out io.Writer) int {
	if err := affinity.PinFromEnv(); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		return 1
	}
	return serveRemote(in, out)
}

// serveRemote answers each request line of in with a response line on
// out, until in closes; a line that is not a request is answered with its
// decoding error. It returns 0, or 1 if out fails.
func serveRemote(in io.Reader, out io.Writer) int {
	s := &remoteSession{}
	defer s.closeAll()
	lines := bufio.NewScanner(in)
	enc := json.NewEncoder(out)
	for lines.Scan() {
		var req Request
		resp := Response{}
		if err := json.Unmarshal(lines.Bytes(), &req); err != nil {
			resp.Err = err.Error()
		} else if err := s.do(req, &resp); err != nil {
			resp.Err = err.Error()
		}
		if err := enc.Encode(resp); err != nil {
			return 1
		}
	}
	return 0
}

// remoteSession is what the child holds between requests.
type remoteSession struct {
	echo    *Echo
	http    *HTTP
	pump    *Pump
	samples []time.Duration // one open-loop call's latencies
	kept    []time.Duration // every call's, for the percentiles
}

func (s *remoteSession) closeAll() {
	if s.echo != nil {
		s.echo.Close()
	}
	if s.http != nil {
		s.http.Close()
	}
	if s.pump != nil {
		s.pump.Close()
	}
	*s = remoteSession{}
}

func (s *remoteSession) do(req Request, resp *Response) error {
	var err error
	switch req.Op {
	case OpDialEcho:
		s.closeAll()
		s.echo, err = DialEcho(req.Addr, req.Conns, req.Size)
	case OpDialHTTP:
		s.closeAll()
		s.http, err = DialHTTP(req.Addr, req.Conns, req.Size)
	case OpDialPump:
		s.closeAll()
		s.pump, err = DialPump(req.Addr, req.Conns, req.Size)
	case OpRun:
		switch {
		case s.echo != nil:
			err = s.echo.Run(req.N)
		case s.http != nil:
			var res Result
			res, err = s.http.Run(req.N)
			resp.OK, resp.NotOK, resp.Bytes = res.OK, res.NotOK, res.BytesRead
		case s.pump != nil:
			resp.Bytes, err = s.pump.Run(req.N)
		default:
			err = errors.New("run before dial")
		}
	case OpChurn:
		err = ChurnConcurrent(req.Addr, req.Proto, req.N, req.Workers)
	case OpOpenLoop:
		want := int(req.Rate*req.Duration.Seconds()) + req.Conns
		if len(s.samples) < want+want/4 {
			s.samples = make([]time.Duration, want+want/4)
		}
		if s.kept == nil {
			s.kept = make([]time.Duration, 0, maxKeptLatencies)
		}
		var res OpenLoopResult
		res, err = OpenLoop(OpenLoopConfig{
			Addr: req.Addr, Proto: req.Proto, Size: req.Size, Conns: req.Conns, Rate: req.Rate,
			Duration: req.Duration, Warmup: req.Warmup, Drain: req.Drain, Samples: s.samples,
		})
		resp.OK, resp.NotOK, resp.Errors, resp.Behind = res.Completed, res.NotOK, res.Errors, res.Behind
		n := min(len(res.Latencies), cap(s.kept)-len(s.kept))
		s.kept = append(s.kept, res.Latencies[:n]...)
	case OpPercentiles:
		if len(s.kept) > 0 {
			resp.Percentiles, err = Percentiles(s.kept, 50, 99, 99.9, 100)
		}
		s.kept = s.kept[:0]
	case OpPlacement:
		var at affinity.Placement
		at, err = affinity.ObservePlacement()
		resp.CPUs, resp.GOMAXPROCS = at.CPUs.String(), at.GOMAXPROCS
	case OpClose:
		s.closeAll()
	default:
		err = fmt.Errorf("unknown op %q", req.Op)
	}
	return err
}
