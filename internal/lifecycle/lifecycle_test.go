package lifecycle

import (
	"errors"
	"net"
	"sync"
	"testing"

	"iostrat"
)

type service struct {
	closes int
	err    error
}

func (s *service) Close() error { s.closes++; return s.err }

func TestCloseOrderAndOnce(t *testing.T) {
	var l Lifecycle
	if err := l.Check(); err != nil {
		t.Fatalf("Check before Close: %v", err)
	}
	a, b, gone := &service{}, &service{err: errors.New("b failed")}, &service{}
	for _, s := range []*service{a, b, gone} {
		if err := l.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	l.Remove(gone)
	stopped := 0
	stop := func() error {
		if a.closes != 1 || b.closes != 1 {
			t.Errorf("stop ran before the services were closed")
		}
		stopped++
		return errors.New("stop failed")
	}
	err := l.Close(stop)
	if err == nil || err.Error() != "b failed\nstop failed" {
		t.Errorf("Close = %v, want both errors", err)
	}
	if err2 := l.Close(stop); err2 != err {
		t.Errorf("second Close = %v, want the first call's error", err2)
	}
	if stopped != 1 || a.closes != 1 || b.closes != 1 || gone.closes != 0 {
		t.Errorf("stop ran %d times; closes a=%d b=%d removed=%d; want 1 1 1 0", stopped, a.closes, b.closes, gone.closes)
	}
	if err := l.Check(); !errors.Is(err, iostrat.ErrClosed) {
		t.Errorf("Check after Close = %v, want ErrClosed", err)
	}
	late := &service{}
	if err := l.Add(late); !errors.Is(err, iostrat.ErrClosed) || late.closes != 1 {
		t.Errorf("Add after Close = %v with %d closes, want ErrClosed and the service closed", err, late.closes)
	}
}

// TestAddRacesClose: every service added concurrently with Close is closed
// exactly once, by Close or by Add.
func TestAddRacesClose(t *testing.T) {
	var l Lifecycle
	svcs := make([]*service, 100)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range svcs {
		svcs[i] = &service{}
		wg.Go(func() {
			mu.Lock() // service.Close is not safe for concurrent use
			defer mu.Unlock()
			l.Add(svcs[i])
		})
	}
	mu.Lock()
	l.Close(nil)
	mu.Unlock()
	wg.Wait()
	for i, s := range svcs {
		if s.closes != 1 {
			t.Errorf("service %d closed %d times, want 1", i, s.closes)
		}
	}
}

type fakeServer struct{ closes int }

func (f *fakeServer) Addr() net.Addr { return &net.TCPAddr{} }
func (f *fakeServer) Conns() int     { return 0 }
func (f *fakeServer) Close() error   { f.closes++; return nil }

func TestRegister(t *testing.T) {
	var l Lifecycle
	a, b := &fakeServer{}, &fakeServer{}
	sa, err := l.Register(a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Register(b); err != nil {
		t.Fatal(err)
	}
	sa.Close() // its user closes a: it leaves the set
	if err := l.Close(nil); err != nil {
		t.Fatal(err)
	}
	if a.closes != 1 || b.closes != 1 {
		t.Errorf("closes a=%d b=%d, want 1 each (a by its user, b by the runtime)", a.closes, b.closes)
	}
	late := &fakeServer{}
	if _, err := l.Register(late); !errors.Is(err, iostrat.ErrClosed) || late.closes != 1 {
		t.Errorf("Register after Close = %v with %d closes, want ErrClosed and the server closed", err, late.closes)
	}
}

type action struct {
	a      iostrat.Action
	closed bool
}

func (h *action) Handle(in, out []byte) ([]byte, iostrat.Action) { return append(out, in...), h.a }
func (h *action) Close()                                         { h.closed = true }

func TestSession(t *testing.T) {
	h := &action{a: iostrat.CloseAfterWrite}
	res, closeAfter := Session{h}.Handle([]byte("hi"), nil)
	if string(res) != "hi" || !closeAfter {
		t.Errorf("Handle = %q, %v; want the handler's output and closeAfter", res, closeAfter)
	}
	h.a = iostrat.Continue
	if _, closeAfter := (Session{h}).Handle(nil, nil); closeAfter {
		t.Error("Continue read as closeAfter")
	}
	Session{h}.Close()
	if !h.closed {
		t.Error("Close did not reach the handler")
	}
}
