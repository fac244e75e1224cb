package thread_test

import (
	"fmt"
	"io"
	"net"
	"sync/atomic"

	"iostrat/impl/thread"
)

// Tasks on threads of their own, joined with a futex latch: each task's
// thread is created for it and ends with it.
func ExampleGroup() {
	var c thread.Counters
	g := thread.Group{Counters: &c}
	var sum atomic.Int64
	for i := 1; i <= 4; i++ {
		g.Go(func() { sum.Add(int64(i)) })
	}
	g.Wait()
	fmt.Println("sum:", sum.Load())
	fmt.Println("threads started:", c.Threads.Load())
	// Output:
	// sum: 10
	// threads started: 4
}

// echo is a Handler that answers every read with the bytes read.
type echo struct{}

func (echo) Handle(in, out []byte) ([]byte, bool) { return append(out, in...), false }
func (echo) Close()                               {}

// An echo server: an accept thread and a thread per connection, blocking
// in accept4, read and send.
func ExampleNewServer() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv, err := thread.NewServer(ln, func(net.Addr) thread.Handler { return echo{} }, thread.ServerConfig{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		panic(err)
	}
	c.Write([]byte("hello"))
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil {
		panic(err)
	}
	c.Close()
	fmt.Printf("%s\n", buf)
	fmt.Println("threads started:", srv.Counters().Threads.Load())
	// Output:
	// hello
	// threads started: 2
}
