package summary

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"

	"iostrat/internal/report/raw"
)

// Statistics of the summary tables (see decide.go).
const (
	Confidence = 0.95 // confidence level of the intervals around medians, as benchstat's
	Alpha      = 0.05 // family-wise error rate of all the U tests of a page or comparison, Holm-Bonferroni corrected
)

// perCallUnits are the testing package's per-call metrics. They are in
// the benchstat tables; the summary shows per-unit figures instead.
var perCallUnits = []string{"sec/op", "B/op", "allocs/op"}

// A Summary is a raw file digested per group: for each row (a leaf
// benchmark, strategy left out) and each strategy, the headline figure
// with its confidence interval and the counters that explain it.
type Summary struct {
	// Groups holds the groups that have data, in page order.
	Groups []GroupSummary
	// Placement says where the results ran, as they observed it (see
	// DescribePlacement).
	Placement string
	// Tests is how many U tests the verdicts rest on: the family the
	// Holm-Bonferroni correction covers.
	Tests int
	// Overview is the page's opening table (see overview.go).
	Overview *Overview
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
	// the GOMAXPROCS suffix: "Inject/producers=4/tasks=12800".
	Name string
	// CPUs is the row's CPU budget, its GOMAXPROCS: the name's "-N"
	// suffix, 1 without one. Rows at different budgets are different rows.
	CPUs int
	// Base is the top-level name: "Inject".
	Base string
	// Keys are the name's key=value parts other than impl, in order.
	Keys []KeyValue
	// Headline is the unit that stands for the row ("sec/task", "B/s"),
	// or "" when the row has none of its group's headline units.
	Headline string
	// Beside is the unit shown beside the headline (see Group.Beside), or "".
	Beside string
	// Metrics are the row's metrics, headline first, then the others in
	// order of appearance; the per-call metrics (sec/op, B/op,
	// allocs/op) are left to benchstat's tables.
	Metrics []Metric
	// Verdict compares the strategies on the headline.
	Verdict Verdict
	// PerCall is the time per workload call (sec/op), for notes on the
	// harness overhead; the tables leave it to benchstat.
	PerCall Metric
	// Over says, per strategy column, why that strategy's results used
	// more than the row's budget (see placement.go); nil when they kept
	// to it. A row with any is flagged, not ranked.
	Over [][]string
}

// Label names the row with its budget: "PingPong/mode=cross at cpus=2".
func (r *Row) Label() string { return fmt.Sprintf("%s at cpus=%d", r.Name, r.CPUs) }

// Flagged reports whether a strategy in the row used more than its budget.
func (r *Row) Flagged() bool {
	return slices.ContainsFunc(r.Over, func(why []string) bool { return len(why) > 0 })
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
	// Drift is how far the median moved within the run: see drift.
	Drift float64
	// Skip is why the strategy has no data here, when it said.
	Skip string
	// Anchor: the column is an anchor (IsAnchor), shown for reference and
	// never ranked.
	Anchor bool
}

// OK reports whether the cell has data.
func (c Cell) OK() bool { return c.Sample != nil && len(c.Sample.Values) > 0 }

// Ranked reports whether the cell takes part in a row's verdict: it has
// data and is a strategy's, not an anchor's.
func (c Cell) Ranked() bool { return c.OK() && !c.Anchor }

// AnchorPrefix starts the impl value of every anchor's column.
const AnchorPrefix = "anchor-"

// IsAnchor reports whether a column is an anchor's (impl=anchor-<name>):
// an outside reference run beside the strategies, not a strategy.
func IsAnchor(impl string) bool { return strings.HasPrefix(impl, AnchorPrefix) }

// higherIsBetter reports the direction of a unit: rates ("…/s") are
// better higher, everything else (time, bytes, counts per unit) lower,
// unless the file's unit metadata says otherwise.
func higherIsBetter(units benchfmt.UnitMetadataMap, unit string) bool {
	if b := units.GetBetter(unit); b != 0 {
		return b > 0
	}
	return strings.HasSuffix(unit, "/s")
}

// Summarize digests a raw file into per-group tables and decides each
// row (see decide.go).
func Summarize(f *raw.File) *Summary {
	c := newCollector()
	for _, res := range f.Results {
		c.add(res)
	}
	c.addSkipped(f.Skips)
	s := &Summary{Placement: DescribePlacement(f.Results)}
	known := f.Provenance.Strategies()
	for _, g := range Groups() {
		if len(c.order[g.ID]) > 0 {
			s.Groups = append(s.Groups, c.group(g, known, f))
		}
	}
	s.Tests = decide(s, f.Units)
	s.Overview = NewOverview(s, known)
	return s
}

// A cellKey is one strategy's values of one unit in one row; unit ""
// holds why the strategy's results used more than their budget.
type cellKey struct {
	row  rowKey
	impl string
	unit string
}

// A collector gathers a file's values per row, strategy and unit, in
// file order: one value per repetition.
type collector struct {
	names   *names
	values  map[cellKey][]float64
	perCall map[cellKey][]float64 // sec/op only
	over    map[cellKey][]string
	rows    map[rowKey]*Row
	order   map[string][]rowKey // rows per group ID, in order of appearance
	impls   map[string][]string // strategies per group ID, in order of appearance
	units   map[rowKey][]string // units per row, in order of appearance
}

func newCollector() *collector {
	return &collector{
		names:   newNames(),
		values:  make(map[cellKey][]float64),
		perCall: make(map[cellKey][]float64),
		over:    make(map[cellKey][]string),
		rows:    make(map[rowKey]*Row),
		order:   make(map[string][]rowKey),
		impls:   make(map[string][]string),
		units:   make(map[rowKey][]string),
	}
}

// add files one result under its row and strategy.
func (c *collector) add(res *benchfmt.Result) {
	name := c.names.of(res)
	g := GroupOf(name.base)
	id := name.row
	if c.rows[id] == nil {
		c.rows[id] = &Row{Name: id.name, CPUs: id.cpus, Base: name.base, Keys: name.keys}
		c.order[g.ID] = append(c.order[g.ID], id)
	}
	c.impls[g.ID] = appendUnique(c.impls[g.ID], name.impl)
	for _, why := range placementOf(res, id.cpus).overBudget() {
		k := cellKey{id, name.impl, ""}
		c.over[k] = appendUnique(c.over[k], why)
	}
	for _, v := range res.Values {
		k := cellKey{id, name.impl, v.Unit}
		switch {
		case slices.Contains(perCallUnits, v.Unit):
			if v.Unit == "sec/op" {
				c.perCall[k] = append(c.perCall[k], v.Value)
			}
		case slices.Contains(placementUnits, v.Unit) && (v.Unit != UnitCPUUtil || !slices.Contains(socketGroups, g.ID)):
			// Where the result ran, not what it did.
		default:
			c.values[k] = append(c.values[k], v.Value)
			c.units[id] = appendUnique(c.units[id], v.Unit)
		}
	}
}

// addSkipped gives a strategy a group's benchmarks skipped its column,
// so the skip reads n/a with its reason.
func (c *collector) addSkipped(skips map[string]string) {
	for skipped := range skips {
		name := c.names.ofName(skipped)
		if name.impl == "" {
			continue
		}
		g := GroupOf(name.base)
		c.impls[g.ID] = appendUnique(c.impls[g.ID], name.impl)
	}
}

// group builds a group's table from what was collected; known are the
// strategies the run knew, in column order.
func (c *collector) group(g Group, known []string, f *raw.File) GroupSummary {
	gs := GroupSummary{Group: g, Strategies: columns(known, c.impls[g.ID])}
	for _, id := range c.order[g.ID] {
		row := c.rows[id]
		row.Headline = g.headlineOf(c.units[id])
		row.Beside = g.besideOf(c.units[id], row.Headline)
		row.PerCall = Metric{Unit: "sec/op", Cells: make([]Cell, len(gs.Strategies))}
		row.Over = make([][]string, len(gs.Strategies))
		for i, impl := range gs.Strategies {
			row.Over[i] = c.over[cellKey{id, impl, ""}]
			if vs := c.perCall[cellKey{id, impl, "sec/op"}]; len(vs) > 0 {
				row.PerCall.Cells[i] = newCell(vs, benchmath.AssumeNothing)
			}
			row.PerCall.Cells[i].Anchor = IsAnchor(impl)
		}
		for _, unit := range headlineFirst(c.units[id], row.Headline) {
			row.Metrics = append(row.Metrics, c.metric(&gs, row, unit, f))
		}
		gs.Rows = append(gs.Rows, *row)
	}
	return gs
}

// metric builds one unit of a row, a cell per strategy column, and adds
// the cells' statistical warnings to the group's.
func (c *collector) metric(gs *GroupSummary, row *Row, unit string, f *raw.File) Metric {
	m := Metric{Unit: unit, Cells: make([]Cell, len(gs.Strategies))}
	id := rowKey{row.Name, row.CPUs}
	for i, impl := range gs.Strategies {
		vs := c.values[cellKey{id, impl, unit}]
		if len(vs) == 0 {
			m.Cells[i].Skip = skipReason(f.Skips, row, impl)
			m.Cells[i].Anchor = IsAnchor(impl)
			continue
		}
		m.Cells[i] = newCell(vs, f.Units.GetAssumption(unit))
		m.Cells[i].Anchor = IsAnchor(impl)
		for _, w := range m.Cells[i].Summary.Warnings {
			gs.Warnings = appendUnique(gs.Warnings, w.Error())
		}
	}
	return m
}

// newCell summarizes values, in repetition order, under assumption.
func newCell(values []float64, assumption benchmath.Assumption) Cell {
	sample := benchmath.NewSample(slices.Clone(values), &benchmath.DefaultThresholds)
	return Cell{Sample: sample, Summary: assumption.Summary(sample, Confidence), Drift: drift(values)}
}

// headlineFirst orders a row's units with its headline first.
func headlineFirst(units []string, headline string) []string {
	if headline == "" {
		return units
	}
	return append([]string{headline}, slices.DeleteFunc(slices.Clone(units), func(u string) bool { return u == headline })...)
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
