package publish

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"iostrat/internal/report/summary"
)

// A ChartSpec is one chart of the page: which rows of which group it
// draws, and in which file.
type ChartSpec struct {
	// File is the SVG's name inside the results directory.
	File string
	// Title is the image's alt text on the page.
	Title string
	// Group is the group it draws; nil for the overview's chart.
	Group *summary.GroupSummary
	// Kind is how it is drawn.
	Kind summary.ChartKind
	// Rows are the indexes of the rows it draws.
	Rows []int
	// Unit is the metric drawn: the rows' headline for dot charts ("time"
	// for a mix of times per unit).
	Unit string
	// Beside is the unit drawn in a second panel beside Unit's: the I/O
	// rows' throughput. "" for none.
	Beside string
	// Percentiles are the units drawn by rate and percentile charts.
	Percentiles []string
	// Axes are the overview rows a scatter chart draws: x, then y.
	Axes []summary.OverviewRow
	// Strategies are the scatter chart's strategies, in column order.
	Strategies []string
}

// percentileUnits are the latency percentile units, tidied, that rate
// and percentile charts draw, in drawing order. p99.9 and max stay in
// the tables: a third line per strategy made the charts unreadable.
var percentileUnits = []string{"p50-sec", "p99-sec"}

// PlanCharts lists the charts a summary has data for: the overview's
// scatter chart, then each group's. Dot charts draw a group's rows whose
// headline is a time per unit in one chart and each other headline unit
// in a chart of its own; rate charts draw the rows of a latency family
// (the same name but for rate=) against the rate.
func PlanCharts(s *summary.Summary) []ChartSpec {
	specs := planScatterChart(s)
	for gi := range s.Groups {
		g := &s.Groups[gi]
		switch g.Group.Chart {
		case summary.DotChart:
			specs = append(specs, planDotCharts(g)...)
		case summary.RateChart:
			specs = append(specs, planRateCharts(g)...)
		}
	}
	return specs
}

// The overview's chart: the cost of starting work against the cost of
// waking it, per strategy.
const (
	scatterX = "spawn"
	scatterY = "same-thread wake"
)

func planScatterChart(s *summary.Summary) []ChartSpec {
	o := s.Overview
	if o == nil {
		return nil
	}
	x, okX := o.Measure(scatterX)
	y, okY := o.Measure(scatterY)
	if !okX || !okY {
		return nil
	}
	spec := ChartSpec{File: SummaryChart, Title: "Dispatch cost against wake cost per strategy", Kind: summary.ScatterChart, Axes: []summary.OverviewRow{x, y}}
	for _, st := range o.Strategies {
		cx, i := x.Cell(st)
		cy, j := y.Cell(st)
		if i >= 0 && j >= 0 && cx.OK() && cy.OK() && cx.Summary.Center > 0 && cy.Summary.Center > 0 {
			spec.Strategies = append(spec.Strategies, st)
		}
	}
	if len(spec.Strategies) == 0 {
		return nil
	}
	return []ChartSpec{spec}
}

// chartKey is what a group's rows are charted together by: their
// headline (all times per unit as one) and the unit beside it.
type chartKey struct{ unit, beside string }

func planDotCharts(g *summary.GroupSummary) []ChartSpec {
	var keys []chartKey // in order of appearance
	rowsOf := make(map[chartKey][]int)
	for i, r := range g.Rows {
		if r.Headline == "" || !slices.ContainsFunc(r.Metrics[0].Cells, summary.Cell.OK) {
			continue
		}
		k := chartKey{r.Headline, r.Beside}
		if summary.IsTimePerUnit(k.unit) {
			k.unit = "time"
		}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
		rowsOf[k] = append(rowsOf[k], i)
	}
	var specs []ChartSpec
	for i, k := range keys {
		spec := ChartSpec{Group: g, Kind: summary.DotChart, Rows: rowsOf[k], Unit: k.unit, Beside: k.beside}
		if ps := percentilesOf(g, spec.Rows); strings.HasPrefix(k.unit, "p") && len(ps) > 1 {
			spec.Kind, spec.Percentiles = summary.PercentileChart, ps
		}
		spec.File = g.Group.ID + ".svg"
		if i > 0 {
			spec.File = g.Group.ID + "-" + slug(chartSlug(spec)) + ".svg"
		}
		spec.Title = fmt.Sprintf("%s: %s by strategy (median, 95%% CI)", g.Group.Title, chartWhat(spec))
		specs = append(specs, spec)
	}
	return specs
}

// chartSlug names a chart in its file name.
func chartSlug(spec ChartSpec) string {
	if spec.Kind == summary.PercentileChart {
		return "lateness"
	}
	return spec.Unit
}

// chartWhat says what a dot or percentile chart shows.
func chartWhat(spec ChartSpec) string {
	switch {
	case spec.Kind == summary.PercentileChart:
		return "lateness percentiles"
	case spec.Unit == "time":
		return "time per unit of work"
	case strings.HasPrefix(spec.Unit, "cpu-sec/"):
		what := "server CPU per " + perWhat(spec.Unit)
		if spec.Beside != "" {
			what += ", throughput beside it"
		}
		return what
	}
	return spec.Unit
}

// percentilesOf lists the percentile units the rows have data for.
func percentilesOf(g *summary.GroupSummary, rows []int) []string {
	var units []string
	for _, u := range percentileUnits {
		if slices.ContainsFunc(rows, func(ri int) bool {
			m := g.Rows[ri].Metric(u)
			return m != nil && slices.ContainsFunc(m.Cells, summary.Cell.OK)
		}) {
			units = append(units, u)
		}
	}
	return units
}

func planRateCharts(g *summary.GroupSummary) []ChartSpec {
	var families []string
	rowsOf := make(map[string][]int)
	for i, r := range g.Rows {
		if _, err := strconv.ParseFloat(r.Key("rate"), 64); err != nil {
			continue
		}
		if len(percentilesOf(g, []int{i})) == 0 {
			continue
		}
		family := familyName(r)
		if !slices.Contains(families, family) {
			families = append(families, family)
		}
		rowsOf[family] = append(rowsOf[family], i)
	}
	var specs []ChartSpec
	for i, family := range families {
		spec := ChartSpec{Group: g, Kind: summary.RateChart, Rows: rowsOf[family]}
		spec.Percentiles = percentilesOf(g, spec.Rows)
		spec.File = g.Group.ID + ".svg"
		if i > 0 {
			spec.File = g.Group.ID + "-" + slug(family) + ".svg"
		}
		spec.Title = fmt.Sprintf("%s: latency percentiles vs offered rate", family)
		specs = append(specs, spec)
	}
	return specs
}

// familyName is a row's name without its rate= part, with its budget
// when that is not 1.
func familyName(r summary.Row) string {
	parts := []string{r.Base}
	for _, kv := range r.Keys {
		if kv.Key != "rate" {
			parts = append(parts, kv.Key+"="+kv.Value)
		}
	}
	if r.CPUs != 1 {
		return fmt.Sprintf("%s at cpus=%d", strings.Join(parts, "/"), r.CPUs)
	}
	return strings.Join(parts, "/")
}

// slug makes s safe in a file name.
func slug(s string) string {
	s = strings.ReplaceAll(s, "/", "-per-")
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			return r
		}
		return '_'
	}, s)
}

// A chart is a drawing of a given size.
type chart struct {
	width, height vg.Length
	draw          func(c draw.Canvas)
}

// DrawChart draws spec as an SVG file in dir.
func DrawChart(spec ChartSpec, dir string) error {
	var ch chart
	var err error
	switch spec.Kind {
	case summary.DotChart:
		ch, err = dotChart(spec)
	case summary.PercentileChart:
		ch, err = percentileChart(spec)
	case summary.RateChart:
		ch, err = rateChart(spec)
	case summary.ScatterChart:
		ch, err = scatterChart(spec)
	default:
		return fmt.Errorf("chart %s: unknown kind %d", spec.File, spec.Kind)
	}
	if err != nil {
		return fmt.Errorf("chart %s: %w", spec.File, err)
	}
	c := vgsvg.New(ch.width, ch.height)
	dc := draw.New(c)
	dc.SetColor(whiteBackground)
	dc.Fill(dc.Rectangle.Path())
	ch.draw(dc)
	f, err := os.Create(filepath.Join(dir, spec.File))
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// RemoveStaleCharts deletes charts an earlier page drew that this one
// does not: files named after a group (dispatch.svg, io-B-per-s.svg) or
// the overview's. Other files are left alone.
func RemoveStaleCharts(dir string, keep []ChartSpec) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".svg") || slices.ContainsFunc(keep, func(c ChartSpec) bool { return c.File == name }) {
			continue
		}
		stem := strings.TrimSuffix(name, ".svg")
		if name == SummaryChart {
			os.Remove(filepath.Join(dir, name))
			continue
		}
		for _, g := range summary.Groups() {
			if stem == g.ID || strings.HasPrefix(stem, g.ID+"-") {
				os.Remove(filepath.Join(dir, name))
				break
			}
		}
	}
}
