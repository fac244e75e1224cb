//go:build !race

package iostrattest

const raceEnabled = false
