package iocpstyle_test

import (
	"fmt"
	"runtime"

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
