package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// vmNote is the one note not computed from the data: a caveat about
// where the numbers come from, always true of cross-CPU wakes on a VM.
const vmNote = "Cross-CPU wakes on a virtual machine are dominated by idle exits: " +
	"a vCPU with nothing to run halts and leaves the guest, and waking it takes an " +
	"inter-processor interrupt through the hypervisor, which costs microseconds. " +
	"Cross-thread wake figures measured on a VM are therefore far above bare metal; " +
	"compare strategies with each other, not with bare-metal numbers."

// Notes returns short findings computed from the summary, each only when
// its data exists, followed by the VM caveat.
func Notes(s *Summary) []string {
	var notes []string
	notes = append(notes, pingPongNotes(s)...)
	notes = append(notes, fanOutNotes(s)...)
	notes = append(notes, timerNotes(s)...)
	notes = append(notes, serverCPUNotes(s)...)
	notes = append(notes, harnessNotes(s)...)
	notes = append(notes, winnerNotes(s)...)
	return append(notes, vmNote)
}

// rowsOf returns the rows of a top-level benchmark with their group.
func rowsOf(s *Summary, base string) (*GroupSummary, []*Row) {
	for gi := range s.Groups {
		g := &s.Groups[gi]
		var rows []*Row
		for ri := range g.Rows {
			if g.Rows[ri].Base == base {
				rows = append(rows, &g.Rows[ri])
			}
		}
		if len(rows) > 0 {
			return g, rows
		}
	}
	return nil, nil
}

// find returns the row with key=value, or nil.
func find(rows []*Row, key, value string) *Row {
	for _, r := range rows {
		if r.Key(key) == value {
			return r
		}
	}
	return nil
}

// center returns a row's headline median for column i.
func center(r *Row, i int) (float64, bool) {
	if r == nil || r.Headline == "" || !r.Metrics[0].Cells[i].OK() {
		return 0, false
	}
	return r.Metrics[0].Cells[i].Summary.Center, true
}

func pingPongNotes(s *Summary) []string {
	g, rows := rowsOf(s, "PingPong")
	same := find(rows, "mode", "same")
	if same == nil {
		return nil
	}
	var notes []string
	for _, other := range []struct{ mode, what string }{
		{"cross", "Cross-thread ping-pong costs %s same-thread for %s (%s vs %s per %s)."},
		{"hog", "With a CPU-bound task sharing the thread, a ping-pong round costs %s what it costs without for %s (%s vs %s per %s)."},
	} {
		r := find(rows, "mode", other.mode)
		for i, strategy := range g.Strategies {
			a, okA := center(r, i)
			b, okB := center(same, i)
			if !okA || !okB || b == 0 || r.Headline != same.Headline {
				continue
			}
			notes = append(notes, fmt.Sprintf(other.what, times(a/b), strategy,
				formatValue(a, r.Headline), formatValue(b, same.Headline), perWhat(r.Headline)))
		}
	}
	return notes
}

func fanOutNotes(s *Summary) []string {
	g, rows := rowsOf(s, "FanOut")
	var sized []*Row
	for _, r := range rows {
		if _, err := strconv.Atoi(r.Key("waiters")); err == nil && r.Headline != "" {
			sized = append(sized, r)
		}
	}
	if len(sized) < 2 {
		return nil
	}
	waiters := func(r *Row) int { n, _ := strconv.Atoi(r.Key("waiters")); return n }
	slices.SortFunc(sized, func(a, b *Row) int { return waiters(a) - waiters(b) })
	few, many := sized[0], sized[len(sized)-1]
	var notes []string
	for i, strategy := range g.Strategies {
		a, okA := center(few, i)
		b, okB := center(many, i)
		if !okA || !okB || a == 0 {
			continue
		}
		notes = append(notes, fmt.Sprintf("Fan-out for %s: one wake costs %s with %s and %s with %s (%s).",
			strategy, formatValue(a, few.Headline), plural(waiters(few), "waiter"), formatValue(b, many.Headline), plural(waiters(many), "waiter"), times(b/a)))
	}
	return notes
}

func timerNotes(s *Summary) []string {
	g, rows := rowsOf(s, "Timers")
	var notes []string
	for _, r := range rows {
		if r.Key("op") != "fire" {
			continue
		}
		m := r.Metric("p99-sec")
		if m == nil {
			continue
		}
		var parts []string
		for i, strategy := range g.Strategies {
			if m.Cells[i].OK() {
				parts = append(parts, strategy+" "+formatValue(m.Cells[i].Summary.Center, m.Unit))
			}
		}
		if len(parts) > 0 {
			notes = append(notes, fmt.Sprintf("Timer lateness at p99 (%s, fire time minus deadline): %s.", r.Name, strings.Join(parts, ", ")))
		}
	}
	return notes
}

// serverCPUNotes: in the I/O group the client may limit throughput, so
// for rows whose throughput shows no significant winner, the server's own
// CPU per unit (cpu-sec/…, measured in the server process while the
// client runs in another) is set beside it, cheapest first: one note per
// benchmark, for its row with the most connections.
func serverCPUNotes(s *Summary) []string {
	var notes []string
	for _, g := range s.Groups {
		if g.Group.ID != "io" {
			continue
		}
		picked := make(map[string]*Row) // per benchmark
		var order []string
		for ri := range g.Rows {
			r := &g.Rows[ri]
			if r.Verdict.Kind != NoDifference {
				continue
			}
			prev, seen := picked[r.Base]
			if !seen {
				order = append(order, r.Base)
			}
			if !seen || atoi(r.Key("conns")) >= atoi(prev.Key("conns")) {
				picked[r.Base] = r
			}
		}
		for _, base := range order {
			r := picked[base]
			var m *Metric
			for mi := range r.Metrics {
				if strings.HasPrefix(r.Metrics[mi].Unit, "cpu-sec/") {
					m = &r.Metrics[mi]
				}
			}
			if m == nil {
				continue
			}
			type figure struct {
				strategy string
				v        float64
			}
			var fs []figure
			for i, strategy := range g.Strategies {
				if m.Cells[i].OK() {
					fs = append(fs, figure{strategy, m.Cells[i].Summary.Center})
				}
			}
			if len(fs) < 2 {
				continue
			}
			slices.SortFunc(fs, func(a, b figure) int { return cmp.Compare(a.v, b.v) })
			parts := make([]string, len(fs))
			for i, f := range fs {
				parts[i] = f.strategy + " " + formatValue(f.v, m.Unit)
			}
			notes = append(notes, fmt.Sprintf("%s: throughput shows no significant difference (the shared client can be the limit); the server's CPU per %s does: %s.",
				r.Name, strings.TrimPrefix(m.Unit, "cpu-sec/"), strings.Join(parts, ", ")))
		}
	}
	return notes
}

// atoi is a key's integer value, or 0.
func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func harnessNotes(s *Summary) []string {
	_, harness := rowsOf(s, "Harness")
	if len(harness) == 0 {
		return nil
	}
	var loop float64
	for _, c := range harness[0].PerCall.Cells {
		if c.OK() {
			loop = c.Summary.Center
		}
	}
	if loop == 0 {
		return nil
	}
	shortest, where := math.Inf(1), ""
	for _, g := range s.Groups {
		for _, r := range g.Rows {
			if r.Base == "Harness" {
				continue
			}
			for i, c := range r.PerCall.Cells {
				if c.OK() && c.Summary.Center < shortest {
					shortest, where = c.Summary.Center, r.Name+" under "+g.Strategies[i]
				}
			}
		}
	}
	if where == "" {
		return []string{fmt.Sprintf("The measurement loop costs %s per call.", formatValue(loop, "sec/op"))}
	}
	return []string{fmt.Sprintf("The measurement loop costs %s per call, %.2g%% of the shortest workload call (%s, %s); every per-unit figure includes it once per call.",
		formatValue(loop, "sec/op"), 100*loop/shortest, where, formatValue(shortest, "sec/op"))}
}

func winnerNotes(s *Summary) []string {
	wins := make(map[string]int)
	var order []string
	var undecided, compared int
	for _, g := range s.Groups {
		for _, r := range g.Rows {
			switch r.Verdict.Kind {
			case Winner:
				compared++
				w := g.Strategies[r.Verdict.Best]
				if wins[w] == 0 {
					order = append(order, w)
				}
				wins[w]++
			case NoDifference:
				compared++
				undecided++
			}
		}
	}
	if compared == 0 {
		return nil
	}
	var parts []string
	for _, w := range order {
		parts = append(parts, fmt.Sprintf("%s %d", w, wins[w]))
	}
	if len(parts) == 0 {
		parts = []string{"none"}
	}
	return []string{fmt.Sprintf("Significant wins by row (U test, p < %v): %s; no significant difference in %d of %d rows.",
		Alpha, strings.Join(parts, ", "), undecided, compared)}
}

// plural is "1 waiter" or "8 waiters".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// times formats a ratio as "3.2×".
func times(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f×", x)
	case x >= 10:
		return fmt.Sprintf("%.1f×", x)
	}
	return fmt.Sprintf("%.2f×", x)
}

// perWhat is the unit of work of a per-unit unit: "round" for "sec/round".
func perWhat(unit string) string {
	_, denom, _ := strings.Cut(unit, "/")
	return denom
}
