package futures

// Poll is the result of polling a future: ready with a value, or pending.
// It is Rust's std::task::Poll.
type Poll[T any] struct {
	value T
	ready bool
}

// Ready returns a ready Poll carrying v.
func Ready[T any](v T) Poll[T] { return Poll[T]{value: v, ready: true} }

// Pending returns a pending Poll.
func Pending[T any]() Poll[T] { return Poll[T]{} }

// IsReady reports whether the future finished.
func (p Poll[T]) IsReady() bool { return p.ready }

// IsPending reports whether the future has more to do.
func (p Poll[T]) IsPending() bool { return !p.ready }

// Value returns the value of a ready Poll, and the zero T for a pending one.
func (p Poll[T]) Value() T { return p.value }

// Get returns the value and whether the Poll is ready.
func (p Poll[T]) Get() (T, bool) { return p.value, p.ready }

// A Future is a computation that finishes later: a state machine the
// executor drives by calling Poll. Poll does as much as it can without
// blocking; if it cannot finish, it arranges for cx.Waker() to be woken
// when it can make progress and returns Pending. Once it returns Ready it
// is not polled again.
//
// Futures are lazy: creating one does nothing, the first Poll starts the
// work. They are plain structs with a state field, never goroutines.
//
// A future that has been polled must not be copied or moved: it may have
// handed out a pointer into itself (a timer in the executor's heap, a node
// in a waiter list). Go's heap never moves an object, so a future inside a
// task — which lives on the heap — stays put; this is what Rust spells
// Pin<&mut Self>, and what Go gets by not copying.
type Future[T any] interface {
	Poll(cx *Context) Poll[T]
}

// A Dropper is a future that must release something if it is abandoned
// while pending: a waker left in a reactor slot, a timer in the heap, a
// node in a waiter list. Drop is Go's stand-in for Rust's Drop, which Go
// does not run by itself. Executors and combinators call it on a future
// they abandon before it returned Ready (an aborted task, the losers of a
// Select). A future that returned Ready holds nothing; Drop on it, or a
// second Drop, does nothing.
type Dropper interface {
	Drop()
}

// DropFuture calls f's Drop method if it has one.
func DropFuture(f any) {
	if d, ok := f.(Dropper); ok {
		d.Drop()
	}
}

// Context is what a future gets when it is polled: the waker of the task
// polling it, and the executor running that task. It is Rust's
// std::task::Context with one extension: Go has no thread-local storage,
// so the executor travels in the Context instead (leaf futures find their
// reactor and timer heap there, and tasks spawn more tasks through it).
//
// A Context is valid only during the Poll it was passed to; a future must
// not keep it. The executor reuses one Context for every poll.
type Context struct {
	waker *Waker
	exec  *Executor
}

// NewContext returns a Context carrying w and no executor, for polling
// futures by hand in tests. Futures that need an executor (Sleep, I/O,
// Notify) panic under it.
func NewContext(w *Waker) *Context { return &Context{waker: w} }

// Waker returns the waker of the task being polled. It is borrowed: call
// Clone (or CloneFrom) to keep it beyond this poll.
func (cx *Context) Waker() *Waker { return cx.waker }

// Executor returns the executor polling the task, or nil for a Context
// made by [NewContext].
func (cx *Context) Executor() *Executor { return cx.exec }

// executor returns the executor or panics, for futures that need one.
func (cx *Context) executor(what string) *Executor {
	if cx.exec == nil {
		panic("futures: " + what + " polled outside an executor")
	}
	return cx.exec
}
