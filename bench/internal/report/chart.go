package report

import (
	"fmt"
	"image/color"
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

var (
	sluiceColor    = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	referenceColor = color.RGBA{R: 0xbb, G: 0xbb, B: 0xbb, A: 0xff}
	runColor       = color.RGBA{A: 0xff}
	targetColor    = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
)

// Chart draws a scenario as a PNG: a panel per measure, sluice's and the
// reference's medians as bars side by side, every run as a dot, and the
// target as a dashed line where one is set.
func Chart(s *Scenario, path string) error {
	var panels []*plot.Plot
	for _, m := range s.Measures {
		p, err := panel(s, m)
		if err != nil {
			return err
		}
		panels = append(panels, p)
	}
	if len(panels) == 0 {
		return fmt.Errorf("%s: nothing to chart", s.Name)
	}
	cols := min(len(panels), 4)
	rows := (len(panels) + cols - 1) / cols
	const panelW, panelH, titleH = 2.7 * vg.Inch, 2.4 * vg.Inch, 0.4 * vg.Inch
	img := vgimg.NewWith(vgimg.UseWH(vg.Length(cols)*panelW, vg.Length(rows)*panelH+titleH), vgimg.UseDPI(96))
	dc := draw.New(img)
	title := text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, 13), Handler: plot.DefaultTextHandler,
		XAlign: draw.XCenter, YAlign: draw.YTop}
	dc.FillText(title, vg.Point{X: dc.Max.X / 2, Y: dc.Max.Y - 6}, fmt.Sprintf("%s: sluice (blue) and %s (grey), %s", s.Name, referenceName(s), s.Date))
	body := draw.Crop(dc, 0, 0, 0, -titleH)
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
		for c := range grid[r] {
			if i := r*cols + c; i < len(panels) {
				grid[r][c] = panels[i]
			}
		}
	}
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 2, PadY: vg.Millimeter * 2,
		PadTop: vg.Millimeter, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(grid, tiles, body)
	for r := range grid {
		for c := range grid[r] {
			if grid[r][c] != nil {
				grid[r][c].Draw(canvases[r][c])
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func referenceName(s *Scenario) string {
	if s.Reference != "" {
		return s.Reference
	}
	return "reference"
}

// panel draws one measure.
func panel(s *Scenario, m Measure) (*plot.Plot, error) {
	p := plot.New()
	dir := "higher is better"
	if m.Lower {
		dir = "lower is better"
	}
	p.Title.Text = m.Key
	p.Title.TextStyle.Font.Size = 11
	p.Y.Label.Text = fmt.Sprintf("%s (%s)", m.Unit, dir)
	p.Y.Label.TextStyle.Font.Size = 9
	p.Y.Tick.Label.Font.Size = 8
	p.X.Tick.Label.Font.Size = 9
	const width = 28
	top := 0.0
	sides := []struct {
		name   string
		values []float64
		color  color.Color
	}{{"sluice", m.Sluice, sluiceColor}, {referenceName(s), m.Reference, referenceColor}}
	var names []string
	for i, side := range sides {
		names = append(names, shortName(side.name))
		if len(side.values) == 0 {
			continue
		}
		bar, err := plotter.NewBarChart(plotter.Values{Median(side.values)}, vg.Points(width))
		if err != nil {
			return nil, err
		}
		bar.XMin = float64(i)
		bar.Color = side.color
		bar.LineStyle.Width = 0
		p.Add(bar)
		runs := make(plotter.XYs, len(side.values))
		for j, v := range side.values {
			runs[j] = plotter.XY{X: float64(i), Y: v}
			top = math.Max(top, v)
		}
		dots, err := plotter.NewScatter(runs)
		if err != nil {
			return nil, err
		}
		dots.GlyphStyle.Color = runColor
		dots.GlyphStyle.Radius = vg.Points(2)
		p.Add(dots)
	}
	p.NominalX(names...)
	for _, t := range s.Targets {
		if t.Measure != m.Key {
			continue
		}
		y := math.NaN()
		switch t.Kind {
		case RatioAtLeast:
			y = t.Value * Median(m.Reference)
		case DifferenceBelow:
			y = Median(m.Reference) + t.Value
		case ValueBelow:
			y = t.Value
		}
		if math.IsNaN(y) || math.IsInf(y, 0) {
			continue
		}
		line, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: y}, {X: 1.5, Y: y}})
		if err != nil {
			return nil, err
		}
		line.Color = targetColor
		line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(line)
		top = math.Max(top, y)
	}
	p.X.Min, p.X.Max = -0.6, 1.6
	p.Y.Min, p.Y.Max = math.Min(0, minOf(m)), top*1.1
	if p.Y.Max <= p.Y.Min {
		p.Y.Max = p.Y.Min + 1
	}
	return p, nil
}

func minOf(m Measure) float64 {
	lo := 0.0
	for _, v := range append(append([]float64{}, m.Sluice...), m.Reference...) {
		lo = math.Min(lo, v)
	}
	return lo * 1.1
}

// shortName keeps an axis label short.
func shortName(s string) string {
	if len(s) > 18 {
		return s[:17] + "…"
	}
	return s
}
