package iocpstyle

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"iostrat/internal/netfd"
)

// portModes are the ports every port test runs on: io_uring posting to
// itself in user space (the default), io_uring posting to itself through
// the kernel (Config.PostKernel), and the emulated backend.
var portModes = []struct {
	name       string
	backend    Backend
	postKernel bool
}{
	{"io_uring", Uring, false},
	{"io_uring-kernelpost", Uring, true},
	{"emulated", Emulated, false},
}

// forEachBackend runs f once per port mode (portModes), on a goroutine
// locked to its OS thread (a port belongs to its creating thread), with a
// fresh port. It checks that closing the port leaves no goroutine, fd or
// mapping behind.
func forEachBackend(t *testing.T, cfg Config, f func(t *testing.T, p *Port)) {
	t.Helper()
	for _, m := range portModes {
		b := m.backend
		t.Run(m.name, func(t *testing.T) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ignore := goleak.IgnoreCurrent()
			fds, maps := countFDs(t), countMaps(t)
			// Registered first, so it runs after the cleanups f registers
			// (which close the test's own sockets).
			t.Cleanup(func() {
				if err := goleak.Find(ignore); err != nil {
					t.Errorf("goroutines left after Close: %v", err)
				}
				if got := countFDs(t); got != fds {
					t.Errorf("open fds %d after Close, %d before", got, fds)
				}
				if got := countMaps(t); got > maps {
					t.Errorf("io_uring mappings %d after Close, %d before", got, maps)
				}
			})
			c := cfg
			c.Backend = b
			c.PostKernel = m.postKernel
			p, err := NewPort(c)
			if errors.Is(err, errors.ErrUnsupported) {
				t.Skipf("io_uring unavailable here: %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Backend(); got != b.String() {
				t.Fatalf("Backend() = %q, want %q", got, b)
			}
			if b == Uring && countMaps(t) <= maps {
				t.Fatalf("no io_uring mapping in /proc/self/maps with a ring open: the mapping check would miss a leak")
			}
			f(t, p)
			if c := p.Counters(); c.Stale != 0 {
				t.Errorf("%d completions named no operation in flight", c.Stale)
			}
			if err := p.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := p.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

func countFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// countMaps counts mappings of io_uring rings: a ring fd left mapped after
// Close shows up here.
func countMaps(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "io_uring")
}

// waitN waits until exactly n completions have arrived and returns them.
func waitN(t *testing.T, p *Port, n int) []Completion {
	t.Helper()
	out := make([]Completion, 0, n)
	cs := make([]Completion, n)
	for len(out) < n {
		k, err := p.Wait(cs[:n-len(out)], 1)
		if err != nil {
			t.Fatalf("Wait: %v", err)
		}
		out = append(out, cs[:k]...)
	}
	return out
}

// socketPair returns a connected pair of non-blocking stream sockets.
func socketPair(t *testing.T) (a, b int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds[0], fds[1]
}

func TestNopOrderAndTokens(t *testing.T) {
	forEachBackend(t, Config{}, func(t *testing.T, p *Port) {
		const n = 100
		for i := range n {
			if _, err := p.Submit(Op{Kind: OpNop, Token: Token(1000 + i)}); err != nil {
				t.Fatal(err)
			}
		}
		cs := waitN(t, p, n)
		for i, c := range cs {
			if c.Token != Token(1000+i) || c.Result != 0 || c.Err != nil || c.More || c.Posted {
				t.Fatalf("completion %d = %+v, want token %d, result 0", i, c, 1000+i)
			}
		}
		if k, _ := p.Wait(make([]Completion, 4), 0); k != 0 {
			t.Fatalf("Wait(0) after all reaped returned %d completions", k)
		}
		c := p.Counters()
		if c.Submitted != n || c.Completed != n {
			t.Fatalf("Counters = %+v, want %d submitted and completed", c, n)
		}
	})
}

// TestCQOverflow submits far more no-ops than a tiny completion queue
// holds, without reaping, then reaps them all: none is lost or repeated.
func TestCQOverflow(t *testing.T) {
	forEachBackend(t, Config{Entries: 4, CQEntries: 8}, func(t *testing.T, p *Port) {
		const n = 1000
		for i := range n {
			if _, err := p.Submit(Op{Kind: OpNop, Token: Token(i)}); err != nil {
				t.Fatalf("Submit %d: %v", i, err)
			}
		}
		cs := waitN(t, p, n)
		seen := make([]bool, n)
		for _, c := range cs {
			if seen[c.Token] {
				t.Fatalf("token %d completed twice", c.Token)
			}
			seen[c.Token] = true
		}
		if p.Backend() == "io_uring" && p.Counters().Enters < n/4 {
			t.Errorf("%d enters for %d no-ops through a 4-entry SQ", p.Counters().Enters, n)
		}
	})
}

func TestPostFromManyGoroutines(t *testing.T) {
	forEachBackend(t, Config{}, func(t *testing.T, p *Port) {
		const posters, each = 8, 500
		var wg sync.WaitGroup
		for g := range posters {
			wg.Go(func() {
				for i := range each {
					if err := p.Post(Token(g*each+i), int32(i)); err != nil {
						t.Error(err)
					}
				}
			})
		}
		cs := waitN(t, p, posters*each)
		wg.Wait()
		last := make([]int, posters)
		for g := range last {
			last[g] = -1
		}
		for _, c := range cs {
			g, i := int(c.Token)/each, int(c.Token)%each
			if !c.Posted || c.Result != i {
				t.Fatalf("posted completion %+v, want result %d", c, i)
			}
			if i <= last[g] {
				t.Fatalf("poster %d: post %d arrived after %d", g, i, last[g])
			}
			last[g] = i
		}
		if err := p.Post(MaxPostToken+1, 0); !errors.Is(err, ErrTokenRange) {
			t.Fatalf("Post above MaxPostToken: %v", err)
		}
		if c := p.Counters(); c.Posted != posters*each || c.EventfdWrites == 0 || c.EventfdWrites > posters*each {
			t.Fatalf("Counters = %+v", c)
		}
	})
}

// TestPostWakesBlockedWait posts from a plain OS thread while the owner is
// blocked in Wait, with nothing else in flight: only the post can wake it.
func TestPostWakesBlockedWait(t *testing.T) {
	forEachBackend(t, Config{}, func(t *testing.T, p *Port) {
		for round := range 50 {
			go func() {
				time.Sleep(time.Millisecond)
				p.Post(Token(round), 7)
			}()
			cs := waitN(t, p, 1)
			if cs[0].Token != Token(round) || cs[0].Result != 7 {
				t.Fatalf("round %d: %+v", round, cs[0])
			}
		}
	})
}

func TestPostToSelf(t *testing.T) {
	forEachBackend(t, Config{}, func(t *testing.T, p *Port) {
		for i := range 10 {
			if err := p.PostTo(p, Token(i), int32(-i)); err != nil {
				t.Fatal(err)
			}
		}
		for i, c := range waitN(t, p, 10) {
			if c.Token != Token(i) || c.Result != -i || !c.Posted {
				t.Fatalf("completion %d = %+v", i, c)
			}
		}
	})
}

// TestPostToOtherPort bounces a counter between two ports owned by two
// threads: MSG_RING between rings on io_uring.
func TestPostToOtherPort(t *testing.T) {
	forEachBackend(t, Config{}, func(t *testing.T, a *Port) {
		const rounds = 1000
		bPort := make(chan *Port)
		errc := make(chan error, 1)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b, err := NewPort(Config{Backend: backendOf(a)})
			if err != nil {
				errc <- err
				close(bPort)
				return
			}
			bPort <- b
			cs := make([]Completion, 1)
			var werr error
			for {
				if _, werr = b.Wait(cs, 1); werr != nil {
					break
				}
				if cs[0].Result == rounds {
					break
				}
				if werr = b.PostTo(a, cs[0].Token+1, int32(cs[0].Result)); werr != nil {
					break
				}
			}
			if werr == nil {
				_, werr = b.Wait(cs, 0) // submit the last post
			}
			errc <- errors.Join(werr, b.Close())
		}()
		b := <-bPort
		if b == nil {
			t.Fatal(<-errc)
		}
		if err := a.PostTo(b, 0, 0); err != nil {
			t.Fatal(err)
		}
		for r := 1; r <= rounds; r++ {
			cs := waitN(t, a, 1)
			if cs[0].Token != Token(2*r-1) || cs[0].Result != r-1 {
				t.Fatalf("round %d: %+v", r, cs[0])
			}
			if err := a.PostTo(b, cs[0].Token+1, int32(r)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.Wait(nil, 0); err != nil {
			t.Fatal(err)
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	})
}

func backendOf(p *Port) Backend {
	if p.Backend() == "io_uring" {
		return Uring
	}
	return Emulated
}

func TestRecvSendOwnBuffers(t *testing.T) {
	forEachBackend(t, Config{}, func(t *testing.T, p *Port) {
		a, b := socketPair(t)
		buf := make([]byte, 64)
		if _, err := p.Submit(Op{Kind: OpRecv, FD: b, Buf: buf, Token: 1}); err != nil {
			t.Fatal(err)
		}
		msg := []byte("hello, completion")
		if _, err := p.Submit(Op{Kind: OpSend, FD: a, Buf: msg, Token: 2}); err != nil {
			t.Fatal(err)
		}
		got := map[Token]Completion{}
		for _, c := range waitN(t, p, 2) {
			got[c.Token] = c
		}
		if c := got[2]; c.Err != nil || c.Result != len(msg) || &c.Buf[0] != &msg[0] {
			t.Fatalf("send completion %+v", c)
		}
		if c := got[1]; c.Err != nil || c.Result != len(msg) || !bytes.Equal(c.Buf, msg) || &c.Buf[0] != &buf[0] {
			t.Fatalf("recv completion %+v", c)
		}
		// End of stream: result 0.
		unix.Shutdown(a, unix.SHUT_WR)
		p.Submit(Op{Kind: OpRecv, FD: b, Buf: buf, Token: 3})
		if c := waitN(t, p, 1)[0]; c.Token != 3 || c.Result != 0 || c.Err != nil || len(c.Buf) != 0 {
			t.Fatalf("recv at end of stream: %+v", c)
		}
	})
}

// TestPartialReadsAndWrites: a receive with a small buffer takes what
// fits; a send larger than the socket buffer completes short and the
// caller submits the rest.
func TestPartialReadsAndWrites(t *testing.T) {
	forEachBackend(t, Config{}, func(t *testing.T, p *Port) {
		a, b := socketPair(t)
		unix.Write(a, []byte("0123456789"))
		small := make([]byte, 4)
		var got []byte
		for len(got) < 10 {
			p.Submit(Op{Kind: OpRecv, FD: b, Buf: small, Token: 1})
			c := waitN(t, p, 1)[0]
			if c.Err != nil || c.Result == 0 || c.Result > 4 {
				t.Fatalf("small recv: %+v", c)
			}
			got = append(got, c.Buf...)
		}
		if string(got) != "0123456789" {
			t.Fatalf("read %q", got)
		}

		unix.SetsockoptInt(a, unix.SOL_SOCKET, unix.SO_SNDBUF, 4096)
		big := bytes.Repeat([]byte("abcdefgh"), 1<<17) // 1 MiB
		sent, shorts := 0, 0
		var received []byte
		rbuf := make([]byte, 64<<10)
		p.Submit(Op{Kind: OpSend, FD: a, Buf: big, Token: 10})
		p.Submit(Op{Kind: OpRecv, FD: b, Buf: rbuf, Token: 11})
		for sent < len(big) || len(received) < len(big) {
			c := waitN(t, p, 1)[0]
			if c.Err != nil {
				t.Fatalf("%+v", c)
			}
			switch c.Token {
			case 10:
				sent += c.Result
				if sent < len(big) {
					shorts++
					p.Submit(Op{Kind: OpSend, FD: a, Buf: big[sent:], Token: 10})
				}
			case 11:
				received = append(received, c.Buf...)
				if len(received) < len(big) {
					p.Submit(Op{Kind: OpRecv, FD: b, Buf: rbuf, Token: 11})
				}
			}
		}
		if shorts == 0 {
			t.Errorf("a 1 MiB send into a 4 KiB socket buffer never completed short")
		}
		if !bytes.Equal(received, big) {
			t.Fatalf("received %d bytes, not what was sent", len(received))
		}
	})
}

func TestReadWritePipe(t *testing.T) {
	forEachBackend(t, Config{}, func(t *testing.T, p *Port) {
		var fds [2]int
		if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fds[0])
		defer unix.Close(fds[1])
		buf := make([]byte, 16)
		p.Submit(Op{Kind: OpRead, FD: fds[0], Buf: buf, Token: 1})
		p.Submit(Op{Kind: OpWrite, FD: fds[1], Buf: []byte("pipe"), Token: 2})
		got := map[Token]Completion{}
		for _, c := range waitN(t, p, 2) {
			got[c.Token] = c
		}
		if c := got[1]; c.Err != nil || string(c.Buf) != "pipe" {
			t.Fatalf("read %+v", c)
		}
		if c := got[2]; c.Err != nil || c.Result != 4 {
			t.Fatalf("write %+v", c)
		}
	})
}

func TestProvidedBuffersMultishotRecv(t *testing.T) {
	forEachBackend(t, Config{Buffers: 4, BufferSize: 8}, func(t *testing.T, p *Port) {
		if !p.multishotRecv() {
			t.Skip("no multishot receive with provided buffers on this kernel")
		}
		a, b := socketPair(t)
		id, err := p.Submit(Op{Kind: OpRecv, FD: b, Multishot: true, Token: 5})
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		for round := range 20 {
			msg := fmt.Sprintf("<%03d>", round)
			unix.Write(a, []byte(msg))
			for len(got) < 5*(round+1) {
				c := waitN(t, p, 1)[0]
				if c.Token != 5 || c.Err != nil {
					t.Fatalf("round %d: %+v", round, c)
				}
				if !c.More { // out of buffers or ended: arm again
					id, _ = p.Submit(Op{Kind: OpRecv, FD: b, Multishot: true, Token: 5})
				}
				got = append(got, c.Buf...)
			}
		}
		want := ""
		for round := range 20 {
			want += fmt.Sprintf("<%03d>", round)
		}
		if string(got) != want {
			t.Fatalf("received %q, want %q", got, want)
		}
		if err := p.Cancel(id); err != nil {
			t.Fatal(err)
		}
		for {
			c := waitN(t, p, 1)[0]
			if !c.More {
				if !errors.Is(c.Err, ErrCanceled) {
					t.Fatalf("final completion after cancel: %+v", c)
				}
				break
			}
		}
		if _, err := p.Submit(Op{Kind: OpRecv, FD: b, Multishot: true, Buf: make([]byte, 1)}); !errors.Is(err, ErrNoBuffers) {
			t.Fatalf("multishot receive with its own buffer: %v", err)
		}
	})
}

func TestRecvWithoutBuffersRefused(t *testing.T) {
	forEachBackend(t, Config{}, func(t *testing.T, p *Port) {
		_, b := socketPair(t)
		if _, err := p.Submit(Op{Kind: OpRecv, FD: b}); !errors.Is(err, ErrNoBuffers) {
			t.Fatalf("receive with no buffer on a port without provided buffers: %v", err)
		}
	})
}

func TestAcceptMultishot(t *testing.T) {
	forEachBackend(t, Config{}, func(t *testing.T, p *Port) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dl, err := netfd.Detach(ln)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(dl.FD)
		id, err := p.Submit(Op{Kind: OpAccept, FD: dl.FD, Multishot: true, Token: 9})
		if err != nil {
			t.Fatal(err)
		}
		var clients []net.Conn
		for range 5 {
			c, err := net.Dial("tcp", dl.Addr.String())
			if err != nil {
				t.Fatal(err)
			}
			clients = append(clients, c)
		}
		defer func() {
			for _, c := range clients {
				c.Close()
			}
		}()
		accepted := 0
		for accepted < 5 {
			c := waitN(t, p, 1)[0]
			if c.Err != nil || c.Token != 9 {
				t.Fatalf("accept: %+v", c)
			}
			fl, _ := unix.FcntlInt(uintptr(c.Result), unix.F_GETFL, 0)
			if fl&unix.O_NONBLOCK == 0 {
				t.Errorf("accepted fd %d is blocking", c.Result)
			}
			if nd, _ := unix.GetsockoptInt(c.Result, unix.IPPROTO_TCP, unix.TCP_NODELAY); nd == 0 {
				t.Errorf("accepted fd %d has Nagle on", c.Result)
			}
			unix.Close(c.Result)
			accepted++
			if !c.More {
				id, _ = p.Submit(Op{Kind: OpAccept, FD: dl.FD, Multishot: true, Token: 9})
			}
		}
		p.Cancel(id)
		if c := waitN(t, p, 1)[0]; c.More || !errors.Is(c.Err, ErrCanceled) {
			t.Fatalf("accept after cancel: %+v", c)
		}
	})
}

func TestTimeoutsFireAndCancel(t *testing.T) {
	forEachBackend(t, Config{}, func(t *testing.T, p *Port) {
		start := Monotonic()
		p.Submit(Op{Kind: OpTimeout, Timeout: 20 * time.Millisecond, Token: 1})
		p.Submit(Op{Kind: OpTimeout, Deadline: start + int64(10*time.Millisecond), Token: 2})
		long, _ := p.Submit(Op{Kind: OpTimeout, Timeout: time.Hour, Token: 3})
		if err := p.Cancel(long); err != nil {
			t.Fatal(err)
		}
		var order []Token
		for _, c := range waitN(t, p, 3) {
			order = append(order, c.Token)
			switch c.Token {
			case 1, 2:
				if c.Err != nil {
					t.Fatalf("timeout %d: %v", c.Token, c.Err)
				}
				if late := Monotonic() - start; c.Token == 1 && late < int64(20*time.Millisecond) {
					t.Fatalf("timeout 1 fired after %v, before its 20ms", time.Duration(late))
				}
			case 3:
				if !errors.Is(c.Err, ErrCanceled) {
					t.Fatalf("cancelled timeout: %+v", c)
				}
			}
		}
		if fmt.Sprint(order) != "[3 2 1]" {
			t.Fatalf("completion order %v, want [3 2 1] (cancelled, then by deadline)", order)
		}
		if err := p.Cancel(long); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Cancel after completion: %v", err)
		}
	})
}

// TestCancelRecvReturnsBuffer: a cancelled receive completes with
// ECANCELED and gives its buffer back; data sent afterwards is neither
// written into that buffer nor consumed from the socket.
func TestCancelRecvReturnsBuffer(t *testing.T) {
	forEachBackend(t, Config{}, func(t *testing.T, p *Port) {
		a, b := socketPair(t)
		buf := bytes.Repeat([]byte{0xEE}, 32)
		id, _ := p.Submit(Op{Kind: OpRecv, FD: b, Buf: buf, Token: 4})
		p.Wait(nil, 0) // submitted and pending
		if err := p.Cancel(id); err != nil {
			t.Fatal(err)
		}
		c := waitN(t, p, 1)[0]
		if !errors.Is(c.Err, ErrCanceled) || c.Token != 4 {
			t.Fatalf("cancelled recv: %+v", c)
		}
		unix.Write(a, []byte("after cancel"))
		settle(t, p)
		if !bytes.Equal(buf, bytes.Repeat([]byte{0xEE}, 32)) {
			t.Fatalf("buffer written after its cancelled receive completed: %q", buf)
		}
		got := make([]byte, 32)
		if n, err := unix.Read(b, got); err != nil || string(got[:n]) != "after cancel" {
			t.Fatalf("socket data after cancel: %q, %v", got[:n], err)
		}
	})
}

// settle lets the kernel run for a moment through the port: a 5 ms
// timeout, reaped.
func settle(t *testing.T, p *Port) {
	t.Helper()
	p.Submit(Op{Kind: OpTimeout, Timeout: 5 * time.Millisecond, Token: 1 << 40})
	for {
		if c := waitN(t, p, 1)[0]; c.Token == 1<<40 {
			return
		}
	}
}

// TestBufferUntouchedAfterCompletion: once a receive's completion is
// reaped, more data on the socket never reaches its buffer.
func TestBufferUntouchedAfterCompletion(t *testing.T) {
	forEachBackend(t, Config{}, func(t *testing.T, p *Port) {
		a, b := socketPair(t)
		buf := make([]byte, 8)
		p.Submit(Op{Kind: OpRecv, FD: b, Buf: buf, Token: 1})
		unix.Write(a, []byte("first"))
		if c := waitN(t, p, 1)[0]; string(c.Buf) != "first" {
			t.Fatalf("recv: %+v", c)
		}
		snapshot := append([]byte(nil), buf...)
		unix.Write(a, []byte("SECOND!!"))
		settle(t, p)
		if !bytes.Equal(buf, snapshot) {
			t.Fatalf("buffer changed after its completion was reaped: %q, was %q", buf, snapshot)
		}
	})
}

// TestCloseWithOperationsInFlight closes a port with a receive, an accept,
// a timeout and a multishot receive armed: Close returns, the kernel lets
// go of the buffer (data sent after Close stays in the socket), and
// nothing leaks (checked by forEachBackend).
func TestCloseWithOperationsInFlight(t *testing.T) {
	var a, b int
	var buf []byte
	forEachBackend(t, Config{Buffers: 4, BufferSize: 64}, func(t *testing.T, p *Port) {
		a, b = socketPair(t)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dl, _ := netfd.Detach(ln)
		t.Cleanup(func() { unix.Close(dl.FD) })
		buf = bytes.Repeat([]byte{0xAB}, 16)
		p.Submit(Op{Kind: OpRecv, FD: b, Buf: buf, Token: 1})
		p.Submit(Op{Kind: OpAccept, FD: dl.FD, Multishot: true, Token: 2})
		p.Submit(Op{Kind: OpTimeout, Timeout: time.Hour, Token: 3})
		c, d := socketPair(t)
		_ = c
		if p.multishotRecv() {
			p.Submit(Op{Kind: OpRecv, FD: d, Multishot: true, Token: 4})
		}
		p.Wait(nil, 0)
		// Close comes from forEachBackend; check the aftermath in Cleanup.
		t.Cleanup(func() {
			unix.Write(a, []byte("late"))
			time.Sleep(5 * time.Millisecond)
			if !bytes.Equal(buf, bytes.Repeat([]byte{0xAB}, 16)) {
				t.Errorf("buffer written after Close: %q", buf)
			}
			got := make([]byte, 8)
			if n, err := unix.Read(b, got); err != nil || string(got[:n]) != "late" {
				t.Errorf("data sent after Close: %q, %v (consumed by a receive that should be gone)", got[:n], err)
			}
		})
	})
}

func TestClosedPort(t *testing.T) {
	forEachBackend(t, Config{}, func(t *testing.T, p *Port) {
		p.Close()
		if _, err := p.Submit(Op{Kind: OpNop}); !errors.Is(err, ErrClosed) {
			t.Errorf("Submit after Close: %v", err)
		}
		if _, err := p.Wait(make([]Completion, 1), 1); !errors.Is(err, ErrClosed) {
			t.Errorf("Wait after Close: %v", err)
		}
		if err := p.Post(1, 1); !errors.Is(err, ErrClosed) {
			t.Errorf("Post after Close: %v", err)
		}
	})
}

func TestOpClose(t *testing.T) {
	forEachBackend(t, Config{}, func(t *testing.T, p *Port) {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fds[0])
		p.Submit(Op{Kind: OpClose, FD: fds[1], Token: 8})
		if c := waitN(t, p, 1)[0]; c.Err != nil || c.Token != 8 {
			t.Fatalf("close: %+v", c)
		}
		if _, err := unix.FcntlInt(uintptr(fds[1]), unix.F_GETFD, 0); !errors.Is(err, syscall.EBADF) {
			t.Fatalf("fd still open after OpClose: %v", err)
		}
	})
}

// TestWrongThread: a SINGLE_ISSUER ring refuses another thread, and the
// port says why instead of failing obscurely.
func TestWrongThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p, err := NewPort(Config{Backend: Uring})
	if err != nil {
		t.Skip(err)
	}
	defer p.Close()
	if p.u.r.setupFlags&setupSingleIssuer == 0 {
		t.Skip("ring is not SINGLE_ISSUER on this kernel")
	}
	p.Submit(Op{Kind: OpNop})
	errc := make(chan error)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		_, err := p.Wait(make([]Completion, 1), 1)
		errc <- err
	}()
	if err := <-errc; !errors.Is(err, errWrongThread) {
		t.Fatalf("Wait from another thread: %v, want errWrongThread", err)
	}
	if c := waitN(t, p, 1)[0]; c.Err != nil {
		t.Fatal(c)
	}
}

// TestSlotReuse: slots come back with a new generation, and an OpID of a
// finished operation never names the next one.
func TestSlotReuse(t *testing.T) {
	forEachBackend(t, Config{}, func(t *testing.T, p *Port) {
		var ids []OpID
		for range 3 {
			id, _ := p.Submit(Op{Kind: OpTimeout, Timeout: time.Millisecond})
			ids = append(ids, id)
			waitN(t, p, 1)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		if ids[0] == ids[1] || ids[1] == ids[2] {
			t.Fatalf("OpIDs repeat: %v", ids)
		}
		for _, id := range ids {
			if err := p.Cancel(id); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Cancel(%#x) of a finished op: %v", id, err)
			}
		}
	})
}
