package bench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"iostrat/internal/affinity"
	"iostrat/internal/loadgen"
)

// The socket workloads' client (internal/loadgen) runs in a child process:
// this test binary re-run with clientEnv set, taking one JSON request per
// line on stdin and answering one per line on stdout. So client goroutines
// never compete with the server for the Go scheduler's Ps (which would
// tax strategies that lock loop threads more than others), and the
// server's allocation and counter figures hold only the server's work.
//
// The client runs on CPUs the server's budget leaves free (see
// clientCPUs), with GOMAXPROCS to match, and reads its placement back for
// the result line.
const clientEnv = "IOSTRAT_BENCH_CLIENT"

// clientRequest is one command to the client process.
type clientRequest struct {
	Op       string        `json:"op"` // dial-echo, dial-http, dial-pump, run, churn, open-loop, percentiles, placement, close
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

// clientResponse is the answer; Err is empty on success.
type clientResponse struct {
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

// clientMain is the child process: it serves requests until stdin closes.
func clientMain() int {
	if err := affinity.PinFromEnv(); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		return 1
	}
	c := &clientProcess{}
	defer c.closeAll()
	in := bufio.NewScanner(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var req clientRequest
		resp := clientResponse{}
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			resp.Err = err.Error()
		} else if err := c.do(req, &resp); err != nil {
			resp.Err = err.Error()
		}
		if err := out.Encode(resp); err != nil {
			return 1
		}
	}
	return 0
}

// clientProcess holds the client of the current benchmark.
type clientProcess struct {
	echo    *loadgen.Echo
	http    *loadgen.HTTP
	pump    *loadgen.Pump
	samples []time.Duration // one open-loop call's latencies
	kept    []time.Duration // every call's, for the percentiles
}

func (c *clientProcess) closeAll() {
	if c.echo != nil {
		c.echo.Close()
	}
	if c.http != nil {
		c.http.Close()
	}
	if c.pump != nil {
		c.pump.Close()
	}
	*c = clientProcess{}
}

func (c *clientProcess) do(req clientRequest, resp *clientResponse) error {
	var err error
	switch req.Op {
	case "dial-echo":
		c.closeAll()
		c.echo, err = loadgen.DialEcho(req.Addr, req.Conns, req.Size)
	case "dial-http":
		c.closeAll()
		c.http, err = loadgen.DialHTTP(req.Addr, req.Conns, req.Size)
	case "dial-pump":
		c.closeAll()
		c.pump, err = loadgen.DialPump(req.Addr, req.Conns, req.Size)
	case "run":
		switch {
		case c.echo != nil:
			err = c.echo.Run(req.N)
		case c.http != nil:
			var res loadgen.Result
			res, err = c.http.Run(req.N)
			resp.OK, resp.NotOK, resp.Bytes = res.OK, res.NotOK, res.BytesRead
		case c.pump != nil:
			resp.Bytes, err = c.pump.Run(req.N)
		default:
			err = errors.New("run before dial")
		}
	case "churn":
		err = loadgen.ChurnConcurrent(req.Addr, req.Proto, req.N, req.Workers)
	case "open-loop":
		want := int(req.Rate*req.Duration.Seconds()) + req.Conns
		if len(c.samples) < want+want/4 {
			c.samples = make([]time.Duration, want+want/4)
		}
		if c.kept == nil {
			c.kept = make([]time.Duration, 0, latencyMaxKept)
		}
		var res loadgen.OpenLoopResult
		res, err = loadgen.OpenLoop(loadgen.OpenLoopConfig{
			Addr: req.Addr, Proto: req.Proto, Size: req.Size, Conns: req.Conns, Rate: req.Rate,
			Duration: req.Duration, Warmup: req.Warmup, Drain: req.Drain, Samples: c.samples,
		})
		resp.OK, resp.NotOK, resp.Errors, resp.Behind = res.Completed, res.NotOK, res.Errors, res.Behind
		n := min(len(res.Latencies), cap(c.kept)-len(c.kept))
		c.kept = append(c.kept, res.Latencies[:n]...)
	case "percentiles":
		if len(c.kept) > 0 {
			resp.Percentiles, err = loadgen.Percentiles(c.kept, 50, 99, 99.9, 100)
		}
		c.kept = c.kept[:0]
	case "placement":
		var at affinity.Placement
		at, err = affinity.ObservePlacement()
		resp.CPUs, resp.GOMAXPROCS = at.CPUs.String(), at.GOMAXPROCS
	case "close":
		c.closeAll()
	default:
		err = fmt.Errorf("unknown op %q", req.Op)
	}
	return err
}

// placement asks the client where it runs.
func (r *remoteClient) placement() (affinity.Placement, error) {
	resp, err := r.call(clientRequest{Op: "placement"})
	if err != nil {
		return affinity.Placement{}, err
	}
	cpus, err := affinity.Parse(resp.CPUs)
	return affinity.Placement{CPUs: cpus, GOMAXPROCS: resp.GOMAXPROCS}, err
}

// remoteClient is the benchmark's handle on its client process.
type remoteClient struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	enc   *json.Encoder
	dec   *json.Decoder
}

// startClient starts a client process for one leaf benchmark, on the
// CPUs the server's budget leaves free; it ends when the benchmark does.
func startClient(b *testing.B) *remoteClient {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), clientEnv+"=1", affinity.Env+"="+clientCPUs().String())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatalf("starting the client process: %v", err)
	}
	r := &remoteClient{cmd: cmd, stdin: stdin, enc: json.NewEncoder(stdin), dec: json.NewDecoder(bufio.NewReader(stdout))}
	b.Cleanup(func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			b.Errorf("client process: %v", err)
		}
	})
	return r
}

// call sends one request and waits for its answer.
func (r *remoteClient) call(req clientRequest) (clientResponse, error) {
	var resp clientResponse
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

// mustCall is call for set-up steps.
func (r *remoteClient) mustCall(b *testing.B, req clientRequest) clientResponse {
	b.Helper()
	resp, err := r.call(req)
	if err != nil {
		b.Fatal(err)
	}
	return resp
}
