//go:build race

package callback

// checkLoopThread panics when a loop-goroutine-only method is called from
// another goroutine. It costs a system call, so only race-enabled builds
// (the tests) pay it; without -race such a call is a plain data race.
func checkLoopThread(l *Loop) {
	if !l.onLoopThread() {
		panic("callback: loop-only method called outside the loop's goroutine")
	}
}

// raceEnabled reports whether the race detector is on.
const raceEnabled = true
