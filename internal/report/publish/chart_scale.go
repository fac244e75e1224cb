package publish

import (
	"image/color"
	"slices"
	"strings"
)

// whiteBackground fills every chart, so that it reads on a dark page
// too; colorGrid draws its grid lines.
var (
	whiteBackground = color.White
	colorGrid       = color.Gray{Y: 0xCC}
)

// A scale converts a unit's values for an axis: seconds to ns, µs or ms.
type scale struct {
	factor float64
	label  string
}

// scaleFor picks a readable scale for a unit given the values drawn:
// times in ns, µs or ms; bytes in KiB, MiB or GiB; other quantities with
// an SI prefix. "time" stands for a mix of time-per-unit units.
func scaleFor(unit string, values []float64) scale {
	var positive []float64
	for _, v := range values {
		if v > 0 {
			positive = append(positive, v)
		}
	}
	slices.Sort(positive)
	mid := 0.0
	if len(positive) > 0 {
		mid = positive[len(positive)/2]
	}
	if unit == "time" || isTimeUnit(unit) {
		return timeScale(unit, mid)
	}
	if rest, ok := strings.CutPrefix(unit, "B"); ok {
		for _, s := range []struct {
			factor float64
			prefix string
		}{{1 << 30, "Gi"}, {1 << 20, "Mi"}, {1 << 10, "Ki"}} {
			if mid >= s.factor {
				return scale{1 / s.factor, s.prefix + "B" + rest}
			}
		}
		return scale{1, unit}
	}
	for _, s := range []struct {
		factor float64
		prefix string
	}{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if mid >= s.factor {
			return scale{1 / s.factor, s.prefix + " " + unit}
		}
	}
	return scale{1, unit}
}

// timeScale is the scale of a time unit ("sec/task", "cpu-sec/msg",
// "p99-sec", or "time" for a mix of times per unit) around mid seconds.
func timeScale(unit string, mid float64) scale {
	per := " per unit"
	if _, denom, ok := strings.Cut(unit, "/"); ok {
		per = " per " + denom
	} else if unit != "time" {
		per = ""
	}
	switch {
	case mid >= 1e-3:
		return scale{1e3, "ms" + per}
	case mid >= 1e-6:
		return scale{1e6, "µs" + per}
	}
	return scale{1e9, "ns" + per}
}

// isTimeUnit reports whether a tidied unit measures time.
func isTimeUnit(unit string) bool {
	num, _, _ := strings.Cut(unit, "/")
	return num == "sec" || strings.HasSuffix(num, "-sec") // sec/task, p99-sec, cpu-sec/req
}
