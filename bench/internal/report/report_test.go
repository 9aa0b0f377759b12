package report

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sample() *Scenario {
	return &Scenario{
		Name: "tcp.echo", Title: "tcp echo", Reference: "plain Go",
		Measures: []Measure{
			{Key: "throughput", Label: "Throughput", Unit: "MiB/s", Sluice: []float64{800, 900, 700}, Reference: []float64{1000, 1000, 1000}},
			{Key: "p99", Label: "Round trip p99", Unit: "µs", Lower: true, Sluice: []float64{40, 50, 60}, Reference: []float64{30, 30, 30}},
			{Key: "added p50", Label: "Added p50", Unit: "µs", Lower: true, Diff: true, Sluice: []float64{1500, 1600, 1700}, Reference: []float64{1000, 1000, 1000}},
			{Key: "only sluice", Label: "Only sluice", Unit: "MiB", Lower: true, Sluice: []float64{25}},
		},
		Targets: []Target{
			{Measure: "throughput", Kind: RatioAtLeast, Value: 0.8, Text: "at least 0.8"},
			{Measure: "added p50", Kind: DifferenceBelow, Value: 500, Text: "under 0.5 ms added"},
			{Measure: "p99", Kind: ValueBelow, Value: 45, Text: "p99 under 45 µs"},
		},
		Date: "2026-11-22",
	}
}

func TestMeasureRatioIsTheMedianOfPairedRuns(t *testing.T) {
	m := sample().Measures[0]
	if r := m.Ratio(); math.Abs(r-0.8) > 1e-9 {
		t.Errorf("ratio %v, want 0.8 (the median of 0.8, 0.9, 0.7)", r)
	}
	unpaired := Measure{Sluice: []float64{10, 20, 30}, Reference: []float64{40}}
	if r := unpaired.Ratio(); math.Abs(r-0.5) > 1e-9 {
		t.Errorf("unpaired ratio %v, want 20/40", r)
	}
	if r := (Measure{Sluice: []float64{1}}).Ratio(); !math.IsNaN(r) {
		t.Errorf("one-sided ratio %v, want NaN", r)
	}
}

func TestTargets(t *testing.T) {
	s := sample()
	got := map[string]bool{}
	for _, v := range s.Verdicts() {
		got[v.Target.Measure] = v.Met
	}
	want := map[string]bool{"throughput": true, "added p50": false, "p99": false}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("target on %s met=%v, want %v", k, got[k], w)
		}
	}
}

func TestPageNamesEveryScenarioAndTheSlowest(t *testing.T) {
	a, b := sample(), sample()
	b.Name = "http.echo"
	b.Measures[0].Sluice = []float64{300, 300, 300}
	b.Hotspots = &Hotspots{Seconds: 10, Categories: []Share{{Name: "system calls", Percent: 50}},
		Spots: []Spot{{Kind: "system calls", Percent: 50, Hint: "batch writes.",
			Where: []Hotspot{{Function: "github.com/sluicehq/sluice/bindings/tcp.(*conn).write", Percent: 40}}}},
		Top: []Hotspot{{Function: "syscall.Syscall6", Percent: 40}, {Function: "runtime.futex", Percent: 10}}}
	page := Page(Run{Command: "make bench", Runs: 3, Duration: "5s"}, []*Scenario{a, b}, map[string]string{"tcp.echo": "bench/tcp.echo.png"})
	for _, want := range []string{"[tcp.echo](#tcpecho)", "[http.echo](#httpecho)", "**0.80**", "**below**", "bench/tcp.echo.png",
		"The lowest throughput ratio is [http.echo](#httpecho)", "1. **system calls**, 50% of the CPU time, under `bindings/tcp.(*conn).write` 40.0%. batch writes."} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestChartIsAPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.png")
	if err := Chart(sample(), path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 200 {
		t.Errorf("chart is %v", b)
	}
	if os.Getenv("CHART_OUT") != "" {
		data, _ := os.ReadFile(path)
		os.WriteFile(os.Getenv("CHART_OUT"), data, 0o644)
	}
}
