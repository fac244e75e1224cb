package loadgen

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestPercentilesNearestRank(t *testing.T) {
	// 1ms to 100ms, shuffled: the p-th percentile is the ceil(p)-th value.
	samples := make([]time.Duration, 100)
	for i := range samples {
		samples[i] = time.Duration(i+1) * time.Millisecond
	}
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(samples), func(i, j int) { samples[i], samples[j] = samples[j], samples[i] })
	orig := slices.Clone(samples)

	got, err := Percentiles(samples, 50, 99, 99.9, 100, 0.5, 1, 25.5)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{50, 99, 100, 100, 1, 1, 26}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Errorf("percentile %d: %v, want %v", i, got[i], want[i]*time.Millisecond)
		}
	}
	if !slices.Equal(samples, orig) {
		t.Error("Percentiles modified the samples")
	}

	one, err := Percentiles([]time.Duration{7}, 0.001, 100)
	if err != nil || one[0] != 7 || one[1] != 7 {
		t.Errorf("one sample: %v, %v", one, err)
	}
}

func TestPercentilesErrors(t *testing.T) {
	s := []time.Duration{1, 2, 3}
	for _, p := range []float64{0, -1, 100.01, math.NaN(), math.Inf(1)} {
		if _, err := Percentiles(s, 50, p); err == nil {
			t.Errorf("percentile %v: no error", p)
		}
	}
	wantErr(t, func() error { _, err := Percentiles(nil, 50); return err }(), "no samples")
}
