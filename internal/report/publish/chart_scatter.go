package publish

import (
	"fmt"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"iostrat/internal/report/summary"
)

// scatterChart draws the overview's two measures against each other,
// one labelled point per strategy with its intervals both ways, on log
// axes: where each model sits between cheap dispatch and cheap wakes.
func scatterChart(spec ChartSpec) (chart, error) {
	if len(spec.Axes) != 2 {
		return chart{}, fmt.Errorf("a scatter chart needs two measures, has %d", len(spec.Axes))
	}
	x, y := spec.Axes[0], spec.Axes[1]
	var xs, ys []float64
	for _, st := range spec.Strategies {
		cx, _ := x.Cell(st)
		cy, _ := y.Cell(st)
		xs, ys = append(xs, cx.Summary.Center), append(ys, cy.Summary.Center)
	}
	sx, sy := scaleFor(x.Row.Headline, xs), scaleFor(y.Row.Headline, ys)
	p := newPlot("Dispatch cost against wake cost (median, 95% CI)")
	var xv, yv []float64
	for _, st := range spec.Strategies {
		cx, _ := x.Cell(st)
		cy, _ := y.Cell(st)
		s := newSeries(st)
		vx, xlo, xhi := scaledPoint(cx, sx)
		vy, ylo, yhi := scaledPoint(cy, sy)
		s.points = []point{{x: vx, xLo: xlo, xHi: xhi, y: vy, yLo: ylo, yHi: yhi, label: summary.ColumnLabel(st), labelBelow: crowded(vx, vy, xv, yv)}}
		xv, yv = append(xv, vx, xlo, xhi), append(yv, vy, ylo, yhi)
		p.Add(s)
	}
	setValueAxis(&p.X, xv, x.Label+", "+sx.label, x.Row.Headline, true)
	setValueAxis(&p.Y, yv, y.Label+", "+sy.label, y.Row.Headline, true)
	p.X.Max *= 2.5 // room for the labels right of the points
	grid := plotter.NewGrid()
	grid.Vertical = draw.LineStyle{Color: colorGrid, Width: vg.Points(0.5), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}}
	grid.Horizontal = grid.Vertical
	p.Add(grid)
	return chart{16 * vg.Centimeter, 13 * vg.Centimeter, func(c draw.Canvas) { drawPlot(p, draw.Crop(c, vg.Points(4), 0, 0, 0)) }}, nil
}

// crowded reports whether a point at x, y sits where an earlier point's
// label would run into its own: at about the same height, less than a
// label's width to the right of it (on log axes, in ratios). xs and ys
// hold the earlier points as median, low, high triples.
func crowded(x, y float64, xs, ys []float64) bool {
	for i := 0; i+2 < len(xs); i += 3 {
		rx, ry := x/xs[i], y/ys[i]
		if rx > 0.25 && rx < 8 && ry > 0.7 && ry < 1.45 {
			return true
		}
	}
	return false
}
