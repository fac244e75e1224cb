package summary

import (
	"slices"
	"strconv"
	"strings"
)

// The overview.
//
// The page opens with one table: for each strategy, one figure per
// question the benchmarks answer. Each measure names the one row of the
// catalogue (bench/doc.go) that stands for it, chosen by its keys and
// budget, so the table reads the same whatever the run's parameters:
//
//	spawn                 Spawn, cpus=1                        time per task
//	chain                 Chain, cpus=1                        time per task
//	yield                 Yield, cpus=1                        time per yield
//	same-thread wake      PingPong/mode=same, cpus=1           time per round trip
//	cross-thread wake     PingPong/mode=cross, cpus=2 (else 1) time per round trip, two loops
//	external wake         WakeExternal, cpus=1 (else 2)        time per wake from a plain OS thread
//	fan-out per waiter    FanOut with the most waiters, cpus=1 time per woken waiter
//	timer cost            Timers/op=arm-cancel                 time to arm and cancel one timer
//	timer p99 lateness    Timers/op=fire                       p99 of fire time minus deadline
//	idle memory           Idle with the most connections       Go-managed bytes per idle connection
//	server CPU / echo msg Echo, most conns, smallest messages  the server's CPU per message
//	server CPU / HTTP req HTTP, most conns, pipeline=1         the server's CPU per request
//	handoff baseline      Handoff/park=netpoll, cpus=1         one empty call into a parked runtime
//
// Every figure is the row's headline, so the row's verdict (its leading
// group) applies to it unchanged.

// A measure picks the row that stands for one question.
type measure struct {
	label string
	base  string
	keys  map[string]string // keys the row must have, with these values
	cpus  []int             // budgets in order of preference
	unit  string            // the headline unit's prefix the row must have ("" any)
	// most and least order the candidates: the row with the largest
	// value of key most, then the smallest of key least.
	most, least string
}

var measures = []measure{
	{label: "spawn", base: "Spawn", cpus: []int{1}},
	{label: "chain", base: "Chain", cpus: []int{1}},
	{label: "yield", base: "Yield", cpus: []int{1}},
	{label: "same-thread wake", base: "PingPong", keys: map[string]string{"mode": "same"}, cpus: []int{1}},
	{label: "cross-thread wake", base: "PingPong", keys: map[string]string{"mode": "cross"}, cpus: []int{2, 1}},
	{label: "external wake", base: "WakeExternal", cpus: []int{1, 2}},
	{label: "fan-out per waiter", base: "FanOut", cpus: []int{1, 2}, most: "waiters"},
	{label: "timer cost", base: "Timers", keys: map[string]string{"op": "arm-cancel"}, cpus: []int{1}},
	{label: "timer p99 lateness", base: "Timers", keys: map[string]string{"op": "fire"}, cpus: []int{1}, unit: "p99-sec"},
	{label: "idle memory per conn", base: "Idle", cpus: []int{1}, most: "conns"},
	{label: "server CPU per echo msg", base: "Echo", cpus: []int{1}, unit: "cpu-sec/", most: "conns", least: "size"},
	{label: "server CPU per HTTP req", base: "HTTP", cpus: []int{1}, unit: "cpu-sec/", most: "conns", least: "pipeline"},
	{label: "handoff baseline", base: "Handoff", keys: map[string]string{"park": "netpoll"}, cpus: []int{1}},
}

// An Overview is the page's opening table: one row per measure the run
// has data for, one column per strategy.
type Overview struct {
	// Strategies are the columns: every strategy of any row, in the
	// run's order.
	Strategies []string
	Rows       []OverviewRow
}

// An OverviewRow is one measure and the row that stands for it.
type OverviewRow struct {
	// Label names the measure: "spawn", "timer p99 lateness".
	Label string
	Group *GroupSummary
	Row   *Row
}

// Cell returns the row's cell for strategy and its column in the row's
// group, or -1 when the group has no such column.
func (r OverviewRow) Cell(strategy string) (Cell, int) {
	i := slices.Index(r.Group.Strategies, strategy)
	if i < 0 {
		return Cell{}, -1
	}
	return r.Row.Metrics[0].Cells[i], i
}

// NewOverview picks each measure's row from s.
func NewOverview(s *Summary, known []string) *Overview {
	o := &Overview{}
	var seen []string
	for _, m := range measures {
		g, r := m.pick(s)
		if r == nil {
			continue
		}
		o.Rows = append(o.Rows, OverviewRow{Label: m.label, Group: g, Row: r})
		for i, st := range g.Strategies {
			if r.Metrics[0].Cells[i].OK() {
				seen = appendUnique(seen, st)
			}
		}
	}
	o.Strategies = columns(known, seen)
	return o
}

// Measure returns the overview row labelled label, if the run has it.
func (o *Overview) Measure(label string) (OverviewRow, bool) {
	for _, r := range o.Rows {
		if r.Label == label {
			return r, true
		}
	}
	return OverviewRow{}, false
}

// pick finds the measure's row, or nil.
func (m measure) pick(s *Summary) (*GroupSummary, *Row) {
	for _, cpus := range m.cpus {
		var best *Row
		var group *GroupSummary
		for gi := range s.Groups {
			g := &s.Groups[gi]
			for ri := range g.Rows {
				r := &g.Rows[ri]
				if r.CPUs != cpus || !m.matches(r) {
					continue
				}
				if best == nil || m.before(r, best) {
					best, group = r, g
				}
			}
		}
		if best != nil {
			return group, best
		}
	}
	return nil, nil
}

func (m measure) matches(r *Row) bool {
	if r.Base != m.base || r.Headline == "" || !strings.HasPrefix(r.Headline, m.unit) {
		return false
	}
	for k, v := range m.keys {
		if r.Key(k) != v {
			return false
		}
	}
	return slices.ContainsFunc(r.Metrics[0].Cells, Cell.OK)
}

// before reports whether a comes before b in the measure's order.
func (m measure) before(a, b *Row) bool {
	if m.most != "" {
		if x, y := keyNumber(a.Key(m.most)), keyNumber(b.Key(m.most)); x != y {
			return x > y
		}
	}
	if m.least != "" {
		if x, y := keyNumber(a.Key(m.least)), keyNumber(b.Key(m.least)); x != y {
			return x < y
		}
	}
	return false
}

// keyNumber reads a name key's value as a number: "512", "64B", "16KiB",
// "1MiB"; 0 when it is none.
func keyNumber(v string) float64 {
	end := strings.IndexFunc(v, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if end < 0 {
		end = len(v)
	}
	n, err := strconv.ParseFloat(v[:end], 64)
	if err != nil {
		return 0
	}
	switch v[end:] {
	case "KiB":
		n *= 1 << 10
	case "MiB":
		n *= 1 << 20
	case "GiB":
		n *= 1 << 30
	}
	return n
}
