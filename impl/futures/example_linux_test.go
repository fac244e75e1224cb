package futures_test

import (
	"fmt"

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
