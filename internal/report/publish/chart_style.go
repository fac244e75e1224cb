package publish

import (
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"iostrat/internal/report/summary"
)

// How a strategy looks on every chart.
//
// Colours are the Okabe–Ito palette, chosen to stay apart under the
// common colour-vision deficiencies. Each strategy keeps its colour and
// marker on every chart; a variant of a strategy (callback_edge of
// callback, iocp_uring_kernelpost of iocp_uring) shares its base's hue
// with the hollow form of its marker, so the two read as one family.

// Okabe–Ito colours.
var (
	okabeOrange    = color.NRGBA{0xE6, 0x9F, 0x00, 0xFF}
	okabeSkyBlue   = color.NRGBA{0x56, 0xB4, 0xE9, 0xFF}
	okabeGreen     = color.NRGBA{0x00, 0x9E, 0x73, 0xFF}
	okabeBlue      = color.NRGBA{0x00, 0x72, 0xB2, 0xFF}
	okabeVermilion = color.NRGBA{0xD5, 0x5E, 0x00, 0xFF}
	okabePurple    = color.NRGBA{0xCC, 0x79, 0xA7, 0xFF}
	otherGrey      = color.NRGBA{0x77, 0x77, 0x77, 0xFF}
)

// A look is a strategy's colour and marker.
type look struct {
	color color.Color
	shape draw.GlyphDrawer
}

// looks are the registered strategies' looks; any other column
// (impl=none, a strategy added later) is grey with a ring.
var looks = map[string]look{
	"goroutine":             {okabeBlue, draw.CircleGlyph{}},
	"callback":              {okabeOrange, draw.BoxGlyph{}},
	"callback_edge":         {okabeOrange, draw.SquareGlyph{}},
	"futures":               {okabeGreen, diamondGlyph{}},
	"iocp_uring":            {okabeVermilion, draw.PyramidGlyph{}},
	"iocp_uring_kernelpost": {okabeVermilion, draw.TriangleGlyph{}},
	"iocp_emulated":         {okabePurple, invertedPyramidGlyph{}},
	"thread":                {okabeSkyBlue, boldCrossGlyph{}},
}

// anchorGlyphs are the markers of a strategy's anchors, in the order of
// summary.AnchorPairs: thin or hollow, in the strategy's colour, so an
// anchor reads as a reference for the filled marker beside it.
var anchorGlyphs = []draw.GlyphDrawer{draw.RingGlyph{}, draw.PlusGlyph{}, draw.CrossGlyph{}}

// lookOf returns a strategy's look, or an anchor's: its strategy's colour
// with a thin marker.
func lookOf(strategy string) look {
	if l, ok := looks[strategy]; ok {
		return l
	}
	if pair, ok := summary.PairOf(strategy); ok {
		i := 0
		for _, p := range summary.AnchorPairs {
			if p.Anchor == strategy {
				break
			}
			if p.Strategy == pair.Strategy {
				i++
			}
		}
		return look{lookOf(pair.Strategy).color, anchorGlyphs[i%len(anchorGlyphs)]}
	}
	return look{otherGrey, draw.RingGlyph{}}
}

// glyph is the strategy's marker style.
func (l look) glyph() draw.GlyphStyle {
	return draw.GlyphStyle{Color: l.color, Radius: vg.Points(4), Shape: l.shape}
}

// Thumbnail implements plot.Thumbnailer: the marker, for legends.
func (l look) Thumbnail(c *draw.Canvas) {
	c.DrawGlyph(l.glyph(), c.Center())
}

// diamondGlyph is a filled diamond.
type diamondGlyph struct{}

// DrawGlyph implements draw.GlyphDrawer.
func (diamondGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius * 1.2
	c.FillPolygon(sty.Color, []vg.Point{{X: pt.X, Y: pt.Y + r}, {X: pt.X + r, Y: pt.Y}, {X: pt.X, Y: pt.Y - r}, {X: pt.X - r, Y: pt.Y}})
}

// boldCrossGlyph is an X drawn with thick strokes, as visible as the
// filled markers.
type boldCrossGlyph struct{}

// DrawGlyph implements draw.GlyphDrawer.
func (boldCrossGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius
	line := draw.LineStyle{Color: sty.Color, Width: vg.Points(2.4)}
	c.StrokeLine2(line, pt.X-r, pt.Y-r, pt.X+r, pt.Y+r)
	c.StrokeLine2(line, pt.X-r, pt.Y+r, pt.X+r, pt.Y-r)
}

// invertedPyramidGlyph is a filled triangle standing on its point.
type invertedPyramidGlyph struct{}

// DrawGlyph implements draw.GlyphDrawer.
func (invertedPyramidGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius * 1.15
	c.FillPolygon(sty.Color, []vg.Point{{X: pt.X - r, Y: pt.Y + r*0.6}, {X: pt.X + r, Y: pt.Y + r*0.6}, {X: pt.X, Y: pt.Y - r}})
}

// Chart geometry.
const (
	chartWidth     = 24 * vg.Centimeter
	legendWidth    = 5.4 * vg.Centimeter
	rowBand        = 0.3 * vg.Centimeter // height per strategy in a dot plot row
	minRowHeight   = 0.9 * vg.Centimeter
	chartFurniture = 3.2 * vg.Centimeter // title, axis and padding around the rows
	logRangeRatio  = 30                  // a value axis spanning more than this ratio is drawn on a log scale
)

// betterText says which way is better on a unit's axis.
func betterText(unit string) string {
	if higherIsBetter(unit) {
		return "higher is better →"
	}
	return "← lower is better"
}

// higherIsBetter reports whether a unit is better higher: rates.
func higherIsBetter(unit string) bool { return strings.HasSuffix(unit, "/s") }

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

// setValueAxis fits an axis to values (medians and interval ends,
// scaled): a log scale when they span more than logRangeRatio (or when
// forceLog), else a linear one from zero. The label says which way is
// better for unit.
func setValueAxis(ax *plot.Axis, values []float64, label, unit string, forceLog bool) {
	var positive []float64
	for _, v := range values {
		if v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) {
			positive = append(positive, v)
		}
	}
	ax.Label.Text = label + " · " + betterText(unit)
	if len(positive) == 0 {
		return
	}
	lo, hi := slices.Min(positive), slices.Max(positive)
	if forceLog || wideRange(positive) {
		ax.Scale = plot.LogScale{}
		ax.Tick.Marker = plot.LogTicks{Prec: -1}
		ax.Min, ax.Max = lo/1.6, hi*1.6
		ax.Label.Text = label + ", log scale · " + betterText(unit)
		if len(label) > 24 {
			ax.Label.Text = label + ", log · " + betterText(unit)
		}
		return
	}
	ax.Min, ax.Max = 0, hi*1.08
}

// isLog reports whether an axis has a log scale.
func isLog(ax *plot.Axis) bool {
	_, ok := ax.Scale.(plot.LogScale)
	return ok
}

// clampToAxis keeps a value on an axis's range, for interval ends that
// fall off a log axis (at or below zero) or past its ends.
func clampToAxis(ax *plot.Axis, v float64) float64 {
	return math.Min(math.Max(v, ax.Min), ax.Max)
}

// outsideLegend draws a legend in a strip to the right of the plot area:
// it returns the canvas left for the plot.
func outsideLegend(c draw.Canvas, l plot.Legend) draw.Canvas {
	// The left margin leaves room for row names drawn in a wider
	// fallback font than the one their widths were measured in.
	plotArea := draw.Crop(c, 0.6*vg.Centimeter, -legendWidth, 0, 0)
	strip := draw.Crop(c, c.Size().X-legendWidth+0.3*vg.Centimeter, 0, 0, -1.2*vg.Centimeter)
	l.Top, l.Left = true, true
	l.Draw(strip)
	return plotArea
}

// chartFont is the charts' typeface: a sans serif, metric-compatible
// with Arial and Helvetica, so labels keep their measured widths in
// most viewers.
func chartFont(size vg.Length) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
}

// newLegend is a legend in the charts' text style.
func newLegend() plot.Legend {
	l := plot.NewLegend()
	l.TextStyle.Font = chartFont(vg.Points(10))
	l.ThumbnailWidth = vg.Points(14)
	l.Padding = vg.Points(2)
	return l
}

// newPlot is a plot with the charts' title and text sizes.
func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = chartFont(vg.Points(12))
	p.Title.Padding = vg.Points(6)
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = chartFont(vg.Points(10))
		ax.Tick.Label.Font = chartFont(vg.Points(9))
	}
	return p
}

// drawPlot draws p on c. A log-scaled y axis has its label drawn here,
// centred on the canvas's left edge: gonum places the label's box at the
// arithmetic middle of the axis's range, near the top of a log axis,
// and squeezes the data area to make room for it.
func drawPlot(p *plot.Plot, c draw.Canvas) {
	if !isLog(&p.Y) || p.Y.Label.Text == "" {
		p.Draw(c)
		return
	}
	label, sty := p.Y.Label.Text, p.Y.Label.TextStyle
	p.Y.Label.Text = ""
	defer func() { p.Y.Label.Text = label }()
	h := sty.Height(label)
	sty.Rotation = math.Pi / 2
	sty.XAlign, sty.YAlign = text.XCenter, text.YTop
	c.FillText(sty, vg.Point{X: c.Min.X, Y: c.Min.Y + c.Size().Y/2}, label)
	p.Draw(draw.Crop(c, h+vg.Points(4), 0, 0, 0))
}
