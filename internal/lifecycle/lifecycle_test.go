package lifecycle

import (
	"errors"
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
