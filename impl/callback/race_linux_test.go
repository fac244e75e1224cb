//go:build race

package callback

import "testing"

// TestPostLocalOffLoopPanics: with -race, a loop-only method called from
// another goroutine panics instead of racing silently.
func TestPostLocalOffLoopPanics(t *testing.T) {
	l := newLoop(t, Config{})
	defer func() {
		if recover() == nil {
			t.Fatal("PostLocal from the test goroutine did not panic")
		}
	}()
	l.PostLocal(func() {})
}
