package report

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchmath"
)

// A Comparison is a run compared with the previous run of the same kind
// on the same machine, or the reason there is none.
type Comparison struct {
	// Previous is the previous run's raw file; "" when there is none.
	Previous string
	// PreviousProvenance is its header.
	PreviousProvenance Provenance
	// Skipped says why the runs were not compared; "" when they were.
	Skipped string
	// MachineDiffs are the machine config keys that differ (the reason
	// for skipping, when they are the reason).
	MachineDiffs []ConfigDiff
	// OtherDiffs are the other config keys that differ (Go version,
	// benchtime, knobs): worth knowing when reading a change.
	OtherDiffs []ConfigDiff
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

// FindPrevious returns the raw file in dir that the run in current is
// compared with: the newest file of the same kind (quick runs with quick
// runs, full with full) made before it. It returns "" and the reason
// when there is none.
func FindPrevious(dir string, current *Raw) (path, why string) {
	kind := "full"
	if current.Provenance.Quick() {
		kind = "quick"
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Sprintf("no earlier %s run to compare with", kind)
	}
	curDate, ok := current.Provenance.Date()
	if !ok {
		curDate = modTime(current.Path)
	}
	curAbs, _ := filepath.Abs(current.Path)
	var best string
	var bestDate time.Time
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".txt") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if abs, _ := filepath.Abs(p); abs == curAbs {
			continue
		}
		prov, date, err := readHeader(p)
		if err != nil || isQuick(prov, p) != current.Provenance.Quick() || !date.Before(curDate) {
			continue
		}
		if best == "" || date.After(bestDate) {
			best, bestDate = p, date
		}
	}
	if best == "" {
		return "", fmt.Sprintf("no earlier %s run to compare with", kind)
	}
	return best, ""
}

// readHeader reads a raw file's provenance and its date (from the date
// line, else the file's modification time).
func readHeader(path string) (Provenance, time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return Provenance{}, time.Time{}, err
	}
	defer f.Close()
	prov, err := ParseProvenance(f)
	if err != nil {
		return prov, time.Time{}, err
	}
	date, ok := prov.Date()
	if !ok {
		date = modTime(path)
	}
	return prov, date, nil
}

// isQuick reports whether a raw file holds a quick run: its quick line,
// or for files without one, its -quick name suffix.
func isQuick(p Provenance, path string) bool {
	if v := p.Get(KeyQuick); v != "" {
		return v == "true"
	}
	return strings.HasSuffix(path, "-quick.txt")
}

func modTime(path string) time.Time {
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// otherCompareKeys are the non-machine config keys worth reporting when
// they differ between compared runs.
func otherCompareKeys(old, new Provenance) []string {
	keys := []string{KeyGo, KeyCount, KeyBenchtime, KeyBudget}
	for _, p := range []Provenance{old, new} {
		for _, l := range p.Lines {
			if strings.HasPrefix(l.Key, KeyKnobs) && !slices.Contains(keys, l.Key) {
				keys = append(keys, l.Key)
			}
		}
	}
	return keys
}

// CompareRuns compares the headline metrics of two runs: for every
// benchmark (with its strategy) and headline unit both runs have, a U
// test at Alpha. Machines that differ are not compared.
func CompareRuns(old, new *Raw) *Comparison {
	c := &Comparison{Previous: old.Path, PreviousProvenance: old.Provenance}
	c.MachineDiffs = diffConfig(old.Provenance, new.Provenance, machineKeys...)
	c.OtherDiffs = diffConfig(old.Provenance, new.Provenance, otherCompareKeys(old.Provenance, new.Provenance)...)
	if len(c.MachineDiffs) > 0 {
		var what []string
		for _, d := range c.MachineDiffs {
			what = append(what, d.String())
		}
		c.Skipped = "the machine differs: " + strings.Join(what, "; ")
		return c
	}
	oldSamples, newSamples := headlineSamples(old), headlineSamples(new)
	type pair struct {
		key              sampleKey
		oldCell, newCell Cell
		p                float64
	}
	var pairs []pair
	for _, k := range newSamples.order {
		ov, ok := oldSamples.values[k]
		if !ok {
			continue
		}
		nv := newSamples.values[k]
		assumption := new.Units.GetAssumption(k.unit)
		cell := func(vs []float64) Cell {
			sample := benchmath.NewSample(slices.Clone(vs), &benchmath.DefaultThresholds)
			return Cell{Sample: sample, Summary: assumption.Summary(sample, Confidence), Drift: drift(vs)}
		}
		oc, nc := cell(ov), cell(nv)
		cmp := assumption.Compare(oc.Sample, nc.Sample)
		pairs = append(pairs, pair{k, oc, nc, cmp.P})
		if cmp.P < Alpha {
			c.Uncorrected++
		}
	}
	c.Compared = len(pairs)
	ps := make([]float64, len(pairs))
	for i, p := range pairs {
		ps[i] = p.p
	}
	for i, adj := range holm(ps) {
		p := pairs[i]
		oldMed, newMed := p.oldCell.Summary.Center, p.newCell.Summary.Center
		// A change holds beyond drift when the two medians, each moved
		// by its own run's drift towards the other, still differ.
		lower, higher := p.oldCell, p.newCell
		if newMed < oldMed {
			lower, higher = p.newCell, p.oldCell
		}
		if adj >= Alpha || oldMed == 0 || !beyondDrift(lower, higher, false) {
			continue
		}
		ch := Change{Name: p.key.name, Unit: p.key.unit, Old: oldMed, New: newMed, Delta: newMed/oldMed - 1, P: adj}
		worse := ch.Delta > 0
		if higherIsBetter(new.Units, p.key.unit) {
			worse = ch.Delta < 0
		}
		if worse {
			c.Regressions = append(c.Regressions, ch)
		} else if ch.Delta != 0 {
			c.Improvements = append(c.Improvements, ch)
		}
	}
	bySize := func(a, b Change) int { return cmpFloat(abs(b.Delta), abs(a.Delta)) }
	slices.SortStableFunc(c.Regressions, bySize)
	slices.SortStableFunc(c.Improvements, bySize)
	return c
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
func headlineSamples(raw *Raw) samples {
	s := samples{values: make(map[sampleKey][]float64)}
	headline := make(map[string]string) // row name → headline unit
	for _, g := range Summarize(raw).Groups {
		for _, r := range g.Rows {
			headline[r.Name] = r.Headline
		}
	}
	for _, res := range raw.Results {
		n := splitName(res.Name)
		unit := headline[n.row]
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

// headlineUnits lists the distinct headline units of a summary.
func headlineUnits(s *Summary) []string {
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

// compareWithPrevious finds the previous run in rawDir and compares it
// with current, running benchstat on the two files for the page.
func compareWithPrevious(ctx context.Context, bs *benchstat, rawDir string, current *Raw, currentSummary *Summary) (*Comparison, error) {
	prev, why := FindPrevious(rawDir, current)
	if prev == "" {
		return &Comparison{Skipped: why}, nil
	}
	old, err := ReadRaw(prev)
	if err != nil {
		return nil, err
	}
	c := CompareRuns(old, current)
	if c.Skipped != "" {
		return c, nil
	}
	var quoted []string
	for _, u := range headlineUnits(currentSummary) {
		quoted = append(quoted, strconv.Quote(u))
	}
	if len(quoted) == 0 {
		return c, nil
	}
	oldPath, newPath := absOr(prev), absOr(current.Path)
	c.Benchstat, err = bs.run(ctx,
		"-table", "", "-filter", ".unit:("+strings.Join(quoted, " OR ")+")",
		"previous="+oldPath, "current="+newPath)
	return c, err
}

func absOr(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
