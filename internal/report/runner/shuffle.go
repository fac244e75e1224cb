package runner

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"iostrat/internal/report/raw"
)

// ShuffleFlag is the benchmark binary's flag that takes a repetition's
// shuffle seed.
const ShuffleFlag = "-iostrat.shuffle"

// MaxSeed is the largest base seed: base+count stays an int64.
const MaxSeed = 1 << 62

// ClockSeed is a base seed taken from the clock, never 0.
func ClockSeed(now time.Time) int64 {
	return 1 + now.UnixNano()%(1<<31-1)
}

// RepetitionSeed is the shuffle seed of repetition rep (0-based).
func RepetitionSeed(base int64, rep int) int64 { return base + int64(rep) + 1 }

// ShuffleLine is the shuffle config value.
func ShuffleLine(base int64) string {
	return fmt.Sprintf("%d (repetition r = 1…count runs with %s=%d+r: the order of the strategies inside every benchmark)", base, ShuffleFlag, base)
}

// ShuffleSeed reads the base seed of a shuffle line; ok is false for runs
// made before shuffling.
func ShuffleSeed(prov raw.Provenance) (int64, bool) {
	field, _, _ := strings.Cut(prov.Get(raw.KeyShuffle), " ")
	seed, err := strconv.ParseInt(field, 10, 64)
	return seed, err == nil
}
