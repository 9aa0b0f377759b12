package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Scenario is one scenario's result: what ran, the measures of sluice and
// of its reference run by run, the targets, and where and when it ran.
type Scenario struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	// Setup says in markdown what runs against what, and how it is loaded.
	Setup string `json:"setup"`
	// Reference is the reference column's heading.
	Reference string `json:"reference"`
	// Measures come first the headline, then the others.
	Measures []Measure `json:"measures"`
	Targets  []Target  `json:"targets,omitempty"`
	// Notes are markdown paragraphs printed under the table.
	Notes []string `json:"notes,omitempty"`

	Command    string    `json:"command"`
	Machine    string    `json:"machine"`
	Commit     string    `json:"commit"`
	Date       string    `json:"date"`
	LoadBefore string    `json:"loadBefore"`
	LoadAfter  string    `json:"loadAfter"`
	Seconds    float64   `json:"seconds"`
	Error      string    `json:"error,omitempty"`
	Hotspots   *Hotspots `json:"hotspots,omitempty"`
}

// Measure is one figure of a scenario, measured once per run on each
// side.
type Measure struct {
	// Key names the measure for targets and the chart.
	Key string `json:"key"`
	// Label is the table's wording.
	Label string `json:"label"`
	Unit  string `json:"unit"`
	// Lower says lower is better (latency, CPU, memory).
	Lower bool `json:"lower,omitempty"`
	// Diff compares by difference (sluice minus reference) instead of
	// ratio, for latency added.
	Diff bool `json:"diff,omitempty"`
	// Digits is how many decimals figures get.
	Digits int `json:"digits,omitempty"`
	// Sluice and Reference hold one value per run; either may be empty
	// when a side has no such figure.
	Sluice    []float64 `json:"sluice"`
	Reference []float64 `json:"reference"`
}

// Paired says whether the measure has one value per run on both sides,
// measured back to back, so that ratios are taken run by run.
func (m Measure) Paired() bool {
	return len(m.Sluice) > 0 && len(m.Sluice) == len(m.Reference)
}

// Ratios returns sluice/reference run by run for a paired measure.
func (m Measure) Ratios() []float64 {
	if !m.Paired() {
		return nil
	}
	out := make([]float64, 0, len(m.Sluice))
	for i := range m.Sluice {
		if m.Reference[i] != 0 {
			out = append(out, m.Sluice[i]/m.Reference[i])
		}
	}
	return out
}

// Ratio is sluice/reference: the median of the runs' ratios when the
// sides were measured in pairs (each pair saw the same machine), the
// ratio of the medians otherwise. NaN when a side is missing.
func (m Measure) Ratio() float64 {
	if r := m.Ratios(); len(r) > 0 {
		return Median(r)
	}
	if len(m.Sluice) == 0 || len(m.Reference) == 0 || Median(m.Reference) == 0 {
		return math.NaN()
	}
	return Median(m.Sluice) / Median(m.Reference)
}

// Difference is sluice minus reference: the median of the runs'
// differences for a paired measure, of the medians otherwise.
func (m Measure) Difference() float64 {
	if m.Paired() {
		d := make([]float64, len(m.Sluice))
		for i := range d {
			d[i] = m.Sluice[i] - m.Reference[i]
		}
		return Median(d)
	}
	return Median(m.Sluice) - Median(m.Reference)
}

// Format writes a value of the measure with its decimals.
func (m Measure) Format(v float64) string {
	return formatNumber(v, m.Digits)
}

// Cell writes one side's median and spread, or nothing for a missing side.
func (m Measure) Cell(xs []float64) string {
	if len(xs) == 0 {
		return ""
	}
	if len(xs) == 1 {
		return m.Format(xs[0])
	}
	return fmt.Sprintf("%s (%.0f%%)", m.Format(Median(xs)), 100*Spread(xs))
}

// Comparison writes the ratio or the difference.
func (m Measure) Comparison() string {
	if m.Diff {
		if len(m.Sluice) == 0 || len(m.Reference) == 0 {
			return ""
		}
		return fmt.Sprintf("%+.*f %s", m.Digits, m.Difference(), m.Unit)
	}
	r := m.Ratio()
	if math.IsNaN(r) {
		return ""
	}
	return fmt.Sprintf("%.2f", r)
}

// formatNumber writes v with digits decimals and thin groups of thousands.
func formatNumber(v float64, digits int) string {
	s := fmt.Sprintf("%.*f", digits, v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// Target kinds.
const (
	// RatioAtLeast: sluice/reference must be at least Value.
	RatioAtLeast = "ratio-at-least"
	// DifferenceBelow: sluice minus reference must stay under Value.
	DifferenceBelow = "difference-below"
	// ValueBelow: sluice's own figure must stay under Value.
	ValueBelow = "value-below"
)

// Target is a goal set by an earlier issue for one measure.
type Target struct {
	Measure string  `json:"measure"`
	Kind    string  `json:"kind"`
	Value   float64 `json:"value"`
	// Text states the goal in words.
	Text string `json:"text"`
}

// Check returns the figure the target judges and whether it is met.
func (t Target) Check(m Measure) (string, bool) {
	switch t.Kind {
	case RatioAtLeast:
		r := m.Ratio()
		return fmt.Sprintf("%.2f", r), r >= t.Value
	case DifferenceBelow:
		d := m.Difference()
		return fmt.Sprintf("%+.*f %s", m.Digits, d, m.Unit), d < t.Value
	case ValueBelow:
		v := Median(m.Sluice)
		return fmt.Sprintf("%s %s", m.Format(v), m.Unit), v < t.Value
	}
	return "", false
}

// Measure returns the measure called key.
func (s *Scenario) Measure(key string) (Measure, bool) {
	i := slices.IndexFunc(s.Measures, func(m Measure) bool { return m.Key == key })
	if i < 0 {
		return Measure{}, false
	}
	return s.Measures[i], true
}

// Verdict is a target checked against a scenario's result.
type Verdict struct {
	Target  Target
	Measure Measure
	Figure  string
	Met     bool
}

// Verdicts checks every target of the scenario.
func (s *Scenario) Verdicts() []Verdict {
	var out []Verdict
	for _, t := range s.Targets {
		m, ok := s.Measure(t.Measure)
		if !ok {
			continue
		}
		fig, met := t.Check(m)
		out = append(out, Verdict{Target: t, Measure: m, Figure: fig, Met: met})
	}
	return out
}

// Headline returns the measure the summary shows for a scenario without
// targets: the first one.
func (s *Scenario) Headline() (Measure, bool) {
	if len(s.Measures) == 0 {
		return Measure{}, false
	}
	return s.Measures[0], true
}
