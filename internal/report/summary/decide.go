package summary

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// Deciding a row.
//
// A row names a best strategy only when a reader could stake a decision
// on it. Two tests, both computed from the run:
//
//  1. Significance, corrected for the whole page. The best median is
//     compared with every other strategy's by the Mann-Whitney U test
//     (benchmath.AssumeNothing, benchstat's own test). A page makes a few
//     hundred such comparisons; at α = 0.05 each, a dozen would come out
//     "significant" by chance alone. So the p-values of all the page's
//     comparisons form one family, corrected by Holm-Bonferroni: sorted
//     ascending, the i-th of m must be below α/(m−i+1), and once one
//     fails every larger one fails too. That keeps the chance of any
//     false winner on the page below α, whatever the dependence between
//     the comparisons (they share samples), and it is uniformly more
//     powerful than plain Bonferroni.
//  2. A margin beyond the run's own drift. The U test asks whether two
//     samples differ within this run; two runs of the same commit differ
//     by more than that, because the machine changes over minutes (other
//     tenants, CPU frequency, caches). So each cell measures its drift
//     (see drift): how far its median moved between the first and the
//     second half of the run. The best strategy wins only if its median,
//     moved by its drift towards each other strategy, stays ahead of that
//     strategy's median moved by its own drift.
//
// A row that passes (1) but not (2) is "within drift"; one that fails (1)
// shows no difference ("~"). A row where a strategy used more than its
// CPU budget is flagged and not tested at all (see placement.go).
//
// The same tests give every ranked row its leading group: the best
// strategy and every other that does not pass both (1) and (2) against
// it. A row with no single winner can still have a leading group smaller
// than the row (two variants of one strategy tied, far ahead of the
// rest), and then the gap to the best strategy outside the group is the
// row's margin.

// VerdictKind classifies a row's comparison of strategies.
type VerdictKind uint8

const (
	// NoData: no strategy has the headline metric.
	NoData VerdictKind = iota
	// Alone: one strategy has data; there is nothing to compare.
	Alone
	// Flagged: a strategy used more than the row's CPU budget; the row is
	// not ranked.
	Flagged
	// NoDifference: the best median is not significantly better than
	// every other strategy's after the page-wide correction.
	NoDifference
	// WithinDrift: significantly better, but by less than the run's own
	// drift.
	WithinDrift
	// Winner: the best strategy is significantly better than every other
	// after the correction, by more than the drift.
	Winner
)

// A Verdict is the outcome of comparing a row's strategies.
type Verdict struct {
	Kind VerdictKind
	// Best is the column with the best median (for Alone, the only one).
	Best int
	// RunnerUp is the column with the second best median, or -1.
	RunnerUp int
	// Factor is how many times better Best is than RunnerUp, ≥ 1.
	Factor float64
	// P is the largest Holm-adjusted p-value of Best against the others;
	// 1 when the row was not tested.
	P float64
	// Leaders are the leading group, best median first: Best and every
	// column not shown to be worse than it by both tests. Empty when the
	// row was not ranked (NoData, Flagged).
	Leaders []int
	// Next is the best column outside the leading group, or -1 when every
	// strategy leads; Margin is how many times better Best is than Next.
	Next   int
	Margin float64
}

// Split reports whether the leading group leaves some strategy out: the
// row tells its leaders from the rest.
func (v Verdict) Split() bool { return v.Next >= 0 && len(v.Leaders) > 0 }

// Leads reports whether column i is in the leading group of a split row.
func (v Verdict) Leads(i int) bool { return v.Split() && slices.Contains(v.Leaders, i) }

// Decided reports whether the verdict names a winner.
func (v Verdict) Decided() bool { return v.Kind == Winner }

// Text is the verdict as a table's "best" column shows it, given the
// row's strategy columns: "a (3.00× over b)"; a leading group and its margin
// over the next strategy, "a, b (93× over c)"; "~", "within drift",
// "flagged", or "—" when there is nothing to compare.
func (v Verdict) Text(columns []string) string {
	if v.Kind != Winner && v.Kind != Flagged && v.Split() {
		var names []string
		for _, i := range v.Leaders {
			names = append(names, ColumnLabel(columns[i]))
		}
		return fmt.Sprintf("%s (%s over %s)", strings.Join(names, ", "), FormatFactor(v.Margin), ColumnLabel(columns[v.Next]))
	}
	switch v.Kind {
	case Winner:
		if math.IsInf(v.Factor, 1) {
			return ColumnLabel(columns[v.Best])
		}
		return fmt.Sprintf("%s (%s over %s)", ColumnLabel(columns[v.Best]), FormatFactor(v.Factor), ColumnLabel(columns[v.RunnerUp]))
	case NoDifference:
		return "~"
	case WithinDrift:
		return "within drift"
	case Flagged:
		return "flagged"
	}
	return "—"
}

// ColumnLabel names a strategy column; results whose names have no impl
// key share a column of their own.
func ColumnLabel(strategy string) string {
	if strategy == "" {
		return "(no impl key)"
	}
	return strategy
}

// FormatFactor formats a ratio as "3.2×".
func FormatFactor(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f×", x)
	case x >= 10:
		return fmt.Sprintf("%.1f×", x)
	}
	return fmt.Sprintf("%.2f×", x)
}

// drift is the relative difference between the medians of the first and
// the second half of values, which are in repetition order (the raw file
// holds one result per leaf per repetition, repetitions in time order),
// divided by the median of all. With an odd count the middle value is
// left out. A half against the other half is one run against a later
// run of the same commit, each with half the samples: it shows what
// changes between runs, slow changes of the machine included, where an
// odd/even split (both halves spread over the same minutes) would
// average those away. Half-size medians also move more than full ones,
// so the figure errs on the side of calling too little. Fewer than four
// values give +Inf: no drift can be measured, so nothing is decided.
func drift(values []float64) float64 {
	n := len(values)
	if n < 4 {
		return math.Inf(1)
	}
	half := n / 2
	first, second := median(values[:half]), median(values[n-half:])
	all := median(values)
	switch {
	case first == second:
		return 0
	case all == 0:
		return math.Inf(1)
	}
	return math.Abs(first-second) / math.Abs(all)
}

// median of values, which it does not reorder.
func median(values []float64) float64 {
	s := slices.Clone(values)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// A uTest is one comparison of a row's best strategy with another.
type uTest struct {
	group    int // index in Summary.Groups
	row      *Row
	other    int // column
	p        float64
	warnings []string
}

// decide gives every row of s its verdict: it ranks each unflagged row's
// strategies by their headline medians, tests the best against every
// other, corrects all the page's tests together and checks the margins
// against the drift. It returns the number of tests made: the size of
// the corrected family.
func decide(s *Summary, units benchfmt.UnitMetadataMap) int {
	var tests []uTest
	for gi := range s.Groups {
		g := &s.Groups[gi]
		for ri := range g.Rows {
			tests = append(tests, rankRow(gi, &g.Rows[ri], units)...)
		}
	}
	ps := make([]float64, len(tests))
	for i, t := range tests {
		ps[i] = t.p
	}
	adjusted := holm(ps)
	byRow := make(map[*Row][]int) // tests per row, in order
	var rows []*Row
	for i, t := range tests {
		if byRow[t.row] == nil {
			rows = append(rows, t.row)
		}
		byRow[t.row] = append(byRow[t.row], i)
	}
	for _, r := range rows {
		judge(s, r, tests, byRow[r], adjusted, higherIsBetter(units, r.Headline))
	}
	return len(tests)
}

// rankRow gives a row its provisional verdict and returns the U tests
// of its best strategy against every other, if it is to be tested.
func rankRow(group int, r *Row, units benchfmt.UnitMetadataMap) []uTest {
	r.Verdict = Verdict{RunnerUp: -1, Next: -1, P: 1}
	if r.Headline == "" {
		return nil
	}
	r.Verdict = rank(r.Metrics[0], higherIsBetter(units, r.Headline))
	if r.Verdict.Kind != NoData && r.Flagged() {
		r.Verdict.Kind, r.Verdict.Leaders = Flagged, nil
	}
	if r.Verdict.Kind != NoDifference {
		return nil
	}
	assumption := units.GetAssumption(r.Headline)
	best := r.Metrics[0].Cells[r.Verdict.Best]
	var tests []uTest
	for i, c := range r.Metrics[0].Cells {
		if i == r.Verdict.Best || !c.Ranked() {
			continue
		}
		cmp := assumption.Compare(best.Sample, c.Sample)
		t := uTest{group: group, row: r, other: i, p: cmp.P}
		for _, w := range cmp.Warnings {
			t.warnings = append(t.warnings, w.Error())
		}
		tests = append(tests, t)
	}
	return tests
}

// judge settles a tested row's verdict from its tests' Holm-adjusted
// p-values and the drift; a row without a significant difference passes
// its tests' warnings on to its group.
func judge(s *Summary, r *Row, tests []uTest, mine []int, adjusted []float64, higher bool) {
	m := r.Metrics[0]
	r.Verdict.P = 0
	significant, beyond := true, true
	behind := make(map[int]bool) // columns shown worse than Best by both tests
	for _, i := range mine {
		r.Verdict.P = max(r.Verdict.P, adjusted[i])
		sig := adjusted[i] < Alpha
		out := beyondDrift(m.Cells[r.Verdict.Best], m.Cells[tests[i].other], higher)
		significant, beyond = significant && sig, beyond && out
		behind[tests[i].other] = sig && out
	}
	r.Verdict.Leaders = slices.DeleteFunc(r.Verdict.Leaders, func(c int) bool { return behind[c] })
	r.Verdict.Next = -1
	for _, c := range byMedian(m, higher) {
		if behind[c] {
			r.Verdict.Next = c
			r.Verdict.Margin = factor(m.Cells[r.Verdict.Best].Summary.Center, m.Cells[c].Summary.Center, higher)
			break
		}
	}
	switch {
	case !significant:
		r.Verdict.Kind = NoDifference
		for _, i := range mine {
			g := &s.Groups[tests[i].group]
			for _, w := range tests[i].warnings {
				g.Warnings = appendUnique(g.Warnings, w)
			}
		}
	case !beyond:
		r.Verdict.Kind = WithinDrift
	default:
		r.Verdict.Kind = Winner
	}
}

// rank finds the best and second best strategies on a headline metric.
// Kind is NoData, Alone, or (provisionally) NoDifference, with every
// strategy with data leading until the tests say otherwise.
func rank(m Metric, higher bool) Verdict {
	have := byMedian(m, higher)
	v := Verdict{RunnerUp: -1, Next: -1, P: 1, Leaders: have}
	switch len(have) {
	case 0:
		return v
	case 1:
		v.Kind, v.Best = Alone, have[0]
		return v
	}
	v.Kind, v.Best, v.RunnerUp = NoDifference, have[0], have[1]
	v.Factor = factor(m.Cells[v.Best].Summary.Center, m.Cells[v.RunnerUp].Summary.Center, higher)
	return v
}

// byMedian lists the ranked columns of m (strategies with data, not
// anchors), best median first.
func byMedian(m Metric, higher bool) []int {
	var have []int
	for i, c := range m.Cells {
		if c.Ranked() {
			have = append(have, i)
		}
	}
	slices.SortStableFunc(have, func(a, b int) int {
		ca, cb := m.Cells[a].Summary.Center, m.Cells[b].Summary.Center
		if higher {
			ca, cb = -ca, -cb
		}
		return cmp.Compare(ca, cb)
	})
	return have
}

// factor is how many times better best is than other, ≥ 1 when best is
// the better one; +Inf when the ratio has a zero where it cannot.
func factor(best, other float64, higher bool) float64 {
	switch {
	case best == other:
		return 1
	case higher && other != 0:
		return best / other
	case !higher && best != 0:
		return other / best
	}
	return math.Inf(1)
}

// beyondDrift reports whether best stays ahead of other when each median
// moves by its own drift towards the other.
func beyondDrift(best, other Cell, higher bool) bool {
	b, o := best.Summary.Center, other.Summary.Center
	if math.IsInf(best.Drift, 0) || math.IsInf(other.Drift, 0) {
		return false
	}
	if higher {
		return b*(1-best.Drift) > o*(1+other.Drift)
	}
	return b*(1+best.Drift) < o*(1-other.Drift)
}

// holm returns the Holm-Bonferroni adjusted p-values of ps, in the same
// order: sorted ascending, the i-th (from 0) of m is (m−i)·p, made
// monotone and capped at 1. A hypothesis is rejected at level α when its
// adjusted p-value is below α.
func holm(ps []float64) []float64 {
	m := len(ps)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ps[a], ps[b]) })
	adjusted := make([]float64, m)
	running := 0.0
	for rank, i := range order {
		running = max(running, min(1, float64(m-rank)*ps[i]))
		adjusted[i] = running
	}
	return adjusted
}

// MinRunsFor is the fewest runs per strategy with which the U test can
// reach a p-value below alpha: two samples of n, completely separated,
// give p = 2/C(2n, n). It is 0 when alpha is not positive.
func MinRunsFor(alpha float64) int {
	if alpha <= 0 {
		return 0
	}
	for n := 1; n < 1000; n++ {
		// C(2n, n) grows fast; work in logarithms.
		lg, _ := math.Lgamma(float64(2*n + 1))
		ln, _ := math.Lgamma(float64(n + 1))
		if math.Log(2)-(lg-2*ln) < math.Log(alpha) {
			return n
		}
	}
	return 1000
}
