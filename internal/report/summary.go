package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// Statistics of the summary tables: the same as benchstat's defaults.
const (
	Confidence = 0.95 // confidence level of the intervals around medians
	Alpha      = 0.05 // significance level of the Mann-Whitney U test
)

// perCallUnits are the testing package's per-call metrics. They are in
// the benchstat tables; the summary shows per-unit figures instead.
var perCallUnits = []string{"sec/op", "B/op", "allocs/op"}

// implKey is the name key that says which strategy ran a benchmark.
const implKey = "impl"

// A Summary is a raw file digested per group: for each row (a leaf
// benchmark, strategy left out) and each strategy, the headline figure
// with its confidence interval and the counters that explain it.
type Summary struct {
	// Groups holds the groups that have data, in page order.
	Groups []GroupSummary
}

// A GroupSummary is one group's table.
type GroupSummary struct {
	Group Group
	// Strategies are the columns: the strategies the run knew (its knobs
	// lines) when the group has data from any of them, then any other
	// impl= values in order of appearance.
	Strategies []string
	Rows       []Row
	// Warnings are the statistical warnings of the group's figures
	// (too few samples for an interval or a test), each once.
	Warnings []string
}

// A Row is one leaf benchmark across strategies.
type Row struct {
	// Name is the benchmark's name without "Benchmark", the impl key and
	// the GOMAXPROCS suffix when that is the run's: "Inject/producers=4/tasks=12800".
	Name string
	// Base is the top-level name: "Inject".
	Base string
	// Keys are the name's key=value parts other than impl, in order.
	Keys []KeyValue
	// Headline is the unit that stands for the row ("sec/task", "B/s"),
	// or "" when the row has none of its group's headline units.
	Headline string
	// Metrics are the row's metrics, headline first, then the others in
	// order of appearance; the per-call metrics (sec/op, B/op,
	// allocs/op) are left to benchstat's tables.
	Metrics []Metric
	// Verdict compares the strategies on the headline.
	Verdict Verdict
	// PerCall is the time per workload call (sec/op), for notes on the
	// harness overhead; the tables leave it to benchstat.
	PerCall Metric
}

// A KeyValue is one key=value part of a benchmark name.
type KeyValue struct{ Key, Value string }

// Metric returns the row's metric in unit, or nil.
func (r *Row) Metric(unit string) *Metric {
	for i := range r.Metrics {
		if r.Metrics[i].Unit == unit {
			return &r.Metrics[i]
		}
	}
	return nil
}

// Key returns the value of a name key, or "".
func (r *Row) Key(key string) string {
	for _, kv := range r.Keys {
		if kv.Key == key {
			return kv.Value
		}
	}
	return ""
}

// A Metric is one unit of a row, one cell per strategy column.
type Metric struct {
	Unit  string // tidied, as benchstat prints it: "sec/task", "wakes/round"
	Cells []Cell
}

// A Cell is one strategy's figure. A cell with no Sample is n/a.
type Cell struct {
	Sample  *benchmath.Sample
	Summary benchmath.Summary
	// Skip is why the strategy has no data here, when it said.
	Skip string
}

// OK reports whether the cell has data.
func (c Cell) OK() bool { return c.Sample != nil && len(c.Sample.Values) > 0 }

// VerdictKind classifies a row's comparison of strategies.
type VerdictKind uint8

const (
	// NoData: no strategy has the headline metric.
	NoData VerdictKind = iota
	// Alone: one strategy has data; there is nothing to compare.
	Alone
	// NoDifference: the best median is not significantly better than
	// every other strategy's.
	NoDifference
	// Winner: the best strategy is significantly better (U test,
	// p < Alpha) than every other strategy.
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
	// P is the largest p-value of Best against the others.
	P float64
}

// higherIsBetter reports the direction of a unit: rates ("…/s") are
// better higher, everything else (time, bytes, counts per unit) lower,
// unless the file's unit metadata says otherwise.
func higherIsBetter(units benchfmt.UnitMetadataMap, unit string) bool {
	if b := units.GetBetter(unit); b != 0 {
		return b > 0
	}
	return strings.HasSuffix(unit, "/s")
}

// rowID identifies a row within the file: base name and keys.
type rowID string

// Summarize digests a raw file into per-group tables.
func Summarize(raw *Raw) *Summary {
	type cellKey struct {
		row  rowID
		impl string
		unit string
	}
	values := make(map[cellKey][]float64)
	perCall := make(map[cellKey][]float64)
	rows := make(map[rowID]*Row)
	rowOrder := make(map[string][]rowID) // per group ID
	impls := make(map[string][]string)   // per group ID, in order of appearance
	units := make(map[rowID][]string)

	gomaxprocs := raw.Provenance.Get(KeyGOMAXPROCS)
	for _, res := range raw.Results {
		name := splitName(res.Name, gomaxprocs)
		g := GroupOf(name.base)
		id := rowID(name.row)
		if rows[id] == nil {
			rows[id] = &Row{Name: name.row, Base: name.base, Keys: name.keys}
			rowOrder[g.ID] = append(rowOrder[g.ID], id)
		}
		if !slices.Contains(impls[g.ID], name.impl) {
			impls[g.ID] = append(impls[g.ID], name.impl)
		}
		for _, v := range res.Values {
			if slices.Contains(perCallUnits, v.Unit) {
				if v.Unit == "sec/op" {
					k := cellKey{id, name.impl, v.Unit}
					perCall[k] = append(perCall[k], v.Value)
				}
				continue
			}
			k := cellKey{id, name.impl, v.Unit}
			values[k] = append(values[k], v.Value)
			if !slices.Contains(units[id], v.Unit) {
				units[id] = append(units[id], v.Unit)
			}
		}
	}

	// A strategy a group's benchmarks skipped still gets its column, so
	// the skip reads n/a with its reason.
	for skipped := range raw.Skips {
		base, rest, _ := strings.Cut(skipped, "/")
		g := GroupOf(base)
		for _, part := range strings.Split(rest, "/") {
			if impl, ok := strings.CutPrefix(part, implKey+"="); ok && !slices.Contains(impls[g.ID], impl) {
				impls[g.ID] = append(impls[g.ID], impl)
			}
		}
	}

	known := raw.Provenance.Strategies()
	s := &Summary{}
	for _, g := range Groups() {
		ids := rowOrder[g.ID]
		if len(ids) == 0 {
			continue
		}
		gs := GroupSummary{Group: g, Strategies: columns(known, impls[g.ID])}
		var warnings []string
		for _, id := range ids {
			row := rows[id]
			row.Headline = g.headlineOf(units[id])
			row.PerCall = Metric{Unit: "sec/op", Cells: make([]Cell, len(gs.Strategies))}
			for i, impl := range gs.Strategies {
				if vs := perCall[cellKey{id, impl, "sec/op"}]; len(vs) > 0 {
					sample := benchmath.NewSample(slices.Clone(vs), &benchmath.DefaultThresholds)
					row.PerCall.Cells[i] = Cell{Sample: sample, Summary: benchmath.AssumeNothing.Summary(sample, Confidence)}
				}
			}
			ordered := units[id]
			if row.Headline != "" {
				ordered = append([]string{row.Headline}, slices.DeleteFunc(slices.Clone(ordered), func(u string) bool { return u == row.Headline })...)
			}
			for _, unit := range ordered {
				m := Metric{Unit: unit, Cells: make([]Cell, len(gs.Strategies))}
				assumption := raw.Units.GetAssumption(unit)
				for i, impl := range gs.Strategies {
					vs := values[cellKey{id, impl, unit}]
					if len(vs) == 0 {
						m.Cells[i].Skip = skipReason(raw.Skips, row, impl)
						continue
					}
					sample := benchmath.NewSample(slices.Clone(vs), &benchmath.DefaultThresholds)
					m.Cells[i] = Cell{Sample: sample, Summary: assumption.Summary(sample, Confidence)}
					for _, w := range m.Cells[i].Summary.Warnings {
						warnings = appendUnique(warnings, w.Error())
					}
				}
				row.Metrics = append(row.Metrics, m)
			}
			if row.Headline != "" {
				row.Verdict = judge(row.Metrics[0], raw.Units.GetAssumption(row.Headline), higherIsBetter(raw.Units, row.Headline))
				if row.Verdict.Kind == NoDifference {
					for _, w := range headlineTestWarnings(row.Metrics[0], row.Verdict, raw.Units.GetAssumption(row.Headline)) {
						warnings = appendUnique(warnings, w)
					}
				}
			}
			gs.Rows = append(gs.Rows, *row)
		}
		gs.Warnings = warnings
		s.Groups = append(s.Groups, gs)
	}
	return s
}

// columns orders a group's strategy columns: the strategies the run knew
// that have data or a skip record here, in the run's order, then the
// other impl values seen (such as the harness's impl=none). A strategy the
// group's benchmarks never run (an I/O-only variant in the dispatch group)
// gets no column rather than a column of n/a.
func columns(known, seen []string) []string {
	var cols []string
	for _, s := range known {
		if slices.Contains(seen, s) {
			cols = append(cols, s)
		}
	}
	for _, s := range seen {
		if !slices.Contains(cols, s) {
			cols = append(cols, s)
		}
	}
	return cols
}

// judge finds the best strategy on a headline metric and whether it is
// significantly better than every other.
func judge(m Metric, assumption benchmath.Assumption, higher bool) Verdict {
	var have []int
	for i, c := range m.Cells {
		if c.OK() {
			have = append(have, i)
		}
	}
	v := Verdict{RunnerUp: -1}
	switch len(have) {
	case 0:
		return v
	case 1:
		v.Kind, v.Best = Alone, have[0]
		return v
	}
	slices.SortStableFunc(have, func(a, b int) int {
		ca, cb := m.Cells[a].Summary.Center, m.Cells[b].Summary.Center
		if higher {
			ca, cb = -ca, -cb
		}
		switch {
		case ca < cb:
			return -1
		case ca > cb:
			return 1
		}
		return 0
	})
	v.Best, v.RunnerUp = have[0], have[1]
	best, next := m.Cells[v.Best].Summary.Center, m.Cells[v.RunnerUp].Summary.Center
	switch {
	case best == next:
		v.Factor = 1
	case higher && next != 0:
		v.Factor = best / next
	case !higher && best != 0:
		v.Factor = next / best
	default:
		v.Factor = math.Inf(1)
	}
	v.Kind = Winner
	for _, other := range have[1:] {
		cmp := assumption.Compare(m.Cells[v.Best].Sample, m.Cells[other].Sample)
		v.P = max(v.P, cmp.P)
		if cmp.P >= cmp.Alpha {
			v.Kind = NoDifference
		}
	}
	return v
}

// headlineTestWarnings returns the comparison warnings (such as too few
// samples to detect a difference) behind a NoDifference verdict.
func headlineTestWarnings(m Metric, v Verdict, assumption benchmath.Assumption) []string {
	var ws []string
	for i, c := range m.Cells {
		if i == v.Best || !c.OK() {
			continue
		}
		for _, w := range assumption.Compare(m.Cells[v.Best].Sample, c.Sample).Warnings {
			ws = append(ws, w.Error())
		}
	}
	return ws
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// skipReason finds why impl has no data for row: a skip of the leaf, of
// the strategy under that benchmark, or of the whole benchmark.
func skipReason(skips map[string]string, row *Row, impl string) string {
	var keys strings.Builder
	for _, kv := range row.Keys {
		fmt.Fprintf(&keys, "/%s=%s", kv.Key, kv.Value)
	}
	for _, name := range []string{
		row.Base + "/" + implKey + "=" + impl + keys.String(),
		row.Base + "/" + implKey + "=" + impl,
		row.Base,
	} {
		if reason, ok := skips[name]; ok {
			if reason == "" {
				return "skipped"
			}
			return reason
		}
	}
	return ""
}

// A splitBenchName is a result's name taken apart.
type splitBenchName struct {
	base string     // "Inject"
	impl string     // "goroutine"; "" when the name has no impl key
	keys []KeyValue // other key=value parts
	row  string     // base and keys, with the GOMAXPROCS suffix if unusual
}

// splitName takes a benchmark name apart. The "-N" GOMAXPROCS suffix is
// dropped when it is the run's gomaxprocs (it is in the provenance);
// otherwise it stays in the row name, so runs at different GOMAXPROCS
// never share a row.
func splitName(name benchfmt.Name, gomaxprocs string) splitBenchName {
	base, parts := name.Parts()
	n := splitBenchName{base: string(base)}
	row := []string{string(base)}
	for _, p := range parts {
		part := string(p)
		switch {
		case strings.HasPrefix(part, "-"):
			if part[1:] != gomaxprocs {
				row[len(row)-1] += part
			}
		case strings.HasPrefix(part, "/"+implKey+"="):
			n.impl = strings.TrimPrefix(part, "/"+implKey+"=")
		default:
			k, v, ok := strings.Cut(part[1:], "=")
			if !ok {
				k, v = "", part[1:]
			}
			n.keys = append(n.keys, KeyValue{k, v})
			row = append(row, part[1:])
		}
	}
	n.row = strings.Join(row, "/")
	return n
}
