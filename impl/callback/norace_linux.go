//go:build !race

package callback

// checkLoopThread is free without -race; see race_linux.go.
func checkLoopThread(*Loop) {}

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
