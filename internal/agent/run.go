package agent

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"time"

	"iostrat"
	"iostrat/internal/affinity"
	"iostrat/internal/proto"
)

// A run is one strategy's server running inside the agent for the client
// that started it, as the local benchmarks run the server inside the
// bench process. For the run the agent pins itself, every thread, to its
// CPU budget and sets GOMAXPROCS to match; stop undoes both.
type run struct {
	strategy string
	owner    *conn // the control connection that started the run

	rt  iostrat.Runtime
	svc iostrat.Service

	// What stop restores.
	allowed    affinity.Set
	gomaxprocs int

	// The baseline reports are measured from, taken after pinning and
	// before the strategy started, so RSSDelta holds the strategy's memory.
	began time.Time
	cpu0  time.Duration
	rss0  int64
}

// startRun checks req, pins the agent to its budget (the first req.CPUs of
// allowed), starts the strategy and serves req.Proto on a fresh listener.
// host is the IP the control connection reached, where the server listens
// unless req.Listen names a host. On error nothing is left running and
// the placement is restored.
func startRun(req StartRequest, lookup func(string) (iostrat.Strategy, error), allowed affinity.Set, host string, logf func(string, ...any)) (r *run, started Started, err error) {
	s, err := lookup(req.Strategy)
	if err != nil {
		return nil, Started{}, err
	}
	p, err := proto.ByName(req.Proto)
	if err != nil {
		return nil, Started{}, err
	}
	cpus := req.CPUs
	switch {
	case cpus == 0:
		cpus = 1
	case cpus < 0:
		return nil, Started{}, fmt.Errorf("cpus must be >= 0, got %d", req.CPUs)
	case cpus > allowed.Len():
		return nil, Started{}, fmt.Errorf("cpus: asked for %d, the agent may run on %d (CPUs %s)", cpus, allowed.Len(), allowed)
	}
	if req.ReadBuffer < 0 {
		return nil, Started{}, fmt.Errorf("read_buffer must be >= 0, got %d", req.ReadBuffer)
	}
	if req.Loops < 0 {
		return nil, Started{}, fmt.Errorf("loops must be >= 0, got %d", req.Loops)
	}
	addr, err := listenAddr(req.Listen, host)
	if err != nil {
		return nil, Started{}, err
	}

	r = &run{strategy: s.Name(), allowed: allowed, gomaxprocs: runtime.GOMAXPROCS(0)}
	defer func() {
		if err != nil {
			err = errors.Join(err, r.close())
			r = nil
		}
	}()
	if err := affinity.Pin(allowed[:cpus]); err != nil {
		return r, Started{}, err
	}
	runtime.GOMAXPROCS(cpus)

	r.began = time.Now()
	if r.cpu0, err = processCPU(); err != nil {
		return r, Started{}, err
	}
	if r.rss0, err = residentBytes(); err != nil {
		return r, Started{}, err
	}
	r.rt, err = s.Start(iostrat.Options{
		ReadBuffer: req.ReadBuffer,
		Loops:      req.Loops,
		Logf: func(format string, args ...any) {
			logf(s.Name()+": "+format, args...)
		},
	})
	if err != nil {
		return r, Started{}, fmt.Errorf("starting %s: %w", s.Name(), err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return r, Started{}, err
	}
	if r.svc, err = r.rt.Serve(ln, p); err != nil {
		ln.Close() // Serve may have closed it already; a second Close is harmless
		return r, Started{}, fmt.Errorf("serving %s: %w", p.Name(), err)
	}
	pl, err := affinity.ObservePlacement()
	if err != nil {
		return r, Started{}, err
	}
	return r, Started{
		Addr:       dialAddr(r.svc.Addr(), host),
		CPUs:       pl.CPUs.Len(),
		GOMAXPROCS: pl.GOMAXPROCS,
		CPUList:    pl.CPUs.String(),
	}, nil
}

// listenAddr is where a server listens: listen, with host when it names
// none, or port 0 on host.
func listenAddr(listen, host string) (string, error) {
	if listen == "" {
		return net.JoinHostPort(host, "0"), nil
	}
	h, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("listen: %w", err)
	}
	if h == "" {
		h = host
	}
	return net.JoinHostPort(h, port), nil
}

// dialAddr is the address a client dials for a server listening on a:
// a itself, or, when a is a wildcard (0.0.0.0, ::), host with a's port.
func dialAddr(a net.Addr, host string) string {
	if tcp, ok := a.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		return net.JoinHostPort(host, fmt.Sprint(tcp.Port))
	}
	return a.String()
}

// snapshot reports on the running server without disturbing it.
func (r *run) snapshot() (Report, error) {
	rep, err := r.measure()
	if err != nil {
		return Report{}, err
	}
	r.describe(&rep)
	return rep, nil
}

// stop reports on the server and stops it. Time, CPU, RSS and placement
// are measured first, so closing (which drains connections for up to
// iostrat.DrainTimeout) is not counted; the counters are read once the
// service is closed, so they hold every connection's last work. The run
// is over when stop returns, error or not.
func (r *run) stop() (Report, error) {
	rep, measureErr := r.measure()
	var closeErr error
	if r.svc != nil {
		closeErr = r.svc.Close()
		r.svc = nil
	}
	r.describe(&rep)
	if err := errors.Join(measureErr, closeErr, r.close()); err != nil {
		return Report{}, fmt.Errorf("stopping %s: %w", r.strategy, err)
	}
	return rep, nil
}

// close stops whatever of the run was started and restores the agent's
// placement.
func (r *run) close() error {
	var errs []error
	if r.svc != nil {
		errs = append(errs, r.svc.Close())
		r.svc = nil
	}
	if r.rt != nil {
		errs = append(errs, r.rt.Close())
		r.rt = nil
	}
	runtime.GOMAXPROCS(r.gomaxprocs)
	errs = append(errs, affinity.Pin(r.allowed))
	return errors.Join(errs...)
}

// measure reads the run's time, CPU, RSS and placement.
func (r *run) measure() (Report, error) {
	cpu, err := processCPU()
	if err != nil {
		return Report{}, err
	}
	rss, err := residentBytes()
	if err != nil {
		return Report{}, err
	}
	pl, err := affinity.ObservePlacement()
	if err != nil {
		return Report{}, err
	}
	return Report{
		CPU:        cpu - r.cpu0,
		Wall:       time.Since(r.began),
		RSS:        rss,
		RSSDelta:   rss - r.rss0,
		CPUs:       pl.CPUs.Len(),
		GOMAXPROCS: pl.GOMAXPROCS,
		CPUList:    pl.CPUs.String(),
	}, nil
}

// describe adds the runtime's counters and description to rep.
func (r *run) describe(rep *Report) {
	info := r.rt.Info()
	rep.Name, rep.Model, rep.Backend, rep.Knobs = info.Name, info.Model, info.Backend, info.Knobs
	rep.Stats = statsMap(r.rt.Stats())
}

// statsMap holds every counter st keeps, by name.
func statsMap(st iostrat.Stats) map[string]uint64 {
	m := make(map[string]uint64)
	for _, c := range iostrat.Counters() {
		if v, ok := st.Get(c); ok {
			m[c.String()] = v
		}
	}
	return m
}
