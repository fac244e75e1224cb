//go:build race

package iostrattest

const raceEnabled = true
