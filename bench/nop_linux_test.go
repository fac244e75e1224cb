package bench

import (
	"errors"
	"fmt"
	"runtime"
	"testing"

	iocpstyle "iostrat/impl/iocp_style"
)

// BenchmarkNop is the completion port itself, below the strategy
// interface: no-ops submitted and reaped through iocp_style's Port,
// batch at a time (on io_uring, one io_uring_enter submits a batch and
// waits for it). It is what iocp_uring's enters cost, set beside the C
// floor of the same loop on liburing (impl=anchor-liburing, with
// anchors): io_uring_prep_nop batch times, then io_uring_submit_and_wait.
// The emulated backend completes no-ops in user space.
const nopsPerCall = 20_000 // a call long enough that the hand-off is noise (about 10 ms at batch 1)

var nopBatches = []int{1, 32} // liburing's one-at-a-time and a typical batch

func BenchmarkNop(b *testing.B) {
	n := size(nopsPerCall, 2_000)
	for _, s := range strategyOrder(b.Name(), []iocpstyle.Strategy{{Backend: iocpstyle.Uring}, {Backend: iocpstyle.Emulated}}) {
		if !implSelected(s.Name()) {
			continue
		}
		b.Run("impl="+s.Name(), func(b *testing.B) {
			for _, batch := range nopBatches {
				b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
					applyBudget(b)
					runtime.LockOSThread() // a port is used from one thread, as a loop uses it
					defer runtime.UnlockOSThread()
					p, err := iocpstyle.NewPort(iocpstyle.Config{Backend: s.Backend})
					if errors.Is(err, errors.ErrUnsupported) {
						b.Skip(err)
					}
					if err != nil {
						b.Fatal(err)
					}
					defer p.Close()
					before := p.Counters()
					cs := make([]iocpstyle.Completion, batch)
					calls := 0
					measure(b, nil, unitNop, n, func() error {
						calls++
						return nops(p, cs, n)
					})
					b.ReportMetric(float64(p.Counters().Enters-before.Enters)/float64(calls*n), "enters/"+unitNop)
				})
			}
		})
	}
}

// nops submits n no-ops through p, len(cs) at a time, reaps each batch
// before the next and checks that every token came back once.
func nops(p *iocpstyle.Port, cs []iocpstyle.Completion, n int) error {
	batch := len(cs)
	for next := 0; next < n; next += batch {
		k := min(batch, n-next)
		for i := range k {
			if _, err := p.Submit(iocpstyle.Op{Kind: iocpstyle.OpNop, Token: iocpstyle.Token(next + i)}); err != nil {
				return err
			}
		}
		seen := uint64(0) // bit i: token next+i came back
		for got := 0; got < k; {
			m, err := p.Wait(cs[:k-got], k-got)
			if err != nil {
				return err
			}
			for _, c := range cs[:m] {
				i := int(c.Token) - next
				if c.Err != nil || i < 0 || i >= k || seen&(1<<i) != 0 {
					return fmt.Errorf("no-op completion: token %d (batch from %d), err %v", c.Token, next, c.Err)
				}
				seen |= 1 << i
			}
			got += m
		}
	}
	return nil
}
