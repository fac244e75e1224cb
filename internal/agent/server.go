package agent

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"iostrat"
	"iostrat/internal/affinity"
)

// A Server is the agent: it answers control connections and runs at most
// one strategy's server at a time for them.
//
// Each control connection is served by one goroutine, one request at a
// time, replies in request order. A run belongs to the connection that
// started it: only that connection may ask for its stats or stop it, any
// other start, stats or stop is told who is busy, and when the
// connection ends for any reason the run is stopped.
type Server struct {
	tokenSum [sha256.Size]byte // the token's hash: compared in constant time
	hasToken bool
	lookup   func(string) (iostrat.Strategy, error)
	logf     func(string, ...any)

	// allowed is the CPUs the agent may run on when created: budgets are
	// taken from it and a run's end restores it.
	allowed    affinity.Set
	allowedErr error

	mu        sync.Mutex // guards closed, listeners and conns
	closed    bool
	done      chan struct{} // closed by Close
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	serving   sync.WaitGroup // Serve loops and connection goroutines

	runMu    sync.Mutex // held through a start, stats or stop; guards run and closeErr
	run      *run       // the running server, or nil
	closeErr error      // what went wrong stopping the run Close ended
}

// conn is one control connection.
type conn struct {
	nc     net.Conn
	remote string
}

// NewServer returns an agent that accepts requests carrying token and
// runs the strategies lookup finds. logf receives what the agent does
// (runs started and stopped, requests refused); nil discards it. With an
// empty token every request is refused.
func NewServer(token []byte, lookup func(string) (iostrat.Strategy, error), logf func(string, ...any)) *Server {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	s := &Server{
		tokenSum:  sha256.Sum256(token),
		hasToken:  len(token) > 0,
		lookup:    lookup,
		logf:      logf,
		done:      make(chan struct{}),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
	}
	s.allowed, s.allowedErr = affinity.Observe()
	return s
}

// Serve accepts control connections on ln until Close, then returns nil;
// it returns an error only if ln fails for good. It takes ln over: Close
// closes it.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.listeners[ln] = struct{}{}
	s.serving.Add(1)
	s.mu.Unlock()
	defer s.serving.Done()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
		ln.Close()
	}()

	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isClosed() {
				return nil
			}
			if !retryable(err) {
				return fmt.Errorf("agent: %w", err)
			}
			// Out of fds or memory for a moment: wait, as net/http does,
			// rather than spin or give up.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.logf("accept: %v; retrying in %v", err, backoff)
			select {
			case <-time.After(backoff):
			case <-s.done:
				return nil
			}
			continue
		}
		backoff = 0
		c := &conn{nc: nc, remote: nc.RemoteAddr().String()}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return nil
		}
		s.conns[c] = struct{}{}
		s.serving.Add(1)
		s.mu.Unlock()
		go s.serveConn(c)
	}
}

// retryable reports whether an accept error passes: the process or the
// system is out of descriptors or buffers, or a connection was aborted
// before it was accepted.
func retryable(err error) bool {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Close stops accepting, closes every control connection, stops the
// running server, if any, and returns once every goroutine the agent
// started has ended, with the error stopping that server gave. It is
// idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
		for ln := range s.listeners {
			ln.Close()
		}
		for c := range s.conns {
			c.nc.Close()
		}
	}
	s.mu.Unlock()
	// A run belongs to a connection, and each connection's goroutine
	// stops its run as it ends: once they have all ended, none is left.
	s.serving.Wait()
	s.runMu.Lock()
	defer s.runMu.Unlock()
	return s.closeErr
}

// serveConn answers c's requests until it closes or fails, then stops
// the run it started, if it is still running.
func (s *Server) serveConn(c *conn) {
	defer s.serving.Done()
	defer func() {
		c.nc.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	defer s.abandon(c)

	// A client whose host vanishes sends no FIN: keep-alive probes find
	// it out within a minute, where otherwise its run would last forever.
	if tc, ok := c.nc.(*net.TCPConn); ok {
		tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: 15 * time.Second, Interval: 5 * time.Second, Count: 4})
	}
	lines := newLineReader(c.nc)
	enc := json.NewEncoder(c.nc)
	for {
		var rep reply
		line, err := lines.next()
		switch {
		case errors.Is(err, errTooLarge):
			s.logf("refused a request from %s: %v", c.remote, err)
			rep = failure(err)
		case err != nil:
			return // the client closed the connection, or Close did
		default:
			rep = s.handle(c, line)
		}
		if err := enc.Encode(rep); err != nil {
			return
		}
	}
}

func failure(err error) reply { return reply{Error: err.Error()} }

// handle answers one request line from c.
func (s *Server) handle(c *conn, line []byte) reply {
	if len(strings.TrimSpace(string(line))) == 0 {
		return failure(errors.New("malformed request: empty line"))
	}
	req, err := decodeRequest(line)
	if err != nil {
		s.logf("refused a request from %s: %v", c.remote, err)
		return failure(err)
	}
	if !s.tokenOK(req.Token) {
		s.logf("refused a request from %s: bad token", c.remote)
		return failure(errors.New("bad token"))
	}
	switch req.Op {
	case OpPing:
		return reply{OK: true}
	case OpMachine:
		m := probeMachine()
		if s.allowedErr == nil {
			m.Allowed = s.allowed.String() // not the budget of a run under way
		}
		return reply{OK: true, Machine: &m}
	case OpStart:
		started, err := s.start(c, req.StartRequest)
		if err != nil {
			return failure(err)
		}
		return reply{OK: true, Started: &started}
	case OpStats:
		rep, err := s.report(c, false)
		if err != nil {
			return failure(err)
		}
		return reply{OK: true, Report: &rep}
	case OpStop:
		rep, err := s.report(c, true)
		if err != nil {
			return failure(err)
		}
		return reply{OK: true, Report: &rep}
	}
	names := make([]string, len(ops))
	for i, op := range ops {
		names[i] = string(op)
	}
	return failure(fmt.Errorf("malformed request: unknown op %q (want %s)", req.Op, strings.Join(names, ", ")))
}

// tokenOK compares token with the agent's in constant time. Comparing
// hashes keeps the time independent of the length too.
func (s *Server) tokenOK(token string) bool {
	sum := sha256.Sum256([]byte(token))
	return s.hasToken && subtle.ConstantTimeCompare(sum[:], s.tokenSum[:]) == 1
}

// busy is the error for a request that finds r running for someone else.
func busy(r *run) error {
	return fmt.Errorf("busy: a benchmark of %s started by %s is running", r.strategy, r.owner.remote)
}

// start starts a run for c.
func (s *Server) start(c *conn, req StartRequest) (Started, error) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.run != nil {
		return Started{}, busy(s.run)
	}
	if s.allowedErr != nil {
		return Started{}, s.allowedErr
	}
	host := "127.0.0.1"
	if a, ok := c.nc.LocalAddr().(*net.TCPAddr); ok {
		host = a.IP.String()
	}
	r, started, err := startRun(req, s.lookup, s.allowed, host, s.logf)
	if err != nil {
		s.logf("start for %s failed: %v", c.remote, err)
		return Started{}, err
	}
	r.owner = c
	s.run = r
	s.logf("started %s serving %s on %s with %d CPUs (%s) for %s", r.strategy, req.Proto, started.Addr, started.CPUs, started.CPUList, c.remote)
	return started, nil
}

// report reports on c's run, and stops it if stop is set.
func (s *Server) report(c *conn, stop bool) (Report, error) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	switch {
	case s.run == nil:
		return Report{}, errors.New("no server running")
	case s.run.owner != c:
		return Report{}, busy(s.run)
	case !stop:
		return s.run.snapshot()
	}
	r := s.run
	s.run = nil
	rep, err := r.stop()
	if err != nil {
		s.logf("%v", err)
		return Report{}, err
	}
	s.logf("stopped %s for %s after %v: CPU %v, RSS %d bytes", r.strategy, c.remote, rep.Wall.Round(time.Millisecond), rep.CPU.Round(time.Millisecond), rep.RSS)
	return rep, nil
}

// abandon stops the run c started, if it is still running: its client
// has gone, or the agent is closing.
func (s *Server) abandon(c *conn) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.run == nil || s.run.owner != c {
		return
	}
	r := s.run
	s.run = nil
	why := fmt.Sprintf("the client %s of the %s run went away", c.remote, r.strategy)
	closing := s.isClosed()
	if closing {
		why = fmt.Sprintf("closing with the %s run of %s under way", r.strategy, c.remote)
	}
	if _, err := r.stop(); err != nil {
		s.logf("%s; %v", why, err)
		if closing {
			s.closeErr = fmt.Errorf("agent: %w", err)
		}
		return
	}
	s.logf("%s; stopped its server", why)
}
