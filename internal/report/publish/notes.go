package publish

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"iostrat/internal/report/summary"
)

// pageNotes returns short findings computed from the summary, each only when
// its data exists: ratios between rows of one strategy (medians), the
// hand-off and harness costs, the rows where throughput did not decide
// and the server's CPU did the talking, and how many rows the statistics
// decided. Nothing in them is typed in: every figure and every name
// comes from the run.
func pageNotes(s *summary.Summary) []string {
	var notes []string
	notes = append(notes, pingPongNotes(s)...)
	notes = append(notes, fanOutNotes(s)...)
	notes = append(notes, timerNotes(s)...)
	notes = append(notes, handoffNotes(s)...)
	notes = append(notes, serverCPUNotes(s)...)
	notes = append(notes, harnessNotes(s)...)
	notes = append(notes, flaggedNotes(s)...)
	return append(notes, decisionNotes(s)...)
}

// rowsOf returns the rows of a top-level benchmark with their group.
func rowsOf(s *summary.Summary, base string) (*summary.GroupSummary, []*summary.Row) {
	for gi := range s.Groups {
		g := &s.Groups[gi]
		var rows []*summary.Row
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

// find returns the row with key=value at budget cpus, or nil.
func find(rows []*summary.Row, key, value string, cpus int) *summary.Row {
	for _, r := range rows {
		if r.Key(key) == value && r.CPUs == cpus {
			return r
		}
	}
	return nil
}

// budgetsOf lists the budgets of rows, in increasing order.
func budgetsOf(rows []*summary.Row) []int {
	var bs []int
	for _, r := range rows {
		if !slices.Contains(bs, r.CPUs) {
			bs = append(bs, r.CPUs)
		}
	}
	slices.Sort(bs)
	return bs
}

// center returns a row's headline median for column i.
func center(r *summary.Row, i int) (float64, bool) {
	if r == nil || r.Headline == "" || !r.Metrics[0].Cells[i].OK() {
		return 0, false
	}
	return r.Metrics[0].Cells[i].Summary.Center, true
}

// ratioNote sets, per strategy, row a's median against row b's: "goroutine
// 196× (66.83µs vs 341.4ns)"; nil when no strategy has both.
func ratioParts(g *summary.GroupSummary, a, b *summary.Row) []string {
	if a == nil || b == nil || a.Headline != b.Headline {
		return nil
	}
	var parts []string
	for i, strategy := range g.Strategies {
		x, okA := center(a, i)
		y, okB := center(b, i)
		if !okA || !okB || y == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s (%s vs %s)", strategy, summary.FormatFactor(x/y), formatValue(x, a.Headline), formatValue(y, b.Headline)))
	}
	return parts
}

func pingPongNotes(s *summary.Summary) []string {
	g, rows := rowsOf(s, "PingPong")
	var notes []string
	for _, cpus := range budgetsOf(rows) {
		same := find(rows, "mode", "same", cpus)
		for _, other := range []struct{ mode, what string }{
			{"cross", "Cross-thread ping-pong against same-thread, per %s at cpus=%d (medians): %s."},
			{"hog", "Ping-pong with a CPU-bound task sharing the thread against without, per %s at cpus=%d (medians): %s."},
		} {
			if parts := ratioParts(g, find(rows, "mode", other.mode, cpus), same); len(parts) > 0 {
				notes = append(notes, fmt.Sprintf(other.what, perWhat(same.Headline), cpus, strings.Join(parts, ", ")))
			}
		}
	}
	return notes
}

func fanOutNotes(s *summary.Summary) []string {
	g, rows := rowsOf(s, "FanOut")
	var notes []string
	waiters := func(r *summary.Row) int { n, _ := strconv.Atoi(r.Key("waiters")); return n }
	for _, cpus := range budgetsOf(rows) {
		var sized []*summary.Row
		for _, r := range rows {
			if _, err := strconv.Atoi(r.Key("waiters")); err == nil && r.Headline != "" && r.CPUs == cpus {
				sized = append(sized, r)
			}
		}
		if len(sized) < 2 {
			continue
		}
		slices.SortFunc(sized, func(a, b *summary.Row) int { return waiters(a) - waiters(b) })
		few, many := sized[0], sized[len(sized)-1]
		if parts := ratioParts(g, many, few); len(parts) > 0 {
			notes = append(notes, fmt.Sprintf("Fan-out, one %s with %s against %s at cpus=%d (medians): %s.",
				perWhat(few.Headline), plural(waiters(many), "waiter"), plural(waiters(few), "waiter"), cpus, strings.Join(parts, ", ")))
		}
	}
	return notes
}

func timerNotes(s *summary.Summary) []string {
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
			notes = append(notes, fmt.Sprintf("Timer lateness at p99 (%s, fire time minus deadline): %s.", r.Label(), strings.Join(parts, ", ")))
		}
	}
	return notes
}

// handoffNotes: what parking a loop thread in the kernel costs against
// parking it on Go's netpoller, per strategy, at each budget.
func handoffNotes(s *summary.Summary) []string {
	g, rows := rowsOf(s, "Handoff")
	var notes []string
	for _, cpus := range budgetsOf(rows) {
		if parts := ratioParts(g, find(rows, "park", "thread", cpus), find(rows, "park", "netpoll", cpus)); len(parts) > 0 {
			notes = append(notes, fmt.Sprintf("A hand-off into a runtime whose idle loop parks its thread in the kernel, against one parked on Go's netpoller, at cpus=%d (medians): %s.",
				cpus, strings.Join(parts, ", ")))
		}
	}
	return notes
}

// serverCPUNotes: in the I/O group the client may limit throughput,
// which is why the group leads with the server's CPU per unit. The note
// gives the range of the server's CPU time ÷ wall time against its
// budget (cpu-util) over the group's figures, so a reader sees how far
// from its limit the server ran.
func serverCPUNotes(s *summary.Summary) []string {
	lo, hi, n := math.Inf(1), math.Inf(-1), 0
	for _, g := range s.Groups {
		if g.Group.ID != "io" {
			continue
		}
		for ri := range g.Rows {
			r := &g.Rows[ri]
			util := r.Metric(summary.UnitCPUUtil)
			if util == nil {
				continue
			}
			for _, c := range util.Cells {
				if c.OK() {
					share := c.Summary.Center / float64(r.CPUs)
					lo, hi, n = min(lo, share), max(hi, share), n+1
				}
			}
		}
	}
	if n == 0 {
		return nil
	}
	return []string{fmt.Sprintf("I/O: the server used %.0f–%.0f%% of its CPU budget (cpu-util, medians over %s), and the client, a process on a CPU of its own, paced the rest, so throughput separates the strategies less than what the server spent: the I/O rows lead with the server's CPU per unit, throughput beside it.",
		100*lo, 100*hi, plural(n, "figure"))}
}

func harnessNotes(s *summary.Summary) []string {
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
					shortest, where = c.Summary.Center, r.Label()+" under "+g.Strategies[i]
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

// flaggedNotes names the rows not ranked because a strategy used more
// than its budget.
func flaggedNotes(s *summary.Summary) []string {
	var flagged []string
	n := 0
	for _, g := range s.Groups {
		for _, r := range g.Rows {
			if r.Verdict.Kind != summary.Flagged {
				continue
			}
			n++
			var who []string
			for i, why := range r.Over {
				if len(why) > 0 {
					who = append(who, g.Strategies[i]+": "+strings.Join(why, ", "))
				}
			}
			flagged = append(flagged, fmt.Sprintf("%s (%s)", r.Label(), strings.Join(who, "; ")))
		}
	}
	if n == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%s flagged and not ranked, because a strategy used more than the row's CPU budget: %s.", plural(n, "row"), listSome(flagged, 2*namesShown))}
}

// decisionNotes counts the verdicts: how many rows were decided, and by
// whom.
func decisionNotes(s *summary.Summary) []string {
	wins := make(map[string]int)
	var order []string
	count := make(map[summary.VerdictKind]int)
	compared := 0
	for _, g := range s.Groups {
		for _, r := range g.Rows {
			k := r.Verdict.Kind
			if k == summary.NoData || k == summary.Alone {
				continue
			}
			compared++
			count[k]++
			if k == summary.Winner {
				w := g.Strategies[r.Verdict.Best]
				if wins[w] == 0 {
					order = append(order, w)
				}
				wins[w]++
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
	who := ""
	if len(parts) > 0 {
		who = " (" + strings.Join(parts, ", ") + ")"
	}
	note := fmt.Sprintf("%d of %s decided%s: a strategy better than every other by the U test after the Holm-Bonferroni correction over the page's %d comparisons (family-wise α = %v), by more than the run's own drift. Not decided: %d without a significant difference, %d within drift, %d flagged.",
		count[summary.Winner], plural(compared, "row"), who, s.Tests, summary.Alpha, count[summary.NoDifference], count[summary.WithinDrift], count[summary.Flagged])
	if s.Tests > 0 {
		if need := summary.MinRunsFor(summary.Alpha / float64(s.Tests)); need > 0 {
			note += fmt.Sprintf(" Holm's first threshold, α/%d = %.2g, needs at least %d runs per strategy for the U test to reach it.", s.Tests, summary.Alpha/float64(s.Tests), need)
		}
	}
	return []string{note}
}
