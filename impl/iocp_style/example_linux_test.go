package iocpstyle_test

import (
	"fmt"
	"io"
	"net"
	"runtime"
	"sync/atomic"

	"golang.org/x/sys/unix"

	iocpstyle "iostrat/impl/iocp_style"
)

// A port's life: lend a buffer with a receive, send on the other end of a
// socket pair, post a completion from another goroutine, and reap all
// three completions. The owner goroutine stays on its OS thread.
func Example() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	port, err := iocpstyle.NewPort(iocpstyle.Config{}) // io_uring, or the emulated port if unavailable
	if err != nil {
		fmt.Println(err)
		return
	}
	defer port.Close()

	fds, _ := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])

	const (
		recvToken iocpstyle.Token = iota + 1
		sendToken
		postToken
	)
	buf := make([]byte, 64) // lent to the kernel until its completion
	port.Submit(iocpstyle.Op{Kind: iocpstyle.OpRecv, FD: fds[1], Buf: buf, Token: recvToken})
	port.Submit(iocpstyle.Op{Kind: iocpstyle.OpSend, FD: fds[0], Buf: []byte("hello"), Token: sendToken})
	done := make(chan struct{})
	go func() { port.Post(postToken, 42); close(done) }() // any goroutine may post
	<-done

	got := map[iocpstyle.Token]iocpstyle.Completion{}
	cs := make([]iocpstyle.Completion, 8)
	for len(got) < 3 {
		n, err := port.Wait(cs, 1)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, c := range cs[:n] {
			got[c.Token] = c
		}
	}
	fmt.Printf("recv %d bytes: %q\n", got[recvToken].Result, got[recvToken].Buf)
	fmt.Printf("send %d bytes\n", got[sendToken].Result)
	fmt.Printf("posted %d\n", got[postToken].Result)
	// Output:
	// recv 5 bytes: "hello"
	// send 5 bytes
	// posted 42
}

// echo is a Handler that answers every receive with the bytes received.
type echo struct{ closed *atomic.Int32 }

func (e echo) Handle(in, out []byte) ([]byte, bool) { return append(out, in...), false }
func (e echo) Close()                               { e.closed.Add(1) }

// An echo server on the library alone. The owner goroutine, locked to its
// thread, waits on its port and hands each completion to the host, which
// takes those in its token range (the server's accepts, receives, sends
// and closes) and leaves the rest, here a stop token, to the owner. Any
// other goroutine starts and closes servers.
func ExampleNewServer() {
	const stop iocpstyle.Token = 1 // the owner's own token, outside the host's range
	var port *iocpstyle.Port
	hosts := make(chan *iocpstyle.Host)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		// 16 provided buffers: an idle connection holds none.
		var err error
		port, err = iocpstyle.NewPort(iocpstyle.Config{Buffers: 16, BufferSize: 4096})
		if err != nil {
			fmt.Println(err)
			close(hosts)
			return
		}
		defer port.Close()
		host, _ := iocpstyle.NewHost(port, iocpstyle.HostTokens) // tokens HostTokens to 2*HostTokens-1
		hosts <- host
		cs := make([]iocpstyle.Completion, 32)
		for {
			n, err := port.Wait(cs, 1)
			if err != nil {
				fmt.Println(err)
			}
			for i := range cs[:n] {
				if !host.HandleCompletion(&cs[i]) && cs[i].Token == stop {
					return
				}
			}
		}
	}()
	host, ok := <-hosts
	if !ok {
		return
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	var closed atomic.Int32
	newHandler := func() iocpstyle.Handler { return echo{&closed} }
	srv, err := iocpstyle.NewServer(ln, []*iocpstyle.Host{host}, newHandler, iocpstyle.ServerConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}

	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	c.Write([]byte("hello"))
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s\n", buf)
	c.Close()

	srv.Close() // the connection is closed by now, or at the latest within DrainTimeout
	fmt.Println("open:", srv.Conns(), "handlers closed:", closed.Load())
	port.Post(stop, 0) // Post is for any goroutine
	<-stopped
	// Output:
	// hello
	// open: 0 handlers closed: 1
}
