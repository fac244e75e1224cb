package loadgen

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/montanaflynn/stats"
)

// Percentiles returns the ps-th percentiles of samples, in the order of ps,
// by the nearest-rank definition: the p-th percentile of n samples is the
// smallest sample that is at least p percent of them, the sample of rank
// ceil(n*p/100) in sorted order. It is always one of the samples, never an
// interpolation, so a reported p99.9 is a latency that was measured.
//
// It uses stats.PercentileNearestRank from github.com/montanaflynn/stats
// v0.14.0 (the version is pinned in go.mod). Each p must be in (0, 100].
// samples is not modified.
func Percentiles(samples []time.Duration, ps ...float64) ([]time.Duration, error) {
	if len(samples) == 0 {
		return nil, errors.New("loadgen: percentiles of no samples")
	}
	for _, p := range ps {
		if math.IsNaN(p) || p <= 0 || p > 100 {
			return nil, fmt.Errorf("loadgen: percentile %v out of range (0, 100]", p)
		}
	}
	data := make(stats.Float64Data, len(samples))
	for i, s := range samples {
		data[i] = float64(s) // exact: durations below 2^53 ns (104 days)
	}
	// PercentileNearestRank sorts a copy on every call; sorting once here
	// makes each of those sorts a linear pass over sorted data.
	slices.Sort(data)
	out := make([]time.Duration, len(ps))
	for i, p := range ps {
		v, err := stats.PercentileNearestRank(data, p)
		if err != nil {
			return nil, fmt.Errorf("loadgen: percentile %v of %d samples: %w", p, len(samples), err)
		}
		out[i] = time.Duration(v)
	}
	return out, nil
}
