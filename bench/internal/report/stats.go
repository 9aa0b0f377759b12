// Package report holds benchmark results and writes them: the results
// file (docs/bench/results.json), the page (docs/benchmarks.md) with a
// table per scenario, and a chart per scenario (docs/bench/NAME.png).
package report

import (
	"slices"
)

// Median returns the median of xs.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Spread returns (max-min)/median of xs, as a fraction.
func Spread(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	m := Median(xs)
	if m == 0 {
		return 0
	}
	return (slices.Max(xs) - slices.Min(xs)) / m
}
