package publish

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// A point is one figure on a chart: its position and its confidence
// interval on either axis (NaN ends: none), with an optional label.
type point struct {
	x, y, xLo, xHi, yLo, yHi float64
	label                    string
	labelBelow               bool // the label goes under the point, clear of a neighbour's
}

// noInterval is a point's interval when it has none.
var noInterval = math.NaN()

// A pointSeries is one strategy's points on a chart: markers with their
// interval bars in the strategy's colour, joined by a line when line is
// set.
type pointSeries struct {
	look   look
	glyph  draw.GlyphStyle // a zero Radius draws no markers
	line   *draw.LineStyle
	points []point
}

// newSeries is a strategy's series with its own marker.
func newSeries(strategy string) *pointSeries {
	l := lookOf(strategy)
	return &pointSeries{look: l, glyph: l.glyph()}
}

// Plot implements plot.Plotter.
func (s *pointSeries) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	at := func(x, y float64) vg.Point {
		return vg.Point{X: trX(clampToAxis(&p.X, x)), Y: trY(clampToAxis(&p.Y, y))}
	}
	visible := func(pt point) bool { return (pt.x > 0 || !isLog(&p.X)) && (pt.y > 0 || !isLog(&p.Y)) }
	if s.line != nil {
		var path []vg.Point
		for _, pt := range s.points {
			if visible(pt) {
				path = append(path, at(pt.x, pt.y))
			}
		}
		c.StrokeLines(*s.line, path)
	}
	bar := draw.LineStyle{Color: s.look.color, Width: vg.Points(1.2)}
	for _, pt := range s.points {
		if !visible(pt) {
			continue
		}
		if !math.IsNaN(pt.xLo) && !math.IsNaN(pt.xHi) {
			drawBar(c, bar, at(pt.xLo, pt.y), at(pt.xHi, pt.y), true)
		}
		if !math.IsNaN(pt.yLo) && !math.IsNaN(pt.yHi) {
			drawBar(c, bar, at(pt.x, pt.yLo), at(pt.x, pt.yHi), false)
		}
		center := at(pt.x, pt.y)
		if s.glyph.Radius > 0 {
			c.DrawGlyph(s.glyph, center)
		}
		if pt.label != "" {
			sty := text.Style{Color: color.Black, Font: p.X.Tick.Label.Font, Handler: plot.DefaultTextHandler, YAlign: text.YCenter}
			at := vg.Point{X: center.X + 7, Y: center.Y + 6}
			if pt.labelBelow {
				at = vg.Point{X: center.X - 4, Y: center.Y - 14}
			}
			c.FillText(sty, at, pt.label)
		}
	}
}

// drawBar draws an interval bar from a to b with short caps across it.
func drawBar(c draw.Canvas, sty draw.LineStyle, a, b vg.Point, horizontal bool) {
	const capHalf = vg.Length(3)
	c.StrokeLine2(sty, a.X, a.Y, b.X, b.Y)
	for _, end := range []vg.Point{a, b} {
		if horizontal {
			c.StrokeLine2(sty, end.X, end.Y-capHalf, end.X, end.Y+capHalf)
		} else {
			c.StrokeLine2(sty, end.X-capHalf, end.Y, end.X+capHalf, end.Y)
		}
	}
}

// DataRange implements plot.DataRanger.
func (s *pointSeries) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, pt := range s.points {
		for _, x := range []float64{pt.x, pt.xLo, pt.xHi} {
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				xmin, xmax = min(xmin, x), max(xmax, x)
			}
		}
		for _, y := range []float64{pt.y, pt.yLo, pt.yHi} {
			if !math.IsNaN(y) && !math.IsInf(y, 0) {
				ymin, ymax = min(ymin, y), max(ymax, y)
			}
		}
	}
	return xmin, xmax, ymin, ymax
}

// rowSeparators draws light lines between the rows of a dot plot.
type rowSeparators struct{ rows int }

// Plot implements plot.Plotter.
func (r rowSeparators) Plot(c draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&c)
	sty := draw.LineStyle{Color: color.Gray{Y: 0xD8}, Width: vg.Points(0.6)}
	for k := 0; k < r.rows-1; k++ {
		y := trY(float64(k) + 0.5)
		c.StrokeLine2(sty, c.Min.X, y, c.Max.X, y)
	}
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

// legendGlyph is a legend entry drawn as a marker.
type legendGlyph struct{ glyph draw.GlyphStyle }

// Thumbnail implements plot.Thumbnailer.
func (l legendGlyph) Thumbnail(c *draw.Canvas) { c.DrawGlyph(l.glyph, c.Center()) }
