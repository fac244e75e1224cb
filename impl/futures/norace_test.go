//go:build !race

package futures

const raceEnabled = false
