package publish

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
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
	// Title is the chart's title and the image's alt text.
	Title string
	// Group is the group it draws.
	Group *summary.GroupSummary
	// Kind is how it is drawn.
	Kind summary.ChartKind
	// Rows are the indexes of the rows it draws.
	Rows []int
	// Unit is the metric drawn: a row's headline for bar charts.
	Unit string
	// Percentiles are the units drawn by a rate chart, one line style each.
	Percentiles []string
}

// Charting thresholds.
const (
	logRangeRatio  = 30 // a value axis spanning more than this ratio is drawn on a log scale
	chartHeight    = 10 * vg.Centimeter
	minChartWidth  = 16 * vg.Centimeter
	barWidth       = 0.35 * vg.Centimeter
	logHeadroom    = 4    // the value axis reaches this factor above the highest bar on a log scale, leaving room for the legend
	linearHeadroom = 1.25 // the same on a linear scale
)

// percentileUnits are the latency percentile units, tidied, in drawing order.
var percentileUnits = []string{"p50-sec", "p99-sec", "p99.9-sec"}

// PlanCharts lists the charts a summary has data for. Bar charts draw a
// group's rows whose headline is a time per unit in one chart, and each
// other headline unit in a chart of its own; rate charts draw the rows
// of a latency family (the same name but for rate=) against the rate.
func PlanCharts(s *summary.Summary) []ChartSpec {
	var specs []ChartSpec
	for gi := range s.Groups {
		g := &s.Groups[gi]
		switch g.Group.Chart {
		case summary.BarChart:
			specs = append(specs, planBarCharts(g)...)
		case summary.RateChart:
			specs = append(specs, planRateCharts(g)...)
		}
	}
	return specs
}

func planBarCharts(g *summary.GroupSummary) []ChartSpec {
	var kinds []string // "time" or a headline unit, in order of appearance
	rowsOf := make(map[string][]int)
	for i, r := range g.Rows {
		if r.Headline == "" || !slices.ContainsFunc(r.Metrics[0].Cells, summary.Cell.OK) {
			continue
		}
		kind := r.Headline
		if summary.IsTimePerUnit(kind) {
			kind = "time"
		}
		if !slices.Contains(kinds, kind) {
			kinds = append(kinds, kind)
		}
		rowsOf[kind] = append(rowsOf[kind], i)
	}
	var specs []ChartSpec
	for i, kind := range kinds {
		spec := ChartSpec{Group: g, Kind: summary.BarChart, Rows: rowsOf[kind], Unit: kind}
		spec.File = g.Group.ID + ".svg"
		if i > 0 {
			spec.File = g.Group.ID + "-" + slug(kind) + ".svg"
		}
		what := kind
		if kind == "time" {
			what = "time per unit of work"
		}
		spec.Title = fmt.Sprintf("%s: %s by strategy (median, 95%% CI)", g.Group.Title, what)
		specs = append(specs, spec)
	}
	return specs
}

func planRateCharts(g *summary.GroupSummary) []ChartSpec {
	var families []string
	rowsOf := make(map[string][]int)
	for i, r := range g.Rows {
		if _, err := strconv.ParseFloat(r.Key("rate"), 64); err != nil {
			continue
		}
		if !slices.ContainsFunc(percentileUnits, func(u string) bool {
			m := r.Metric(u)
			return m != nil && slices.ContainsFunc(m.Cells, summary.Cell.OK)
		}) {
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
		for _, u := range percentileUnits {
			if slices.ContainsFunc(spec.Rows, func(ri int) bool { return g.Rows[ri].Metric(u) != nil }) {
				spec.Percentiles = append(spec.Percentiles, u)
			}
		}
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

// DrawChart draws spec as an SVG file in dir.
func DrawChart(spec ChartSpec, dir string) error {
	var p *plot.Plot
	var width vg.Length
	var err error
	switch spec.Kind {
	case summary.BarChart:
		p, width, err = barPlot(spec)
	case summary.RateChart:
		p, width, err = ratePlot(spec)
	default:
		return fmt.Errorf("chart %s: unknown kind %d", spec.File, spec.Kind)
	}
	if err != nil {
		return fmt.Errorf("chart %s: %w", spec.File, err)
	}
	c := vgsvg.New(width, chartHeight)
	p.Draw(draw.New(c))
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

// A scale converts a unit's values for an axis: seconds to ns, µs or ms.
type scale struct {
	factor float64
	label  string
}

// scaleFor picks a readable scale for a unit given the values drawn:
// times in ns, µs or ms; bytes in KiB, MiB or GiB; other quantities with
// an SI prefix. "time" stands for a mix of time-per-unit units.
func scaleFor(unit string, values []float64) scale {
	var positive []float64
	for _, v := range values {
		if v > 0 {
			positive = append(positive, v)
		}
	}
	slices.Sort(positive)
	mid := 0.0
	if len(positive) > 0 {
		mid = positive[len(positive)/2]
	}
	if unit == "time" || isTimeUnit(unit) {
		per := " per unit"
		if _, denom, ok := strings.Cut(unit, "/"); ok {
			per = " per " + denom
		} else if unit != "time" {
			per = ""
		}
		switch {
		case mid >= 1e-3:
			return scale{1e3, "ms" + per}
		case mid >= 1e-6:
			return scale{1e6, "µs" + per}
		}
		return scale{1e9, "ns" + per}
	}
	if rest, ok := strings.CutPrefix(unit, "B"); ok {
		for _, s := range []struct {
			factor float64
			prefix string
		}{{1 << 30, "Gi"}, {1 << 20, "Mi"}, {1 << 10, "Ki"}} {
			if mid >= s.factor {
				return scale{1 / s.factor, s.prefix + "B" + rest}
			}
		}
		return scale{1, unit}
	}
	for _, s := range []struct {
		factor float64
		prefix string
	}{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if mid >= s.factor {
			return scale{1 / s.factor, s.prefix + " " + unit}
		}
	}
	return scale{1, unit}
}

// isTimeUnit reports whether a tidied unit measures time.
func isTimeUnit(unit string) bool {
	num, _, _ := strings.Cut(unit, "/")
	return num == "sec" || strings.HasSuffix(num, "-sec") // sec/task, p99-sec, cpu-sec/req
}

// barPlot draws grouped bars: one group of bars per row, one bar per
// strategy, with the confidence interval as an error bar.
func barPlot(spec ChartSpec) (*plot.Plot, vg.Length, error) {
	g := spec.Group
	var all []float64
	for _, ri := range spec.Rows {
		for _, c := range g.Rows[ri].Metrics[0].Cells {
			if c.OK() {
				all = append(all, c.Summary.Center)
			}
		}
	}
	sc := scaleFor(spec.Unit, all)
	p := plot.New()
	p.Title.Text = spec.Title
	p.Y.Label.Text = sc.label
	span := valueSpan{lowest: math.Inf(1)}
	for si, strategy := range g.Strategies {
		if bars := strategyBars(spec, si, sc, &span); bars != nil {
			p.Add(bars)
			p.Legend.Add(summary.ColumnLabel(strategy), bars)
		}
	}
	names := barNames(spec)
	p.Legend.Top = true
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = math.Pi / 6
	p.X.Tick.Label.XAlign = text.XRight
	p.X.Tick.Label.YAlign = text.YCenter
	p.X.Min, p.X.Max = -0.5, float64(len(names))-0.5
	if wideRange(all) && !math.IsInf(span.lowest, 1) {
		p.Y.Scale = floorLogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Y.Min = math.Pow(10, math.Floor(math.Log10(span.lowest)))
		p.Y.Max = span.highest * logHeadroom
		p.Y.Label.Text += " (log scale)"
	} else {
		p.Y.Min = 0
		p.Y.Max = span.highest * linearHeadroom
	}
	width := max(minChartWidth, vg.Length(len(names))*(vg.Length(len(g.Strategies))*barWidth+barWidth)+4*vg.Centimeter)
	return p, width, nil
}

// A valueSpan is the lowest positive and the highest value drawn, scaled.
type valueSpan struct{ lowest, highest float64 }

// strategyBars is strategy column si's bars across the chart's rows,
// scaled by sc, widening span; nil when the strategy has no data there.
func strategyBars(spec ChartSpec, si int, sc scale, span *valueSpan) *errorBars {
	n := len(spec.Group.Strategies)
	bars := &errorBars{
		color:  plotutil.Color(si),
		width:  barWidth,
		offset: barWidth * vg.Length(float64(si)-float64(n-1)/2),
	}
	hasData := false
	for _, ri := range spec.Rows {
		c := spec.Group.Rows[ri].Metrics[0].Cells[si]
		v, lo, hi := math.NaN(), math.NaN(), math.NaN()
		if c.OK() {
			hasData = true
			v = c.Summary.Center * sc.factor
			if !math.IsInf(c.Summary.Lo, 0) && !math.IsInf(c.Summary.Hi, 0) {
				lo, hi = c.Summary.Lo*sc.factor, c.Summary.Hi*sc.factor
			}
			for _, x := range []float64{v, lo} {
				if x > 0 {
					span.lowest = min(span.lowest, x)
				}
			}
			span.highest = max(span.highest, v)
			if !math.IsNaN(hi) {
				span.highest = max(span.highest, hi)
			}
		}
		bars.values = append(bars.values, v)
		bars.lo = append(bars.lo, lo)
		bars.hi = append(bars.hi, hi)
	}
	if !hasData {
		return nil
	}
	return bars
}

// barNames labels a bar chart's rows; rows at several budgets share
// names, so then each is labelled with its budget.
func barNames(spec ChartSpec) []string {
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

// wideRange reports whether positive values span more than logRangeRatio.
func wideRange(values []float64) bool {
	lo, hi := math.Inf(1), 0.0
	for _, v := range values {
		if v > 0 {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	return hi > 0 && hi/lo > logRangeRatio
}

// ratePlot draws latency percentiles against the offered rate: one
// colour per strategy, one dash pattern per percentile.
func ratePlot(spec ChartSpec) (*plot.Plot, vg.Length, error) {
	g := spec.Group
	var all []float64
	for _, ri := range spec.Rows {
		for _, u := range spec.Percentiles {
			if m := g.Rows[ri].Metric(u); m != nil {
				for _, c := range m.Cells {
					if c.OK() {
						all = append(all, c.Summary.Center)
					}
				}
			}
		}
	}
	sc := scaleFor("p-sec", all)
	p := plot.New()
	p.Title.Text = spec.Title
	p.X.Label.Text = "offered rate (rate=)"
	p.Y.Label.Text = "latency (" + sc.label + ", log scale)"
	p.Y.Scale = floorLogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	span, rates, drawn, err := rateLines(p, spec, sc)
	if err != nil {
		return nil, 0, err
	}
	if math.IsInf(span.lowest, 1) {
		return nil, 0, fmt.Errorf("no positive latency to draw")
	}
	// The legend says colour = strategy and dash = percentile rather than
	// listing every pair.
	for si, strategy := range g.Strategies {
		if drawn[si] {
			p.Legend.Add(summary.ColumnLabel(strategy), legendLine{color: plotutil.Color(si)})
		}
	}
	for pi, unit := range spec.Percentiles {
		p.Legend.Add(strings.TrimSuffix(unit, "-sec"), legendLine{color: color.Gray{Y: 0x40}, dashes: plotutil.Dashes(pi)})
	}
	p.Y.Min = math.Pow(10, math.Floor(math.Log10(span.lowest)))
	p.Y.Max = span.highest * logHeadroom * logHeadroom
	if wideRange(rates) {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		p.X.Label.Text += ", log scale"
	}
	p.Legend.Top, p.Legend.Left = true, true
	return p, minChartWidth, nil
}

// rateLines adds one line per strategy and percentile to p. It returns
// the span of latencies drawn, every rate drawn, and which strategy
// columns have a line.
func rateLines(p *plot.Plot, spec ChartSpec, sc scale) (span valueSpan, rates []float64, drawn []bool, err error) {
	g := spec.Group
	span.lowest = math.Inf(1)
	drawn = make([]bool, len(g.Strategies))
	for si := range g.Strategies {
		for pi, unit := range spec.Percentiles {
			xys := ratePoints(spec, si, unit, sc)
			if len(xys) == 0 {
				continue
			}
			for _, xy := range xys {
				span.lowest, span.highest = min(span.lowest, xy.Y), max(span.highest, xy.Y)
				rates = append(rates, xy.X)
			}
			slices.SortFunc(xys, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
			line, points, err := plotter.NewLinePoints(xys)
			if err != nil {
				return span, nil, nil, err
			}
			line.Color, points.Color = plotutil.Color(si), plotutil.Color(si)
			line.Dashes = plotutil.Dashes(pi)
			points.Shape = plotutil.Shape(pi)
			p.Add(line, points)
			drawn[si] = true
		}
	}
	return span, rates, drawn, nil
}

// ratePoints is strategy column si's latency in unit against the
// offered rate, scaled by sc, in row order; points that are not
// positive are left out.
func ratePoints(spec ChartSpec, si int, unit string, sc scale) plotter.XYs {
	var xys plotter.XYs
	for _, ri := range spec.Rows {
		r := spec.Group.Rows[ri]
		m := r.Metric(unit)
		if m == nil || !m.Cells[si].OK() {
			continue
		}
		rate, _ := strconv.ParseFloat(r.Key("rate"), 64)
		y := m.Cells[si].Summary.Center * sc.factor
		if y <= 0 || rate <= 0 {
			continue
		}
		xys = append(xys, plotter.XY{X: rate, Y: y})
	}
	return xys
}

// legendLine is a legend entry drawn as a line sample.
type legendLine struct {
	color  color.Color
	dashes []vg.Length
}

// Thumbnail implements plot.Thumbnailer.
func (l legendLine) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(draw.LineStyle{Color: l.color, Width: vg.Points(1.5), Dashes: l.dashes}, c.Min.X, y, c.Max.X, y)
}

// floorLogScale is a log scale that maps values at or below the axis
// minimum (such as a bar's base at 0) to the bottom of the axis instead
// of failing.
type floorLogScale struct{}

func (floorLogScale) Normalize(min, max, x float64) float64 {
	if x <= min {
		return 0
	}
	return plot.LogScale{}.Normalize(min, max, x)
}

// errorBars is one strategy's bars across a chart's rows, each with its
// confidence interval. Bars start at the bottom of the axis, so they
// work on log scales; NaN values are not drawn.
type errorBars struct {
	values, lo, hi []float64
	color          color.Color
	width, offset  vg.Length
}

// Plot implements plot.Plotter.
func (b *errorBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	bottom := trY(p.Y.Min)
	whisker := draw.LineStyle{Color: plotter.DefaultLineStyle.Color, Width: vg.Points(0.75)}
	for i, v := range b.values {
		if math.IsNaN(v) {
			continue
		}
		x := trX(float64(i)) + b.offset
		left, right := x-b.width/2, x+b.width/2
		top := trY(v)
		c.FillPolygon(b.color, c.ClipPolygonY([]vg.Point{{X: left, Y: bottom}, {X: left, Y: top}, {X: right, Y: top}, {X: right, Y: bottom}}))
		if math.IsNaN(b.lo[i]) || math.IsNaN(b.hi[i]) {
			continue
		}
		lo, hi := trY(b.lo[i]), trY(b.hi[i])
		capHalf := b.width / 4
		c.StrokeLines(whisker, c.ClipLinesY(
			[]vg.Point{{X: x, Y: lo}, {X: x, Y: hi}},
			[]vg.Point{{X: x - capHalf, Y: lo}, {X: x + capHalf, Y: lo}},
			[]vg.Point{{X: x - capHalf, Y: hi}, {X: x + capHalf, Y: hi}},
		)...)
	}
}

// DataRange implements plot.DataRanger.
func (b *errorBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	ymin, ymax = math.Inf(1), math.Inf(-1)
	for i, v := range b.values {
		for _, y := range []float64{v, b.lo[i], b.hi[i]} {
			if !math.IsNaN(y) {
				ymin, ymax = min(ymin, y), max(ymax, y)
			}
		}
	}
	return 0, float64(len(b.values) - 1), ymin, ymax
}

// Thumbnail implements plot.Thumbnailer for the legend.
func (b *errorBars) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(b.color, []vg.Point{
		{X: c.Min.X, Y: c.Min.Y}, {X: c.Min.X, Y: c.Max.Y},
		{X: c.Max.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Min.Y},
	})
}

// RemoveStaleCharts deletes charts an earlier page drew that this one
// does not: files named after a group (dispatch.svg, io-B-per-s.svg).
// Other files are left alone.
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
		for _, g := range summary.Groups() {
			if stem == g.ID || strings.HasPrefix(stem, g.ID+"-") {
				os.Remove(filepath.Join(dir, name))
				break
			}
		}
	}
}
