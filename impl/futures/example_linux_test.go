package futures_test

import (
	"fmt"
	"io"
	"net"
	"runtime"

	"iostrat/impl/futures"
)

// countdown is a hand-written future: a struct with a state field. Each
// poll does one step and yields, so other tasks run in between.
type countdown struct {
	name  string
	left  int
	yield futures.YieldFuture
	log   *[]string
}

func (c *countdown) Poll(cx *futures.Context) futures.Poll[string] {
	for c.left > 0 {
		if c.yield.Poll(cx).IsPending() {
			return futures.Pending[string]() // our waker already queued us again
		}
		c.yield = futures.Yield()
		*c.log = append(*c.log, fmt.Sprint(c.name, c.left))
		c.left--
	}
	return futures.Ready(c.name + " done")
}

// program spawns two countdowns and awaits both handles.
type program struct {
	log     []string
	a, b    futures.JoinHandle[string]
	outA    string
	spawned bool
}

func (m *program) Poll(cx *futures.Context) futures.Poll[string] {
	if !m.spawned {
		m.spawned = true
		m.a = futures.Spawn(cx.Executor(), &countdown{name: "a", left: 2, log: &m.log})
		m.b = futures.Spawn(cx.Executor(), &countdown{name: "b", left: 2, log: &m.log})
	}
	if m.outA == "" {
		p := m.a.Poll(cx)
		if p.IsPending() {
			return futures.Pending[string]()
		}
		m.outA = p.Value()
	}
	p := m.b.Poll(cx)
	if p.IsPending() {
		return futures.Pending[string]()
	}
	return futures.Ready(fmt.Sprint(m.log, " ", m.outA, ", ", p.Value()))
}

func Example() {
	e, err := futures.NewExecutor(futures.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	out, err := futures.BlockOn(e, &program{})
	fmt.Println(out, err)
	// Output: [a2 b2 a1 b1] a done, b done <nil>
}

// echoSession is a Handler that answers every input with itself.
type echoSession struct{}

func (echoSession) Handle(in, out []byte) ([]byte, bool) { return append(out, in...), false }
func (echoSession) Close()                               {}

// An echo server on one executor, run by a goroutine locked to its
// thread; more executors would share the connections.
func ExampleServer() {
	e, err := futures.NewExecutor(futures.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	stopped := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		stopped <- e.Run()
	}()
	defer func() {
		e.Stop()
		<-stopped
		e.Close()
	}()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := futures.NewServer([]*futures.Executor{e}, ln,
		func() futures.Handler { return echoSession{} }, futures.ServerConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	io.WriteString(c, "hello, futures")
	buf := make([]byte, len("hello, futures"))
	_, err = io.ReadFull(c, buf)
	fmt.Printf("%s %v\n", buf, err)
	c.Close()
	fmt.Println(srv.Close(), srv.Conns())
	// Output:
	// hello, futures <nil>
	// <nil> 0
}
