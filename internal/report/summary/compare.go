package summary

import (
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"

	"iostrat/internal/report/raw"
)

// A Comparison is a run compared with the previous run of the same kind
// on the same machine, or the reason there is none.
type Comparison struct {
	// Previous is the previous run's raw file; "" when there is none.
	Previous string
	// PreviousProvenance is its header.
	PreviousProvenance raw.Provenance
	// Skipped says why the runs were not compared; "" when they were.
	Skipped string
	// MachineDiffs are the machine config keys that differ (the reason
	// for skipping, when they are the reason).
	MachineDiffs []raw.ConfigDiff
	// OtherDiffs are the other config keys that differ (Go version,
	// benchtime, knobs): worth knowing when reading a change.
	OtherDiffs []raw.ConfigDiff
	// Regressions and Improvements are the changes of the per-unit
	// headline metrics that hold: significant after the Holm-Bonferroni
	// correction over all Compared tests (U test), and larger than both
	// runs' drift (see decide.go). Largest first.
	Regressions, Improvements []Change
	// Compared is how many benchmark-and-metric pairs were tested.
	Compared int
	// Uncorrected is how many pairs a lone U test at Alpha would have
	// called changed: what the correction and the drift set aside.
	Uncorrected int
	// Benchstat is `go tool benchstat previous current` on the headline
	// metrics.
	Benchstat BenchstatOutput
}

// A Change is one significant difference between two runs.
type Change struct {
	Name     string  // benchmark with impl key and budget suffix: "PingPong/impl=goroutine/mode=cross-2"
	Unit     string  // tidied unit
	Old, New float64 // medians
	Delta    float64 // New/Old - 1
	P        float64 // Holm-adjusted
}

// otherCompareKeys are the non-machine config keys worth reporting when
// they differ between compared runs.
func otherCompareKeys(old, new raw.Provenance) []string {
	keys := []string{raw.KeyGo, raw.KeyCount, raw.KeyBenchtime, raw.KeyBudget}
	for _, p := range []raw.Provenance{old, new} {
		for _, l := range p.Lines {
			if strings.HasPrefix(l.Key, raw.KeyKnobs) && !slices.Contains(keys, l.Key) {
				keys = append(keys, l.Key)
			}
		}
	}
	return keys
}

// CompareRuns compares the headline metrics of two runs: for every
// benchmark (with its strategy) and headline unit both runs have, a U
// test at Alpha. Machines that differ are not compared.
func CompareRuns(old, new *raw.File) *Comparison {
	c := &Comparison{Previous: old.Path, PreviousProvenance: old.Provenance}
	c.MachineDiffs = raw.DiffConfig(old.Provenance, new.Provenance, raw.MachineKeys...)
	c.OtherDiffs = raw.DiffConfig(old.Provenance, new.Provenance, otherCompareKeys(old.Provenance, new.Provenance)...)
	if len(c.MachineDiffs) > 0 {
		var what []string
		for _, d := range c.MachineDiffs {
			what = append(what, d.String())
		}
		c.Skipped = "the machine differs: " + strings.Join(what, "; ")
		return c
	}
	pairs := c.pair(headlineSamples(old), headlineSamples(new), new.Units)
	ps := make([]float64, len(pairs))
	for i, p := range pairs {
		ps[i] = p.p
	}
	for i, adj := range holm(ps) {
		c.addChange(pairs[i], adj, higherIsBetter(new.Units, pairs[i].key.unit))
	}
	bySize := func(a, b Change) int { return cmpFloat(abs(b.Delta), abs(a.Delta)) }
	slices.SortStableFunc(c.Regressions, bySize)
	slices.SortStableFunc(c.Improvements, bySize)
	return c
}

// A samplePair is one benchmark-and-unit in both runs, with the U test's
// p-value before the correction.
type samplePair struct {
	key              sampleKey
	oldCell, newCell Cell
	p                float64
}

// pair tests every benchmark-and-unit the new run shares with the old,
// counting Compared and Uncorrected.
func (c *Comparison) pair(oldSamples, newSamples samples, units benchfmt.UnitMetadataMap) []samplePair {
	var pairs []samplePair
	for _, k := range newSamples.order {
		ov, ok := oldSamples.values[k]
		if !ok {
			continue
		}
		assumption := units.GetAssumption(k.unit)
		oc, nc := newCell(ov, assumption), newCell(newSamples.values[k], assumption)
		cmp := assumption.Compare(oc.Sample, nc.Sample)
		pairs = append(pairs, samplePair{k, oc, nc, cmp.P})
		if cmp.P < Alpha {
			c.Uncorrected++
		}
	}
	c.Compared = len(pairs)
	return pairs
}

// addChange records a pair's change if it holds: significant at its
// Holm-adjusted p-value adj, and beyond drift.
func (c *Comparison) addChange(p samplePair, adj float64, higher bool) {
	oldMed, newMed := p.oldCell.Summary.Center, p.newCell.Summary.Center
	// A change holds beyond drift when the two medians, each moved by
	// its own run's drift towards the other, still differ.
	lower, upper := p.oldCell, p.newCell
	if newMed < oldMed {
		lower, upper = p.newCell, p.oldCell
	}
	if adj >= Alpha || oldMed == 0 || !beyondDrift(lower, upper, false) {
		return
	}
	ch := Change{Name: p.key.name, Unit: p.key.unit, Old: oldMed, New: newMed, Delta: newMed/oldMed - 1, P: adj}
	worse := ch.Delta > 0
	if higher {
		worse = ch.Delta < 0
	}
	if worse {
		c.Regressions = append(c.Regressions, ch)
	} else if ch.Delta != 0 {
		c.Improvements = append(c.Improvements, ch)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sampleKey is a benchmark with its strategy and one unit.
type sampleKey struct{ name, unit string }

type samples struct {
	values map[sampleKey][]float64
	order  []sampleKey
}

// headlineSamples collects each benchmark's headline metric values.
func headlineSamples(f *raw.File) samples {
	s := samples{values: make(map[sampleKey][]float64)}
	headline := make(map[string]string) // row name → headline unit
	for _, g := range Summarize(f).Groups {
		for _, r := range g.Rows {
			headline[r.Name] = r.Headline
		}
	}
	names := newNames()
	for _, res := range f.Results {
		n := names.of(res)
		unit := headline[n.row.name]
		if unit == "" {
			continue
		}
		v, ok := res.Value(unit)
		if !ok {
			continue
		}
		k := sampleKey{n.full(), unit}
		if _, seen := s.values[k]; !seen {
			s.order = append(s.order, k)
		}
		s.values[k] = append(s.values[k], v)
	}
	return s
}

// HeadlineUnits lists the distinct headline units of a summary.
func HeadlineUnits(s *Summary) []string {
	var units []string
	for _, g := range s.Groups {
		for _, r := range g.Rows {
			if r.Headline != "" && !slices.Contains(units, r.Headline) {
				units = append(units, r.Headline)
			}
		}
	}
	return units
}
