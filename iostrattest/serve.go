package iostrattest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"iostrat"
	"iostrat/internal/proto"
)

func serveChecks() []Check {
	return []Check{
		{"echo-sizes", checkEchoSizes},
		{"echo-256-conns", checkEchoManyConns},
		{"echo-half-close", checkEchoHalfClose},
		{"http-plaintext", checkHTTPPlaintext},
		{"http-pipelined", checkHTTPPipelined},
		{"http-errors", checkHTTPErrors},
		{"serve-close-open-conns", checkServeCloseWithConns},
	}
}

// withService starts a runtime, serves p on a fresh loopback listener and
// runs f with the service.
func withService(s iostrat.Strategy, p iostrat.Protocol, f func(rt iostrat.Runtime, svc iostrat.Service) error) error {
	return withRuntime(s, iostrat.Options{}, func(rt iostrat.Runtime) error {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		svc, err := rt.Serve(ln, p)
		if err != nil {
			return fmt.Errorf("runtime Serve: %w", err)
		}
		if svc.Addr().String() != ln.Addr().String() {
			return fmt.Errorf("Service.Addr() = %v, want %v", svc.Addr(), ln.Addr())
		}
		ferr := f(rt, svc)
		if errors.Is(ferr, errHung) {
			return ferr
		}
		if err := within("Service.Close", svc.Close); err != nil {
			return errors.Join(ferr, err)
		}
		if err := svc.Close(); err != nil {
			return errors.Join(ferr, fmt.Errorf("second Service.Close: %w", err))
		}
		return ferr
	})
}

// dial connects to the service with a deadline so a server that never
// answers fails the check instead of hanging it.
func dial(svc iostrat.Service) (net.Conn, error) {
	c, err := net.Dial("tcp", svc.Addr().String())
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(hangLimit))
	return c, nil
}

// echoRoundTrips sends rounds random messages of size bytes on c, each
// written while the reply is read, and checks every reply byte for byte.
func echoRoundTrips(c net.Conn, size, rounds int, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, uint64(size)))
	msg := make([]byte, size)
	got := make([]byte, size)
	for round := range rounds {
		for i := range msg {
			msg[i] = byte(r.Uint32())
		}
		werr := make(chan error, 1)
		go func() { _, err := c.Write(msg); werr <- err }()
		_, rerr := io.ReadFull(c, got)
		if err := <-werr; err != nil {
			return fmt.Errorf("echo %d B, round %d: write: %w", size, round, err)
		}
		if rerr != nil {
			return fmt.Errorf("echo %d B, round %d: read: %w", size, round, rerr)
		}
		if i := firstDiff(msg, got); i >= 0 {
			return fmt.Errorf("echo %d B, round %d: byte %d is %#x, sent %#x", size, round, i, got[i], msg[i])
		}
	}
	return nil
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

func checkEchoSizes(s iostrat.Strategy) error {
	return withService(s, proto.Echo{}, func(rt iostrat.Runtime, svc iostrat.Service) error {
		var c net.Conn
		defer func() {
			if c != nil {
				c.Close()
			}
		}()
		d, err := deltaOf(rt, func() (err error) {
			if c, err = dial(svc); err != nil {
				return err
			}
			for _, size := range []int{1, 7, 64, 1000, 4096, 16 << 10, 64 << 10} {
				if err := echoRoundTrips(c, size, 5, 1); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !movedAny(d) {
			return fmt.Errorf("echo over loopback moved none of the runtime's counters")
		}
		return nil
	})
}

// movedAny reports whether some kept counter moved.
func movedAny(d iostrat.Stats) bool {
	for _, c := range iostrat.Counters() {
		if v, ok := d.Get(c); ok && v > 0 {
			return true
		}
	}
	return false
}

func checkEchoManyConns(s iostrat.Strategy) error {
	return withService(s, proto.Echo{}, func(rt iostrat.Runtime, svc iostrat.Service) error {
		const conns = 256
		cs := make([]net.Conn, conns)
		defer func() {
			for _, c := range cs {
				if c != nil {
					c.Close()
				}
			}
		}()
		for i := range cs {
			c, err := dial(svc)
			if err != nil {
				return err
			}
			cs[i] = c
		}
		errs := make(chan error, conns)
		var wg sync.WaitGroup
		for i, c := range cs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				size := []int{1, 64, 1024, 16 << 10}[i%4]
				errs <- echoRoundTrips(c, size, 4, uint64(i))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				return err
			}
		}
		if n := svc.Conns(); n != conns {
			return fmt.Errorf("Service.Conns() = %d with %d connections open and answered", n, conns)
		}
		for i, c := range cs {
			c.Close()
			cs[i] = nil
		}
		return eventually("Service.Conns() back to 0 after clients closed", func() bool { return svc.Conns() == 0 })
	})
}

// eventually polls cond until it holds or hangLimit passes.
func eventually(what string, cond func() bool) error {
	deadline := time.Now().Add(hangLimit)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %w", what, errHung)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// checkEchoHalfClose sends data and a FIN at once: the echo must still
// arrive in full, followed by the server's close.
func checkEchoHalfClose(s iostrat.Strategy) error {
	return withService(s, proto.Echo{}, func(rt iostrat.Runtime, svc iostrat.Service) error {
		c, err := dial(svc)
		if err != nil {
			return err
		}
		defer c.Close()
		msg := bytes.Repeat([]byte("half-close "), 3000)
		if _, err := c.Write(msg); err != nil {
			return err
		}
		if err := c.(*net.TCPConn).CloseWrite(); err != nil {
			return err
		}
		got, err := io.ReadAll(c)
		if err != nil {
			return fmt.Errorf("after half-close: %w (read %d of %d bytes)", err, len(got), len(msg))
		}
		if !bytes.Equal(got, msg) {
			return fmt.Errorf("after half-close: got %d bytes back, sent %d", len(got), len(msg))
		}
		return nil
	})
}

const plaintextRequest = "GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n"

// readPlaintext reads one response and checks it is the plaintext answer.
func readPlaintext(br *bufio.Reader) error {
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return fmt.Errorf("reading response: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("reading body: %w", err)
	}
	switch {
	case resp.StatusCode != 200:
		return fmt.Errorf("status %d, want 200", resp.StatusCode)
	case string(body) != "Hello, World!":
		return fmt.Errorf("body %q", body)
	case resp.ContentLength != 13:
		return fmt.Errorf("Content-Length %d", resp.ContentLength)
	case !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain"):
		return fmt.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
	case resp.Header.Get("Server") == "":
		return fmt.Errorf("no Server header")
	}
	if _, err := http.ParseTime(resp.Header.Get("Date")); err != nil {
		return fmt.Errorf("header Date %q: %w", resp.Header.Get("Date"), err)
	}
	return nil
}

func checkHTTPPlaintext(s iostrat.Strategy) error {
	return withService(s, proto.HTTP{}, func(rt iostrat.Runtime, svc iostrat.Service) error {
		c, err := dial(svc)
		if err != nil {
			return err
		}
		defer c.Close()
		br := bufio.NewReader(c)
		for i := range 50 {
			if _, err := io.WriteString(c, plaintextRequest); err != nil {
				return err
			}
			if err := readPlaintext(br); err != nil {
				return fmt.Errorf("request %d: %w", i, err)
			}
		}
		// The same request one byte per write.
		for i := range len(plaintextRequest) {
			if _, err := c.Write([]byte{plaintextRequest[i]}); err != nil {
				return err
			}
		}
		if err := readPlaintext(br); err != nil {
			return fmt.Errorf("request written a byte at a time: %w", err)
		}
		return nil
	})
}

func checkHTTPPipelined(s iostrat.Strategy) error {
	return withService(s, proto.HTTP{}, func(rt iostrat.Runtime, svc iostrat.Service) error {
		const conns, depth, bursts = 16, 16, 20
		errs := make(chan error, conns)
		for i := range conns {
			go func() {
				c, err := dial(svc)
				if err != nil {
					errs <- err
					return
				}
				defer c.Close()
				br := bufio.NewReader(c)
				burst := []byte(strings.Repeat(plaintextRequest, depth))
				for b := range bursts {
					if _, err := c.Write(burst); err != nil {
						errs <- err
						return
					}
					for r := range depth {
						if err := readPlaintext(br); err != nil {
							errs <- fmt.Errorf("conn %d, burst %d, response %d: %w", i, b, r, err)
							return
						}
					}
				}
				errs <- nil
			}()
		}
		for range conns {
			if err := <-errs; err != nil {
				return err
			}
		}
		return nil
	})
}

// checkHTTPErrors sends requests that must be refused and checks the status
// and whether the server closes the connection afterwards.
func checkHTTPErrors(s iostrat.Strategy) error {
	cases := []struct {
		name, req string
		status    int
		closes    bool
	}{
		{"unknown path", "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404, false},
		{"connection close", "GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200, true},
		{"malformed request line", "GARBAGE\r\n\r\n", 400, true},
		{"headers over 8 KiB", "GET /plaintext HTTP/1.1\r\nX-Big: " + strings.Repeat("a", 9000) + "\r\n\r\n", 431, true},
	}
	return withService(s, proto.HTTP{}, func(rt iostrat.Runtime, svc iostrat.Service) error {
		for _, tc := range cases {
			c, err := dial(svc)
			if err != nil {
				return err
			}
			err = func() error {
				defer c.Close()
				if _, err := io.WriteString(c, tc.req); err != nil {
					return err
				}
				br := bufio.NewReader(c)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					return fmt.Errorf("reading response: %w", err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.status {
					return fmt.Errorf("status %d, want %d", resp.StatusCode, tc.status)
				}
				if !tc.closes {
					// Still usable: a good request on the same connection.
					if _, err := io.WriteString(c, plaintextRequest); err != nil {
						return err
					}
					return readPlaintext(br)
				}
				if !resp.Close {
					return fmt.Errorf("no Connection: close on a response that ends the connection")
				}
				if n, err := br.Read(make([]byte, 1)); err == nil {
					return fmt.Errorf("server sent %d more bytes instead of closing", n)
				} else if errors.Is(err, os.ErrDeadlineExceeded) {
					return fmt.Errorf("server did not close the connection")
				}
				return nil
			}()
			if err != nil {
				return fmt.Errorf("%s: %w", tc.name, err)
			}
		}
		return nil
	})
}

// checkServeCloseWithConns closes a service while clients hold open, idle
// connections: each client must see its connection end, and nothing leaks.
func checkServeCloseWithConns(s iostrat.Strategy) error {
	return withRuntime(s, iostrat.Options{}, func(rt iostrat.Runtime) error {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		svc, err := rt.Serve(ln, proto.Echo{})
		if err != nil {
			return err
		}
		const conns = 32
		cs := make([]net.Conn, 0, conns)
		defer func() {
			for _, c := range cs {
				c.Close()
			}
		}()
		for i := range conns {
			c, err := dial(svc)
			if err != nil {
				return err
			}
			cs = append(cs, c)
			if err := echoRoundTrips(c, 16, 1, uint64(i)); err != nil {
				return err
			}
		}
		if err := within("Service.Close with open connections", svc.Close); err != nil {
			return err
		}
		for i, c := range cs {
			if n, err := c.Read(make([]byte, 1)); err == nil {
				return fmt.Errorf("conn %d: read %d bytes after Service.Close, want end of stream", i, n)
			}
		}
		if svc.Conns() != 0 {
			return fmt.Errorf("Service.Conns() = %d after Close", svc.Conns())
		}
		return nil
	})
}
