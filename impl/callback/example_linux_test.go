package callback_test

import (
	"fmt"
	"io"
	"net"
	"time"

	"iostrat/impl/callback"
)

// A loop runs callbacks one at a time on its own thread: posted ones, in
// order, and timers when they are due. Code inside a callback uses the
// loop-only methods; other goroutines use Post.
func ExampleLoop() {
	l, err := callback.NewLoop(callback.Config{})
	if err != nil {
		panic(err)
	}
	defer l.Close()
	done := make(chan struct{})
	l.Post(func() { // from this goroutine: Post
		fmt.Println("first callback")
		l.PostLocal(func() { fmt.Println("posted from the loop, runs next") })
		l.AfterFunc(10*time.Millisecond, func() {
			fmt.Println("timer")
			close(done)
		})
	})
	<-done
	// Output:
	// first callback
	// posted from the loop, runs next
	// timer
}

// An echo server on two loops: OnData gets a view of the loop's read
// buffer and writes it back; Write queues whatever the socket does not
// take at once.
func ExampleNewServer() {
	loops := make([]*callback.Loop, 2)
	for i := range loops {
		l, err := callback.NewLoop(callback.Config{})
		if err != nil {
			panic(err)
		}
		defer l.Close()
		loops[i] = l
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv, err := callback.NewServer(loops, ln, callback.Callbacks{
		OnData: func(c *callback.Conn, in []byte) { c.Write(in) },
	}, callback.ServerConfig{})
	if err != nil {
		panic(err)
	}
	defer srv.Close() // before the loops: deferred calls run last-in first-out

	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	c.Write([]byte("hello"))
	buf := make([]byte, 5)
	io.ReadFull(c, buf)
	fmt.Printf("%s\n", buf)
	// Output: hello
}
