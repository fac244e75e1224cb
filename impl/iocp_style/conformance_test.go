package iocpstyle

import (
	"testing"

	"iostrat/iostrattest"
)

// TestConformance runs the shared suite for each backend choice. Uring is
// skipped, with the reason, where io_uring is unavailable; Auto then runs
// emulated and says so in its Info.
func TestConformance(t *testing.T) {
	for _, s := range []Strategy{{Backend: Uring}, {Backend: Uring, PostKernel: true}, {Backend: Emulated}, {Backend: Auto}} {
		t.Run(s.Name(), func(t *testing.T) {
			if s.Backend == Uring {
				if _, err := Probe(); err != nil {
					t.Skipf("io_uring unavailable here: %v", err)
				}
			}
			iostrattest.TestStrategy(t, s)
		})
	}
}
