package iostrattest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"iostrat"
	"iostrat/internal/loadgen"
	"iostrat/internal/proto"
)

// HostileChecks are the faulty and hostile clients every strategy must
// survive: after each, a well-behaved client is still answered correctly,
// and Close leaves no goroutine or fd behind. They are slower than
// [Checks] (a slow client takes seconds), so they run from their own test.
func HostileChecks() []Check {
	return []Check{
		{"slow-client", checkSlowClient},
		{"never-reads", checkNeverReads},
		{"reset-mid-response", checkResetMidResponse},
		{"http-half-close", checkHTTPHalfClose},
		{"garbage", checkGarbage},
		{"many-conns", checkManyConns},
	}
}

// TestHostile runs every hostile check against s as a subtest. A strategy
// that cannot start here (its Start error wraps [errors.ErrUnsupported])
// is skipped with the reason.
//
// The test binary's TestMain must call loadgen.ChildMain first, so the
// many-conns check can hold its clients in a child process; without it
// they share this process and its fd limit.
func TestHostile(t *testing.T, s iostrat.Strategy) {
	t.Helper()
	for _, c := range HostileChecks() {
		t.Run(c.Name, func(t *testing.T) {
			if err := c.Run(s); err != nil {
				if errors.Is(err, errors.ErrUnsupported) {
					t.Skip(err)
				}
				t.Error(err)
			}
		})
	}
}

// goodClient does requests plaintext requests on a fresh connection and
// checks every answer: the service still works for everyone else.
func goodClient(svc iostrat.Service, requests int) error {
	c, err := dial(svc)
	if err != nil {
		return err
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for i := range requests {
		if _, err := io.WriteString(c, plaintextRequest); err != nil {
			return fmt.Errorf("good client, request %d: %w", i, err)
		}
		if err := readPlaintext(br); err != nil {
			return fmt.Errorf("good client, request %d: %w", i, err)
		}
	}
	return nil
}

// checkSlowClient trickles a request one byte per 100 ms; while it does,
// other connections are served in full, and the slow request is answered
// once complete.
func checkSlowClient(s iostrat.Strategy) error {
	return withService(s, proto.HTTP{}, func(rt iostrat.Runtime, svc iostrat.Service) error {
		slow, err := dial(svc)
		if err != nil {
			return err
		}
		defer slow.Close()
		var sent sync.WaitGroup
		sent.Add(1)
		var slowDone bool
		var mu sync.Mutex
		werr := make(chan error, 1)
		go func() {
			for i := range len(plaintextRequest) {
				if _, err := slow.Write([]byte{plaintextRequest[i]}); err != nil {
					werr <- err
					return
				}
				if i == 2 {
					sent.Done() // the server now holds a partial request
				}
				time.Sleep(100 * time.Millisecond)
			}
			mu.Lock()
			slowDone = true
			mu.Unlock()
			werr <- nil
		}()
		sent.Wait()
		for range 4 {
			if err := goodClient(svc, 25); err != nil {
				return err
			}
		}
		mu.Lock()
		overtook := !slowDone
		mu.Unlock()
		if err := <-werr; err != nil {
			return fmt.Errorf("slow client write: %w", err)
		}
		if err := readPlaintext(bufio.NewReader(slow)); err != nil {
			return fmt.Errorf("slow client: %w", err)
		}
		if !overtook {
			return fmt.Errorf("100 requests on other connections did not finish before one request trickled in over 4 s: the slow connection stalls the others")
		}
		return nil
	})
}

// checkNeverReads pipelines requests on a connection that never reads its
// responses. With backpressure the server stops reading that connection,
// so the client's writes stall long before neverReadsLimit bytes; without
// it the server would keep reading and queue responses without bound.
func checkNeverReads(s iostrat.Strategy) error {
	const neverReadsLimit = 64 << 20
	return withService(s, proto.HTTP{}, func(rt iostrat.Runtime, svc iostrat.Service) error {
		c, err := dial(svc)
		if err != nil {
			return err
		}
		defer c.Close()
		burst := []byte(strings.Repeat(plaintextRequest, 1024))
		var written int
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		for written < neverReadsLimit {
			// A write that makes no progress for a second means the server
			// has stopped reading: backpressure is holding.
			c.SetWriteDeadline(time.Now().Add(time.Second))
			n, err := c.Write(burst)
			written += n
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if err != nil {
				return fmt.Errorf("never-reading client: write after %d bytes: %w", written, err)
			}
		}
		if written >= neverReadsLimit {
			return fmt.Errorf("server read %d MiB of pipelined requests from a client that never reads its responses: no backpressure", written>>20)
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		if grew := int64(m1.HeapAlloc) - int64(m0.HeapAlloc); grew > 32<<20 {
			return fmt.Errorf("heap grew %d MiB serving one client that never reads", grew>>20)
		}
		if err := goodClient(svc, 20); err != nil {
			return fmt.Errorf("while a client never reads: %w", err)
		}
		return nil
	})
}

// checkResetMidResponse asks for many responses, reads a few and resets
// the connection (SO_LINGER 0), many times over.
func checkResetMidResponse(s iostrat.Strategy) error {
	return withService(s, proto.HTTP{}, func(rt iostrat.Runtime, svc iostrat.Service) error {
		burst := []byte(strings.Repeat(plaintextRequest, 2000))
		for i := range 20 {
			c, err := dial(svc)
			if err != nil {
				return err
			}
			if _, err := c.Write(burst); err != nil {
				c.Close()
				return fmt.Errorf("reset client %d: %w", i, err)
			}
			if _, err := io.ReadFull(c, make([]byte, 256)); err != nil {
				c.Close()
				return fmt.Errorf("reset client %d: read: %w", i, err)
			}
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}
		if err := goodClient(svc, 20); err != nil {
			return fmt.Errorf("after clients reset mid-response: %w", err)
		}
		return eventually("Service.Conns() back to 0 after resets", func() bool { return svc.Conns() == 0 })
	})
}

// checkHTTPHalfClose sends pipelined requests and a FIN at once: all the
// responses still arrive, then the server closes.
func checkHTTPHalfClose(s iostrat.Strategy) error {
	return withService(s, proto.HTTP{}, func(rt iostrat.Runtime, svc iostrat.Service) error {
		c, err := dial(svc)
		if err != nil {
			return err
		}
		defer c.Close()
		const n = 8
		if _, err := io.WriteString(c, strings.Repeat(plaintextRequest, n)); err != nil {
			return err
		}
		if err := c.(*net.TCPConn).CloseWrite(); err != nil {
			return err
		}
		br := bufio.NewReader(c)
		for i := range n {
			if err := readPlaintext(br); err != nil {
				return fmt.Errorf("response %d after half-close: %w", i, err)
			}
		}
		if _, err := br.ReadByte(); err != io.EOF {
			return fmt.Errorf("after the last response: %v, want end of stream", err)
		}
		return nil
	})
}

// checkGarbage sends random binary input: the server answers with well-formed
// errors or closes, never hangs or crashes, and keeps serving others.
func checkGarbage(s iostrat.Strategy) error {
	return withService(s, proto.HTTP{}, func(rt iostrat.Runtime, svc iostrat.Service) error {
		r := rand.New(rand.NewPCG(7, 7))
		for i := range 30 {
			c, err := dial(svc)
			if err != nil {
				return err
			}
			junk := make([]byte, 1+r.IntN(20000))
			for j := range junk {
				junk[j] = byte(r.Uint32())
			}
			go func() { c.Write(junk) }()
			// Whatever comes back must be HTTP responses, then the close.
			br := bufio.NewReader(c)
			for {
				if _, err := br.Peek(1); errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
					break // closed after zero or more responses
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					c.Close()
					return fmt.Errorf("garbage client %d: %w", i, err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode < 400 {
					c.Close()
					return fmt.Errorf("garbage client %d: status %d for random bytes", i, resp.StatusCode)
				}
			}
			c.Close()
		}
		return goodClient(svc, 20)
	})
}

// manyConns is how many concurrent connections checkManyConns holds, and
// manyConnsRace how many under the race detector, which caps a process at
// 8128 goroutines (a goroutine-per-connection server needs one each).
var manyConns, manyConnsRace = 10_000, 2_000

// checkManyConns holds manyConns connections open at once, each answered
// once, then serves a good client while they stay open. The clients live in
// a child process when the test binary's TestMain calls loadgen.ChildMain
// (each process then needs one fd per connection); otherwise they live in
// this process, which then needs two. It never holds fewer: if the fd
// limit is too low, it fails and says how to raise it.
func checkManyConns(s iostrat.Strategy) error {
	n := manyConns
	if raceEnabled {
		n = manyConnsRace
	}
	perConn := 2 // in-process: a client and a server fd per connection
	if loadgen.CanStartChildren() {
		perConn = 1
	}
	if err := reserveFDs(n, perConn*n+500); err != nil {
		if perConn == 2 {
			err = fmt.Errorf("%w; the clients share this process because its TestMain does not call loadgen.ChildMain", err)
		}
		return err
	}
	return withService(s, proto.Echo{}, func(rt iostrat.Runtime, svc iostrat.Service) error {
		release, err := holdConns(svc.Addr().String(), n)
		if err != nil {
			return err
		}
		defer release()
		if got := svc.Conns(); got != n {
			if err := eventually(fmt.Sprintf("Service.Conns() = %d, want %d", got, n), func() bool { return svc.Conns() == n }); err != nil {
				return err
			}
		}
		c, err := dial(svc)
		if err != nil {
			return err
		}
		defer c.Close()
		if err := echoRoundTrips(c, 1000, 3, 99); err != nil {
			return fmt.Errorf("with %d connections open: %w", n, err)
		}
		c.Close()
		release()
		return eventually("Service.Conns() back to 0 after the clients closed", func() bool { return svc.Conns() == 0 })
	})
}

// reserveFDs makes sure this process may open fds file descriptors for
// conns connections, raising its soft limit up to the hard limit (a child
// inherits the raised limit). Where there is no limit to raise it does
// nothing.
func reserveFDs(conns, fds int) error {
	err := loadgen.RaiseFDLimit(fds)
	if err == nil || errors.Is(err, errors.ErrUnsupported) {
		return nil
	}
	return fmt.Errorf("%d connections need about %d file descriptors in this process: %w; "+
		"raise the limit in the shell that runs the tests, e.g. ulimit -n %d "+
		"(beyond the hard limit as root, or through /etc/security/limits.conf)", conns, fds, err, fds)
}

// holdConns opens n idle, answered connections to addr, in a child process
// when possible, and returns the function that closes them.
func holdConns(addr string, n int) (release func() error, err error) {
	if loadgen.CanStartChildren() {
		return loadgen.HoldInChild(addr, n)
	}
	idle, err := loadgen.HoldIdle(addr, n)
	if err != nil {
		return nil, err
	}
	return idle.Close, nil
}
