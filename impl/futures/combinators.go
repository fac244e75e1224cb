package futures

// Combinators build a future out of futures. Each is a struct with a state
// field; polling it polls its parts; nothing runs until the result is
// polled. They hold their parts as Future interfaces (usually pointers to
// futures), so a part that registered something stays where it was
// registered.

// MapFuture applies a function to a future's output (Map).
type MapFuture[T, U any] struct {
	inner Future[T]
	fn    func(T) U
}

// Map returns a future ready with fn(v) once f is ready with v.
func Map[T, U any](f Future[T], fn func(T) U) *MapFuture[T, U] {
	return &MapFuture[T, U]{inner: f, fn: fn}
}

// Poll implements Future.
func (m *MapFuture[T, U]) Poll(cx *Context) Poll[U] {
	p := m.inner.Poll(cx)
	if !p.ready {
		return Pending[U]()
	}
	return Ready(m.fn(p.value))
}

// Drop drops the inner future.
func (m *MapFuture[T, U]) Drop() { DropFuture(m.inner) }

// ThenFuture runs a second future made from the first one's output (Then).
type ThenFuture[T, U any] struct {
	first  Future[T]
	fn     func(T) Future[U]
	second Future[U] // nil until first is ready
}

// Then returns a future that awaits f, passes its output to fn, and awaits
// the future fn returns.
func Then[T, U any](f Future[T], fn func(T) Future[U]) *ThenFuture[T, U] {
	return &ThenFuture[T, U]{first: f, fn: fn}
}

// Poll implements Future.
func (t *ThenFuture[T, U]) Poll(cx *Context) Poll[U] {
	if t.second == nil {
		p := t.first.Poll(cx)
		if !p.ready {
			return Pending[U]()
		}
		t.second = t.fn(p.value)
	}
	return t.second.Poll(cx)
}

// Drop drops whichever future is running.
func (t *ThenFuture[T, U]) Drop() {
	if t.second == nil {
		DropFuture(t.first)
	} else {
		DropFuture(t.second)
	}
}

// Pair is the output of Join.
type Pair[A, B any] struct {
	A A
	B B
}

// JoinFuture awaits two futures (Join).
type JoinFuture[A, B any] struct {
	a     Future[A]
	b     Future[B]
	out   Pair[A, B]
	aDone bool
	bDone bool
}

// Join returns a future ready when both a and b are, with both outputs.
// Each poll polls whichever is not ready yet, so both make progress
// concurrently within one task.
func Join[A, B any](a Future[A], b Future[B]) *JoinFuture[A, B] {
	return &JoinFuture[A, B]{a: a, b: b}
}

// Poll implements Future.
func (j *JoinFuture[A, B]) Poll(cx *Context) Poll[Pair[A, B]] {
	if !j.aDone {
		if p := j.a.Poll(cx); p.ready {
			j.out.A, j.aDone = p.value, true
		}
	}
	if !j.bDone {
		if p := j.b.Poll(cx); p.ready {
			j.out.B, j.bDone = p.value, true
		}
	}
	if j.aDone && j.bDone {
		return Ready(j.out)
	}
	return Pending[Pair[A, B]]()
}

// Drop drops the parts still pending.
func (j *JoinFuture[A, B]) Drop() {
	if !j.aDone {
		j.aDone = true
		DropFuture(j.a)
	}
	if !j.bDone {
		j.bDone = true
		DropFuture(j.b)
	}
}

// JoinAllFuture awaits every future of a slice (JoinAll).
type JoinAllFuture[T any] struct {
	fs   []Future[T]
	out  []T
	left int
}

// JoinAll returns a future ready when every future of fs is, with their
// outputs in order.
func JoinAll[T any](fs []Future[T]) *JoinAllFuture[T] {
	return &JoinAllFuture[T]{fs: fs, out: make([]T, len(fs)), left: len(fs)}
}

// Poll implements Future.
func (j *JoinAllFuture[T]) Poll(cx *Context) Poll[[]T] {
	for i, f := range j.fs {
		if f == nil {
			continue
		}
		if p := f.Poll(cx); p.ready {
			j.out[i] = p.value
			j.fs[i] = nil
			j.left--
		}
	}
	if j.left == 0 {
		return Ready(j.out)
	}
	return Pending[[]T]()
}

// Drop drops the futures still pending.
func (j *JoinAllFuture[T]) Drop() {
	for i, f := range j.fs {
		if f != nil {
			j.fs[i] = nil
			DropFuture(f)
		}
	}
}

// Selected is the output of Select: which future won, and its output.
type Selected[T any] struct {
	Index int
	Value T
}

// SelectFuture races futures (Select).
type SelectFuture[T any] struct {
	fs   []Future[T]
	done bool
}

// Select returns a future ready as soon as one of fs is, with its index
// and output. The others are dropped at that moment, so whatever they had
// registered (a timer, a reactor slot, a waiter) is withdrawn. Futures are
// polled in order, so on a tie the first wins.
func Select[T any](fs ...Future[T]) *SelectFuture[T] {
	return &SelectFuture[T]{fs: fs}
}

// Poll implements Future.
func (s *SelectFuture[T]) Poll(cx *Context) Poll[Selected[T]] {
	for i, f := range s.fs {
		p := f.Poll(cx)
		if !p.ready {
			continue
		}
		s.done = true
		for k, other := range s.fs {
			if k != i {
				DropFuture(other)
			}
		}
		return Ready(Selected[T]{Index: i, Value: p.value})
	}
	return Pending[Selected[T]]()
}

// Drop drops every future, if none has won yet.
func (s *SelectFuture[T]) Drop() {
	if s.done {
		return
	}
	s.done = true
	for _, f := range s.fs {
		DropFuture(f)
	}
}
