package publish

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"iostrat/internal/report/summary"
)

// Dot plots: one line per row, labelled with its full name and read
// across, one point per strategy with its 95% interval as a bar. Points
// rather than bars, because a bar's length means nothing on a log axis,
// where most of these charts are.

// rowLabels names a chart's rows; rows at several budgets share names,
// so then each is labelled with its budget.
func rowLabels(spec ChartSpec) []string {
	g := spec.Group
	mixed := slices.ContainsFunc(spec.Rows, func(ri int) bool { return g.Rows[ri].CPUs != g.Rows[spec.Rows[0]].CPUs })
	names := make([]string, len(spec.Rows))
	for i, ri := range spec.Rows {
		names[i] = g.Rows[ri].Name
		if mixed {
			names[i] = g.Rows[ri].Label()
		}
	}
	return names
}

// rowY is the height of row k of n, counted from the top, and of
// strategy j of m within it.
func rowY(k, n, j, m int) float64 {
	y := float64(n - 1 - k)
	if m > 1 {
		y += 0.3 - 0.6*float64(j)/float64(m-1)
	}
	return y
}

// scaledPoint is a cell's median and interval, scaled.
func scaledPoint(c summary.Cell, sc scale) (v, lo, hi float64) {
	v, lo, hi = c.Summary.Center*sc.factor, noInterval, noInterval
	if !math.IsInf(c.Summary.Lo, 0) && !math.IsInf(c.Summary.Hi, 0) {
		lo, hi = c.Summary.Lo*sc.factor, c.Summary.Hi*sc.factor
	}
	return v, lo, hi
}

// dotSeries is one series per strategy with data in metricOf across the
// chart's rows, and every value drawn (for the axis).
func dotSeries(spec ChartSpec, metricOf func(*summary.Row) *summary.Metric, sc scale) ([]*pointSeries, []float64) {
	g := spec.Group
	var present []int
	for si := range g.Strategies {
		if slices.ContainsFunc(spec.Rows, func(ri int) bool {
			m := metricOf(&g.Rows[ri])
			return m != nil && m.Cells[si].OK()
		}) {
			present = append(present, si)
		}
	}
	var series []*pointSeries
	var values []float64
	for j, si := range present {
		s := newSeries(g.Strategies[si])
		for k, ri := range spec.Rows {
			m := metricOf(&g.Rows[ri])
			if m == nil || !m.Cells[si].OK() {
				continue
			}
			v, lo, hi := scaledPoint(m.Cells[si], sc)
			s.points = append(s.points, point{x: v, xLo: lo, xHi: hi, y: rowY(k, len(spec.Rows), j, len(present)), yLo: noInterval, yHi: noInterval})
			values = append(values, v, lo, hi)
		}
		series = append(series, s)
	}
	return series, values
}

// dotPanel is a dot plot of labelled rows, top to bottom.
func dotPanel(title string, labels []string, series []*pointSeries, values []float64, axisLabel, unit string) *plot.Plot {
	p := newPlot(title)
	n := len(labels)
	var ticks plot.ConstantTicks
	for k, l := range labels {
		ticks = append(ticks, plot.Tick{Value: float64(n - 1 - k), Label: l})
	}
	p.Y.Tick.Marker = ticks
	p.Y.Tick.Length = 0 // the row separators show where a row ends
	p.Y.Tick.Label.XAlign = text.XRight
	p.Y.Padding = vg.Points(6)
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
	grid := plotter.NewGrid()
	grid.Horizontal.Color = nil
	grid.Vertical = draw.LineStyle{Color: colorGrid, Width: vg.Points(0.5), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}}
	p.Add(grid, rowSeparators{n})
	for _, s := range series {
		p.Add(s)
	}
	// After the plotters: Add widens the axis to their data, interval ends
	// at or below zero included, which a log axis cannot show.
	setValueAxis(&p.X, values, axisLabel, unit, false)
	return p
}

// rowsHeight is the height of a chart of n rows of m points each.
func rowsHeight(n, m int) vg.Length {
	return vg.Length(n)*max(minRowHeight, vg.Length(m)*rowBand) + chartFurniture
}

// strategyLegend lists the strategies of series, with their markers.
func strategyLegend(series []*pointSeries, names []string) plot.Legend {
	l := newLegend()
	for i, s := range series {
		l.Add(names[i], s.look)
	}
	return l
}

// seriesNames are the strategy names of a dot chart's series, in order.
func seriesNames(spec ChartSpec, metricOf func(*summary.Row) *summary.Metric) []string {
	var names []string
	for si, st := range spec.Group.Strategies {
		if slices.ContainsFunc(spec.Rows, func(ri int) bool {
			m := metricOf(&spec.Group.Rows[ri])
			return m != nil && m.Cells[si].OK()
		}) {
			names = append(names, summary.ColumnLabel(st))
		}
	}
	return names
}

// headlineOf is a row's headline metric.
func headlineOf(r *summary.Row) *summary.Metric { return &r.Metrics[0] }

// centers are the medians a chart draws in metricOf, for its scale.
func centers(spec ChartSpec, metricOf func(*summary.Row) *summary.Metric) []float64 {
	var all []float64
	for _, ri := range spec.Rows {
		if m := metricOf(&spec.Group.Rows[ri]); m != nil {
			for _, c := range m.Cells {
				if c.OK() {
					all = append(all, c.Summary.Center)
				}
			}
		}
	}
	return all
}

// dotChart draws a group's rows: one panel of their headline, and for
// I/O a second panel of the throughput beside it.
func dotChart(spec ChartSpec) (chart, error) {
	labels := rowLabels(spec)
	unit := spec.Unit
	if unit == "time" && !slices.ContainsFunc(spec.Rows, func(ri int) bool { return spec.Group.Rows[ri].Headline != spec.Group.Rows[spec.Rows[0]].Headline }) {
		unit = spec.Group.Rows[spec.Rows[0]].Headline // one unit: name it ("µs per call")
	}
	sc := scaleFor(unit, centers(spec, headlineOf))
	series, values := dotSeries(spec, headlineOf, sc)
	if len(series) == 0 {
		return chart{}, fmt.Errorf("no data to draw")
	}
	title := spec.Group.Group.Title + ": " + chartWhat(spec) + " (median, 95% CI)"
	if unit == "time" {
		unit = "sec/unit"
	}
	left := dotPanel(strings.Replace(title, ", throughput beside it", "", 1), labels, series, values, sc.label, unit)
	legend := strategyLegend(series, seriesNames(spec, headlineOf))
	height := rowsHeight(len(labels), len(series))
	if spec.Beside == "" {
		return chart{chartWidth, height, func(c draw.Canvas) { left.Draw(outsideLegend(c, legend)) }}, nil
	}
	besideOf := func(r *summary.Row) *summary.Metric { return r.Metric(spec.Beside) }
	bsc := scaleFor(spec.Beside, centers(spec, besideOf))
	bseries, bvalues := dotSeries(spec, besideOf, bsc)
	right := dotPanel("throughput", make([]string, len(labels)), bseries, bvalues, bsc.label, spec.Beside)
	// The panels share their rows: the same title, tick and label sizes
	// give them the same vertical extent, so the rows line up; the left
	// one is wider, for the row names.
	return chart{chartWidth + 7*vg.Centimeter, height, func(c draw.Canvas) {
		area := outsideLegend(c, legend)
		split := area.Size().X * 0.62
		left.Draw(draw.Crop(area, 0, split-area.Size().X, 0, 0))
		right.Draw(draw.Crop(area, split+vg.Centimeter/2, 0, 0, 0))
	}}, nil
}
