package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// Statistics of the summary tables (see decide.go).
const (
	Confidence = 0.95 // confidence level of the intervals around medians, as benchstat's
	Alpha      = 0.05 // family-wise error rate of all the U tests of a page or comparison, Holm-Bonferroni corrected
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
	// Placement says where the results ran, as they observed it (see
	// DescribePlacement).
	Placement string
	// Tests is how many U tests the verdicts rest on: the family the
	// Holm-Bonferroni correction covers.
	Tests int
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
}

// OK reports whether the cell has data.
func (c Cell) OK() bool { return c.Sample != nil && len(c.Sample.Values) > 0 }

// higherIsBetter reports the direction of a unit: rates ("…/s") are
// better higher, everything else (time, bytes, counts per unit) lower,
// unless the file's unit metadata says otherwise.
func higherIsBetter(units benchfmt.UnitMetadataMap, unit string) bool {
	if b := units.GetBetter(unit); b != 0 {
		return b > 0
	}
	return strings.HasSuffix(unit, "/s")
}

// rowID identifies a row within the file: base name, keys and budget.
type rowID string

// Summarize digests a raw file into per-group tables and decides each
// row (see decide.go).
func Summarize(raw *Raw) *Summary {
	type cellKey struct {
		row  rowID
		impl string
		unit string
	}
	values := make(map[cellKey][]float64) // in file order: one per repetition
	perCall := make(map[cellKey][]float64)
	over := make(map[cellKey][]string) // unit "": why a cell used more than its budget
	rows := make(map[rowID]*Row)
	rowOrder := make(map[string][]rowID) // per group ID
	impls := make(map[string][]string)   // per group ID, in order of appearance
	units := make(map[rowID][]string)

	for _, res := range raw.Results {
		name := splitName(res.Name)
		g := GroupOf(name.base)
		id := rowID(fmt.Sprintf("%s-%d", name.row, name.cpus))
		if rows[id] == nil {
			rows[id] = &Row{Name: name.row, CPUs: name.cpus, Base: name.base, Keys: name.keys}
			rowOrder[g.ID] = append(rowOrder[g.ID], id)
		}
		if !slices.Contains(impls[g.ID], name.impl) {
			impls[g.ID] = append(impls[g.ID], name.impl)
		}
		for _, why := range placementOf(res, name.cpus).overBudget() {
			k := cellKey{id, name.impl, ""}
			over[k] = appendUnique(over[k], why)
		}
		for _, v := range res.Values {
			if slices.Contains(perCallUnits, v.Unit) {
				if v.Unit == "sec/op" {
					k := cellKey{id, name.impl, v.Unit}
					perCall[k] = append(perCall[k], v.Value)
				}
				continue
			}
			if slices.Contains(placementUnits, v.Unit) && (v.Unit != unitCPUUtil || !slices.Contains(socketGroups, g.ID)) {
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
	s := &Summary{Placement: DescribePlacement(raw.Results)}
	for _, g := range Groups() {
		ids := rowOrder[g.ID]
		if len(ids) == 0 {
			continue
		}
		gs := GroupSummary{Group: g, Strategies: columns(known, impls[g.ID])}
		for _, id := range ids {
			row := rows[id]
			row.Headline = g.headlineOf(units[id])
			row.PerCall = Metric{Unit: "sec/op", Cells: make([]Cell, len(gs.Strategies))}
			row.Over = make([][]string, len(gs.Strategies))
			for i, impl := range gs.Strategies {
				row.Over[i] = over[cellKey{id, impl, ""}]
				if vs := perCall[cellKey{id, impl, "sec/op"}]; len(vs) > 0 {
					sample := benchmath.NewSample(slices.Clone(vs), &benchmath.DefaultThresholds)
					row.PerCall.Cells[i] = Cell{Sample: sample, Summary: benchmath.AssumeNothing.Summary(sample, Confidence), Drift: drift(vs)}
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
					m.Cells[i] = Cell{Sample: sample, Summary: assumption.Summary(sample, Confidence), Drift: drift(vs)}
					for _, w := range m.Cells[i].Summary.Warnings {
						gs.Warnings = appendUnique(gs.Warnings, w.Error())
					}
				}
				row.Metrics = append(row.Metrics, m)
			}
			gs.Rows = append(gs.Rows, *row)
		}
		s.Groups = append(s.Groups, gs)
	}
	s.Tests = decide(s, raw.Units)
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
	row  string     // base and keys: "Inject/producers=4/tasks=12800"
	cpus int        // the "-N" GOMAXPROCS suffix: the budget; 1 without one
}

// splitName takes a benchmark name apart. The "-N" suffix go test adds
// at GOMAXPROCS N ≠ 1 is the result's CPU budget (see budget.go); it is
// kept apart from the row name, so rows at different budgets are
// different rows with the same name.
func splitName(name benchfmt.Name) splitBenchName {
	base, parts := name.Parts()
	n := splitBenchName{base: string(base), cpus: 1}
	row := []string{string(base)}
	for _, p := range parts {
		part := string(p)
		switch {
		case strings.HasPrefix(part, "-"):
			if procs, err := strconv.Atoi(part[1:]); err == nil && procs > 0 {
				n.cpus = procs
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

// full is the name as go test prints it, without "Benchmark": the impl
// key in its place and the "-N" suffix when the budget is not 1.
func (n splitBenchName) full() string {
	name := n.row
	if n.impl != "" {
		base, rest, _ := strings.Cut(n.row, "/")
		name = base + "/" + implKey + "=" + n.impl
		if rest != "" {
			name += "/" + rest
		}
	}
	if n.cpus != 1 {
		name += fmt.Sprintf("-%d", n.cpus)
	}
	return name
}
