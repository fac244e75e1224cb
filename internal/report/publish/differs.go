package publish

import (
	"fmt"
	"slices"
	"strings"

	"iostrat/internal/report/summary"
)

// Saying what differs.
//
// Where a strategy does less work per unit than the systems it stands
// for, a ratio against it is not like for like, and the page says so
// beside the figures. differences is the one place that text lives; the
// page prints each entry under the tables of its groups when the
// strategy has a column there, with the allocation figure this run
// measured for it.
type difference struct {
	Strategy string
	Groups   []string // group IDs
	// Text completes "<strategy> …".
	Text string
	// AllocsBase names the benchmark whose allocations per unit the note
	// quotes: the figure that shows the pooling.
	AllocsBase string
}

var differences = []difference{{
	Strategy: "futures",
	Groups:   []string{"dispatch", "wake"},
	Text: "reuses pooled task cells (no allocation per spawn) and uses no atomics on its owner thread, " +
		"unlike tokio and unlike goroutines, so its figures are for less work per task than theirs",
	AllocsBase: "Spawn",
}}

// differsNotes returns the notes for a group: one per difference whose
// strategy has a column there.
func differsNotes(s *summary.Summary, g *summary.GroupSummary) []string {
	var notes []string
	for _, d := range differences {
		col := slices.Index(g.Strategies, d.Strategy)
		if col < 0 || !slices.Contains(d.Groups, g.Group.ID) {
			continue
		}
		note := fmt.Sprintf("%s %s.", d.Strategy, d.Text)
		if measured := allocsFigure(s, d); measured != "" {
			note = strings.TrimSuffix(note, ".") + " (measured here: " + measured + ")."
		}
		notes = append(notes, note)
	}
	return notes
}

// allocsFigure is the strategy's allocations per unit in the difference's
// first row, as "0.0065 allocs/task in Spawn/tasks=10000 at cpus=1";
// "" without data.
func allocsFigure(s *summary.Summary, d difference) string {
	g, rows := rowsOf(s, d.AllocsBase)
	if g == nil {
		return ""
	}
	col := slices.Index(g.Strategies, d.Strategy)
	for _, r := range rows {
		for _, m := range r.Metrics {
			if strings.HasPrefix(m.Unit, perAllocsUnit) && col >= 0 && m.Cells[col].OK() {
				return fmt.Sprintf("%s %s in %s", formatValue(m.Cells[col].Summary.Center, m.Unit), m.Unit, r.Label())
			}
		}
	}
	return ""
}

// perAllocsUnit is the prefix of the allocations-per-unit metric.
const perAllocsUnit = "allocs/"
