package publish

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"iostrat/internal/report/summary"
)

// percentileChart draws the p50 and p99 of each strategy on one line per
// strategy (per row, when the chart has several): a hollow marker for
// the median percentile, the strategy's own for the tail.
func percentileChart(spec ChartSpec) (chart, error) {
	g := spec.Group
	var all []float64
	for _, u := range spec.Percentiles {
		all = append(all, centers(spec, func(r *summary.Row) *summary.Metric { return r.Metric(u) })...)
	}
	sc := scaleFor("p-sec", all)
	var labels []string
	var series []*pointSeries
	var values []float64
	for _, ri := range spec.Rows {
		r := &g.Rows[ri]
		for si, st := range g.Strategies {
			s, vs := percentileLine(r, si, st, spec.Percentiles, sc, float64(len(labels)))
			if s == nil {
				continue
			}
			label := summary.ColumnLabel(st)
			if len(spec.Rows) > 1 {
				label += " · " + r.Label()
			}
			labels = append(labels, label)
			series = append(series, s...)
			values = append(values, vs...)
		}
	}
	if len(labels) == 0 {
		return chart{}, fmt.Errorf("no percentile to draw")
	}
	n := len(labels)
	for _, s := range series { // rows were numbered from the top as they came
		for i := range s.points {
			s.points[i].y = float64(n-1) - s.points[i].y
		}
	}
	p := dotPanel(g.Group.Title+": how late timers fire (median, 95% CI)", labels, series, values, "fire time − deadline, "+sc.label, "p-sec")
	legend := newLegend()
	for pi, u := range spec.Percentiles {
		legend.Add(percentileName(u), legendGlyph{percentileGlyph(pi, look{color.Gray{Y: 0x40}, draw.CircleGlyph{}})})
	}
	return chart{chartWidth, rowsHeight(n, 1), func(c draw.Canvas) { p.Draw(outsideLegend(c, legend)) }}, nil
}

// percentileLine is one strategy's percentiles in row r, one series per
// percentile, on the line at top (counted from the top); nil without
// data.
func percentileLine(r *summary.Row, si int, strategy string, units []string, sc scale, top float64) ([]*pointSeries, []float64) {
	l := lookOf(strategy)
	var series []*pointSeries
	var values []float64
	for pi, u := range units {
		m := r.Metric(u)
		if m == nil || !m.Cells[si].OK() {
			continue
		}
		v, lo, hi := scaledPoint(m.Cells[si], sc)
		pt := point{x: v, xLo: lo, xHi: hi, y: top, yLo: noInterval, yHi: noInterval}
		series = append(series, &pointSeries{look: l, glyph: percentileGlyph(pi, l), points: []point{pt}})
		values = append(values, v, lo, hi)
	}
	return series, values
}

// percentileGlyph is the marker of the pi-th percentile drawn: hollow
// for the first (p50), the strategy's own for the others.
func percentileGlyph(pi int, l look) draw.GlyphStyle {
	g := l.glyph()
	if pi == 0 {
		g.Shape = draw.RingGlyph{}
	}
	return g
}

// percentileList is "p50 and p99".
func percentileList(units []string) string {
	var names []string
	for _, u := range units {
		names = append(names, percentileName(u))
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// percentileName is "p99" for "p99-sec".
func percentileName(unit string) string {
	name, _, _ := strings.Cut(unit, "-")
	return name
}

// rateChart draws latency percentiles against the offered rate: one
// colour and marker per strategy, one dash pattern per percentile, the
// rate axis ticked at the rates offered. Points of different strategies
// at one rate are moved apart a little so their intervals do not hide
// each other.
func rateChart(spec ChartSpec) (chart, error) {
	g := spec.Group
	var all []float64
	for _, u := range spec.Percentiles {
		all = append(all, centers(spec, func(r *summary.Row) *summary.Metric { return r.Metric(u) })...)
	}
	sc := scaleFor("p-sec", all)
	rates := offeredRates(spec)
	if len(rates) == 0 {
		return chart{}, fmt.Errorf("no offered rate")
	}
	p := newPlot(fmt.Sprintf("%s: %s against offered rate (median, 95%% CI)", spec.Group.Group.Title, percentileList(spec.Percentiles)))
	setRateAxis(&p.X, rates)
	legend := newLegend()
	var values []float64
	present := rateStrategies(spec)
	for j, si := range present {
		for pi, u := range spec.Percentiles {
			s := rateSeries(spec, si, u, sc, dodge(&p.X, rates, j, len(present)))
			s.line = &draw.LineStyle{Color: s.look.color, Width: vg.Points(1.3), Dashes: plotutil.Dashes(pi)}
			for _, pt := range s.points {
				values = append(values, pt.y, pt.yLo, pt.yHi)
			}
			p.Add(s)
		}
		legend.Add(summary.ColumnLabel(g.Strategies[si]), lookOf(g.Strategies[si]), legendLine{color: lookOf(g.Strategies[si]).color})
	}
	for pi, u := range spec.Percentiles {
		legend.Add(percentileName(u), legendLine{color: color.Gray{Y: 0x40}, dashes: plotutil.Dashes(pi)})
	}
	setValueAxis(&p.Y, values, "latency, "+sc.label, "p-sec", false)
	return chart{chartWidth, 12 * vg.Centimeter, func(c draw.Canvas) { drawPlot(p, outsideLegend(c, legend)) }}, nil
}

// offeredRates are the chart's rates, ascending.
func offeredRates(spec ChartSpec) []float64 {
	var rates []float64
	for _, ri := range spec.Rows {
		if rate, err := strconv.ParseFloat(spec.Group.Rows[ri].Key("rate"), 64); err == nil && rate > 0 && !slices.Contains(rates, rate) {
			rates = append(rates, rate)
		}
	}
	slices.Sort(rates)
	return rates
}

// setRateAxis ticks an axis at the offered rates, on a log scale when
// they span more than logRangeRatio.
func setRateAxis(ax *plot.Axis, rates []float64) {
	var ticks plot.ConstantTicks
	for _, r := range rates {
		ticks = append(ticks, plot.Tick{Value: r, Label: formatRate(r)})
	}
	ax.Tick.Marker = ticks
	lo, hi := rates[0], rates[len(rates)-1]
	ax.Label.Text = "offered rate, requests per second"
	if wideRange(rates) {
		ax.Scale = plot.LogScale{}
		ax.Min, ax.Max = lo/1.3, hi*1.3
		ax.Label.Text += ", log scale"
		return
	}
	pad := math.Max((hi-lo)*0.06, lo*0.1)
	ax.Min, ax.Max = math.Max(0, lo-pad), hi+pad
}

// formatRate is a rate as its tick shows it: "2k/s", "500/s".
func formatRate(r float64) string {
	if r >= 1000 && math.Mod(r, 100) == 0 {
		return strconv.FormatFloat(r/1000, 'f', -1, 64) + "k/s"
	}
	return strconv.FormatFloat(r, 'f', -1, 64) + "/s"
}

// dodge moves strategy j of m a little along the rate axis.
func dodge(ax *plot.Axis, rates []float64, j, m int) func(float64) float64 {
	off := float64(j) - float64(m-1)/2
	if isLog(ax) {
		return func(x float64) float64 { return x * math.Pow(1.025, off) }
	}
	step := (rates[len(rates)-1] - rates[0]) * 0.008
	if step == 0 {
		step = rates[0] * 0.01
	}
	return func(x float64) float64 { return x + off*step }
}

// rateStrategies are the columns with any percentile in the chart.
func rateStrategies(spec ChartSpec) []int {
	var present []int
	for si := range spec.Group.Strategies {
		for _, u := range spec.Percentiles {
			if slices.ContainsFunc(spec.Rows, func(ri int) bool {
				m := spec.Group.Rows[ri].Metric(u)
				return m != nil && m.Cells[si].OK()
			}) && !slices.Contains(present, si) {
				present = append(present, si)
			}
		}
	}
	return present
}

// rateSeries is column si's latency in unit against the offered rate,
// scaled by sc, in rate order, its rates moved by at.
func rateSeries(spec ChartSpec, si int, unit string, sc scale, at func(float64) float64) *pointSeries {
	s := newSeries(spec.Group.Strategies[si])
	for _, ri := range spec.Rows {
		r := spec.Group.Rows[ri]
		m := r.Metric(unit)
		rate, err := strconv.ParseFloat(r.Key("rate"), 64)
		if m == nil || !m.Cells[si].OK() || err != nil {
			continue
		}
		v, lo, hi := scaledPoint(m.Cells[si], sc)
		s.points = append(s.points, point{x: at(rate), y: v, yLo: lo, yHi: hi, xLo: noInterval, xHi: noInterval})
	}
	slices.SortFunc(s.points, func(a, b point) int { return cmpFloat(a.x, b.x) })
	return s
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
