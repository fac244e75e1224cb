package bench

import (
	"errors"
	"net"
	"testing"
	"time"

	"iostrat"
	"iostrat/internal/affinity"
)

// A server is what withServer gives a socket workload: the runtime
// serving in this process (local, the default), or the agent's server in
// the agent's process (remote, with -iostrat.remote; remote_test.go); or
// what withAnchorServer gives it: an outside server in a child process
// (anchor, with -iostrat.anchor-servers; anchor_server_test.go). Exactly
// one of rt, remote and anchor is set.
type server struct {
	rt     iostrat.Runtime
	remote *remoteServer
	anchor *anchorChild
}

// withServer starts a runtime of s, serves p on a fresh loopback port and
// runs f with the server and its address; with -iostrat.remote the agent
// starts the server and f gets the agent's address. It is the one place
// the socket workloads meet their server.
func withServer(b *testing.B, s iostrat.Strategy, p iostrat.Protocol, f func(srv server, addr string)) {
	if *remoteFlag != "" {
		withRemoteServer(b, s, p, f)
		return
	}
	withRuntime(b, s, func(rt iostrat.Runtime) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		svc, err := rt.Serve(ln, p)
		if err != nil {
			b.Fatalf("Serve: %v", err)
		}
		defer svc.Close()
		f(server{rt: rt}, svc.Addr().String())
	})
}

// measureServer is measureAt for a socket workload's server, wherever it
// runs.
func measureServer(b *testing.B, srv server, unit string, perCall int, call func() error) (float64, serverPlace) {
	if srv.remote != nil {
		return measureRemote(b, srv.remote, unit, perCall, call)
	}
	if srv.anchor != nil {
		return measureAnchor(b, srv.anchor, unit, perCall, call)
	}
	return measureAt(b, srv.rt, unit, perCall, call)
}

// serverPlace is where a server ran, read back after the measured calls.
type serverPlace struct {
	cpus, gomaxprocs int
	set              affinity.Set // the CPUs themselves; nil for a remote server (another machine's)
	remote           bool
}

// reportServerPlace reports the server's placement metrics.
func reportServerPlace(b *testing.B, at serverPlace) {
	b.ReportMetric(float64(at.cpus), unitCPUs)
	b.ReportMetric(float64(at.gomaxprocs), unitGOMAXPROCS)
}

// A metric is one figure of a result line.
type metric struct {
	value float64
	unit  string
}

// serverMetrics are the figures of a measured loop that describe the
// server, the same whether it ran here, in an anchor's process or in the
// agent: cpu-util (CPU time ÷ wall), ns/<unit> (elapsed ÷ units),
// cpu-ns/<unit>, ctx-switches/<unit> when the process's context switches
// were read, each kept counter of d per unit and the syscall total per
// unit. It also returns the nanoseconds per unit; with no units, only
// cpu-util.
func serverMetrics(u usage, wall, elapsed time.Duration, d iostrat.Stats, units float64, unit string) ([]metric, float64) {
	var ms []metric
	if wall > 0 {
		ms = append(ms, metric{float64(u.cpu) / float64(wall), unitCPUUtil})
	}
	if units == 0 {
		return ms, 0
	}
	perUnit := float64(elapsed.Nanoseconds()) / units
	ms = append(ms, metric{perUnit, perNanos + unit}, metric{float64(u.cpu.Nanoseconds()) / units, perCPUNanos + unit})
	if u.known {
		ms = append(ms, metric{float64(u.switches) / units, perSwitches + unit})
	}
	for _, c := range iostrat.Counters() {
		if v, ok := d.Get(c); ok {
			ms = append(ms, metric{float64(v) / units, c.String() + "/" + unit})
		}
	}
	if total, ok := d.Syscalls(); ok {
		ms = append(ms, metric{float64(total) / units, perSyscall + unit})
	}
	return ms, perUnit
}

// loop runs call in a b.Loop, skipping on errors.ErrUnsupported and
// failing on any other error.
func loop(b *testing.B, call func() error) {
	for b.Loop() {
		if err := call(); err != nil {
			if errors.Is(err, errors.ErrUnsupported) {
				b.Skip(err)
			}
			b.Fatal(err)
		}
	}
}
