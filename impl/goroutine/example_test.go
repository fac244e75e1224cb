package goroutine_test

import (
	"fmt"
	"io"
	"net"

	"iostrat/impl/goroutine"
)

// echo is a Handler that answers every read with the bytes read.
type echo struct{}

func (echo) Handle(in, out []byte) ([]byte, bool) { return append(out, in...), false }
func (echo) Close()                               {}

// An echo server: one goroutine per connection, blocking in Read and
// Write. The Server counts the goroutines it starts.
func ExampleNewServer() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := goroutine.NewServer(ln, func(net.Conn) goroutine.Handler { return echo{} }, goroutine.ServerConfig{})
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
	fmt.Println("goroutines started:", srv.Counters().Tasks.Load())
	// Output:
	// hello
	// goroutines started: 1
}
