package epoll

import (
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

func TestDataRoundTrip(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	const data = 0xdeadbeef_00c0ffee
	if err := p.Add(fds[0], In, data); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Write(fds[1], []byte{1}); err != nil {
		t.Fatal(err)
	}
	evs := make([]Event, 4)
	n, err := p.Wait(evs, 1000)
	if err != nil || n != 1 {
		t.Fatalf("Wait = %d, %v; want 1 event", n, err)
	}
	if got := Data(&evs[0]); got != data {
		t.Fatalf("Data = %#x, want %#x", got, uint64(data))
	}
	if err := p.Delete(fds[0]); err != nil {
		t.Fatal(err)
	}
	if n, _ := p.Wait(evs, 0); n != 0 {
		t.Fatalf("after Delete: %d events, want 0", n)
	}
}

// TestNotifierNeverLosesSignal races signallers against a draining loop and
// checks that every round's work is seen: a lost wake-up hangs the test.
func TestNotifierNeverLosesSignal(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	nt, err := NewNotifier()
	if err != nil {
		t.Fatal(err)
	}
	defer nt.Close()
	if err := p.Add(nt.FD(), In, 1); err != nil {
		t.Fatal(err)
	}
	const rounds = 20000
	var mu sync.Mutex
	posted, seen := 0, 0
	var wg sync.WaitGroup
	wg.Add(2)
	for range 2 {
		go func() {
			defer wg.Done()
			for range rounds / 2 {
				mu.Lock()
				posted++
				mu.Unlock()
				if _, err := nt.Signal(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	evs := make([]Event, 4)
	writes := 0
	for seen < rounds {
		n, err := p.Wait(evs, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatalf("no wake-up in 5s with %d of %d seen: a signal was lost", seen, rounds)
		}
		if read, err := nt.Drain(); err != nil {
			t.Fatal(err)
		} else if read {
			writes++
		}
		mu.Lock()
		seen = posted
		mu.Unlock()
	}
	wg.Wait()
	t.Logf("%d signals, %d drains", rounds, writes)
}
