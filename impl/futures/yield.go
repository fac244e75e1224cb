package futures

// YieldFuture gives the executor back to other ready tasks once: its first
// poll wakes its own task (WakeByRef on the context's waker, which puts the
// task at the back of the run queue) and returns Pending; the next poll is
// Ready. It is Rust's yield_now written against nothing but the Waker.
type YieldFuture struct {
	yielded bool
}

// Yield returns a future that yields once.
func Yield() YieldFuture { return YieldFuture{} }

// Poll implements Future.
func (y *YieldFuture) Poll(cx *Context) Poll[struct{}] {
	if y.yielded {
		return Ready(struct{}{})
	}
	y.yielded = true
	cx.Waker().WakeByRef()
	return Pending[struct{}]()
}
