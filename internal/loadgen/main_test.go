package loadgen

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain lets the tests start this binary again as a child (a remote
// client or a holder of idle connections), and checks that no goroutine
// outlives the tests.
func TestMain(m *testing.M) {
	ChildMain()
	goleak.VerifyTestMain(m)
}

// checkLeaks fails t if a goroutine started during the test is still
// running once its cleanups (servers closing) are done. Call it first, so
// its cleanup runs last.
func checkLeaks(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}
