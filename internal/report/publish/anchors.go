package publish

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"

	"iostrat/internal/report/raw"
	"iostrat/internal/report/runner"
	"iostrat/internal/report/summary"
)

// The page's anchors: their columns in every table (in italics, after
// the strategies, never ranked), a note under each table with their
// versions, and a section with the ratio table (summary.Ratios) and the
// anchors that could not be built or run.

// anchorsTitle is the anchors section's heading.
const anchorsTitle = "Against the anchors"

// headerLabel is a column's table heading: an anchor's in italics.
func headerLabel(column string) string {
	if summary.IsAnchor(column) {
		return "*" + summary.ColumnLabel(column) + "*"
	}
	return summary.ColumnLabel(column)
}

// programOf returns the anchor that writes column, if any.
func programOf(column string) (*runner.Anchor, bool) {
	for _, a := range runner.Anchors() {
		for _, cols := range a.Columns {
			if slices.Contains(cols, column) {
				return a, true
			}
		}
	}
	return nil, false
}

// anchorVersions maps each anchor program's name to its header line.
func anchorVersions(prov raw.Provenance) map[string]string {
	vs := make(map[string]string)
	for _, l := range prov.Anchors() {
		vs[l.Anchor] = l.Value
	}
	return vs
}

// writeAnchorNote writes, under a table with anchor columns, which they
// are and their versions.
func writeAnchorNote(b *bytes.Buffer, prov raw.Provenance, columns []string) {
	versions := anchorVersions(prov)
	var parts []string
	seen := make(map[string]bool)
	for _, col := range columns {
		a, ok := programOf(col)
		if !summary.IsAnchor(col) || !ok || seen[a.Name] {
			continue
		}
		seen[a.Name] = true
		var cols []string
		for _, c := range columns {
			if b, ok := programOf(c); ok && b.Name == a.Name {
				cols = append(cols, "*"+c+"*")
			}
		}
		parts = append(parts, fmt.Sprintf("%s: %s", strings.Join(cols, ", "), escape(orUnknown(versions[a.Name]))))
	}
	if len(parts) > 0 {
		fmt.Fprintf(b, "*Italic columns are [anchors](#%s), outside references measured in the same runs and never ranked.* %s.\n\n", anchor(anchorsTitle), strings.Join(parts, "; "))
	}
}

// hasAnchors reports whether the run was made with anchors.
func hasAnchors(prov raw.Provenance) bool { return len(prov.Anchors()) > 0 }

// writeAnchors writes the anchors section: what was built, what was
// n/a and why, and the ratio of each strategy to its anchors.
func (p *Page) writeAnchors(b *bytes.Buffer) {
	prov := p.Raw.Provenance
	if !hasAnchors(prov) {
		return
	}
	fmt.Fprintf(b, "## %s\n\n", anchorsTitle)
	b.WriteString("Outside references, measured in the same runs as the strategies, under the same CPU budgets and pinning, with the same workload sizes and result checks (`make bench-report ANCHORS=1`; [anchors/README.md](../anchors/README.md)):\n\n")
	for _, l := range prov.Anchors() {
		if why, na := l.NA(); na {
			fmt.Fprintf(b, "- `%s`: n/a: %s\n", l.Anchor, escape(why))
			continue
		}
		fmt.Fprintf(b, "- `%s`: %s\n", l.Anchor, escape(l.Value))
	}
	b.WriteString("\n")
	writeRatios(b, summary.Ratios(p.Summary))
}

// writeRatios writes the ratio table and, under it, where each pair does
// different work.
func writeRatios(b *bytes.Buffer, ratios []summary.Ratio) {
	if len(ratios) == 0 {
		b.WriteString("No strategy and its anchor have data on the same row in this run.\n\n")
		return
	}
	b.WriteString("How many times its anchor's cost each strategy pays, row by row (median over median; the range comes from the two 95% CIs; above 1 the strategy costs more; a rate is turned over so that the ratio still reads as cost). Beside it, the context switches of each one's process per unit of work, as the kernel counted them, where both were read: a thread that blocks and is woken again, or a hand-off between threads, shows there:\n\n")
	b.WriteString("| strategy ÷ anchor | benchmark | cpus | unit | strategy | anchor | ratio (range) | ctx-switches per unit, strategy · anchor |\n| :-- | :-- | --: | :-- | --: | --: | --: | --: |\n")
	var pairs []summary.AnchorPair
	for _, q := range ratios {
		si, ai := slices.Index(q.Group.Strategies, q.Pair.Strategy), slices.Index(q.Group.Strategies, q.Pair.Anchor)
		m := q.Row.Metrics[0]
		fmt.Fprintf(b, "| %s ÷ *%s* | `%s` | %d | %s | %s | %s | %s | %s |\n",
			q.Pair.Strategy, q.Pair.Anchor, escape(q.Row.Name), q.Row.CPUs, q.Unit,
			formatValue(m.Cells[si].Summary.Center, q.Unit), formatValue(m.Cells[ai].Summary.Center, q.Unit), formatRatioRange(q),
			switchesPair(q.Row, si, ai))
		if !slices.ContainsFunc(pairs, func(p summary.AnchorPair) bool { return p.Anchor == q.Pair.Anchor }) {
			pairs = append(pairs, q.Pair)
		}
	}
	b.WriteString("\n")
	for _, pair := range pairs {
		fmt.Fprintf(b, "- *%s* is %s.", pair.Anchor, pair.What)
		if pair.Differs != "" {
			fmt.Fprintf(b, " **Not the same work:** %s.", pair.Differs)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// switchesUnit prefixes the counter of a process's context switches per
// unit of work (bench: ctx-switches/<unit>).
const switchesUnit = "ctx-switches/"

// switchesPair formats the context switches per unit of columns si and ai
// on r, "0.0279 · 0.00981", or "—" unless both have them.
func switchesPair(r *summary.Row, si, ai int) string {
	for _, m := range r.Metrics {
		if !strings.HasPrefix(m.Unit, switchesUnit) {
			continue
		}
		if s, a := m.Cells[si], m.Cells[ai]; s.OK() && a.OK() {
			return formatValue(s.Summary.Center, m.Unit) + " · " + formatValue(a.Summary.Center, m.Unit)
		}
	}
	return "—"
}

// formatRatioRange formats a ratio and its range, "1.17× (0.98×–1.4×)";
// without the range when either CI could not be computed (too few runs).
func formatRatioRange(q summary.Ratio) string {
	r := fmt.Sprintf("%.3g×", q.Ratio)
	if q.Lo <= 0 || math.IsInf(q.Hi, 0) || math.IsNaN(q.Lo) || math.IsNaN(q.Hi) {
		return r + " (no range: too few runs for a CI)"
	}
	return fmt.Sprintf("%s (%.3g×–%.3g×)", r, q.Lo, q.Hi)
}
