package report

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// Run describes the bench run that last rewrote the page.
type Run struct {
	Command  string  `json:"command"`
	Date     string  `json:"date"`
	Machine  string  `json:"machine"`
	Commit   string  `json:"commit"`
	Seconds  float64 `json:"seconds"`
	Duration string  `json:"duration"`
	Runs     int     `json:"runs"`
	// Scenarios are the names it ran.
	Scenarios []string `json:"scenarios"`
}

// Page writes docs/benchmarks.md: an introduction, a summary of every
// scenario, the hot spots of the slowest ratio, then a section per
// scenario. charts maps a scenario to its chart's path relative to the
// page.
func Page(run Run, results []*Scenario, charts map[string]string) string {
	var b strings.Builder
	b.WriteString("# Benchmarks\n\n<!-- Written by bench/run (make bench): edit bench/internal/report, not this file. -->\n\n")
	fmt.Fprintf(&b, "Every figure on this page comes from `make bench` (`go run ./bench/run`), which runs each scenario against a "+
		"reference doing the same job, in the same run: sluice and the reference take turns, %d runs of %s each unless a "+
		"section says otherwise, and each figure is the median over the runs. Real tools load the servers where they exist "+
		"(h2load for HTTP/1.1 and h2c), small Go load generators in bench/ elsewhere; Kafka is real Apache Kafka 4.3.1 on "+
		"the same machine (scripts/kafka.sh).\n\n", run.Runs, run.Duration)
	fmt.Fprintf(&b, "Last run of the default set: %s, `%s`, %s wall time for %s (Kafka's start and the builds included). "+
		"Machine: %s. Commit: %s (\"-dirty\": with the uncommitted changes of the shared working tree). A section rerun on its "+
		"own since says so in its last line.\n\n",
		run.Date, run.Command, wall(run.Seconds), plural(len(run.Scenarios), "scenario"), run.Machine, run.Commit)
	b.WriteString("How to read the tables:\n\n" +
		"- **median (spread)**: the median over the runs, and (max - min) / median in parentheses: how much the runs disagreed.\n" +
		"- **ratio**: sluice / reference. Where both were measured run by run, it is the median of the runs' ratios, each taken " +
		"from two measurements back to back, which cancels much of the machine's drift. Read it with the measure's direction: " +
		"(↑) higher is better (throughput), (↓) lower is better (latency, CPU, memory). Added latency is a difference, not a ratio.\n" +
		"- **load**: the machine's one-minute load average before and after each scenario. The machine has two cores, shared " +
		"by the load generators, Kafka, sluice, the reference and whatever else runs on it: absolute figures move with that, " +
		"ratios and CPU per operation much less.\n" +
		"- Each scenario's command reruns it alone; `-profile DIR` also saves the CPU and allocation profiles of its sluice process.\n\n")

	b.WriteString("## Summary\n\n| scenario | measure | sluice | reference | ratio | target | |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, s := range results {
		if s.Error != "" {
			fmt.Fprintf(&b, "| [%s](#%s) | | | | | | failed: %s |\n", s.Name, anchor(s), oneLine(s.Error))
			continue
		}
		verdicts := s.Verdicts()
		if len(verdicts) == 0 {
			if m, ok := s.Headline(); ok {
				fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s | %s | none set | |\n", s.Name, anchor(s), label(m),
					m.Cell(m.Sluice), m.Cell(m.Reference), bold(m.Comparison()))
			}
			continue
		}
		for _, v := range verdicts {
			mark := "met"
			if !v.Met {
				mark = "**below**"
			}
			fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s | %s | %s | %s |\n", s.Name, anchor(s), label(v.Measure),
				v.Measure.Cell(v.Measure.Sluice), v.Measure.Cell(v.Measure.Reference), bold(v.Measure.Comparison()), v.Target.Text, mark)
		}
	}
	b.WriteString("\n")
	writeSlowest(&b, results)
	for _, s := range results {
		writeScenario(&b, s, charts[s.Name])
	}
	return b.String()
}

// WritePage writes the page to path.
func WritePage(path string, run Run, results []*Scenario, charts map[string]string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(Page(run, results, charts)), 0o644)
}

// Slowest returns the scenario with the lowest headline ratio among those
// whose headline is higher-is-better, and that ratio.
func Slowest(results []*Scenario) (*Scenario, float64) {
	var slowest *Scenario
	best := math.Inf(1)
	for _, s := range results {
		m, ok := s.Headline()
		if s.Error != "" || !ok || m.Lower || m.Diff {
			continue
		}
		if r := m.Ratio(); !math.IsNaN(r) && r < best {
			slowest, best = s, r
		}
	}
	return slowest, best
}

func writeSlowest(b *strings.Builder, results []*Scenario) {
	s, ratio := Slowest(results)
	if s == nil {
		return
	}
	m, _ := s.Headline()
	fmt.Fprintf(b, "## Where the time goes in the slowest ratio\n\nThe lowest throughput ratio is [%s](#%s), %s: **%.2f** of the reference's.",
		s.Name, anchor(s), m.Label, ratio)
	h := s.Hotspots
	if h == nil {
		b.WriteString(" It was not profiled in its last run: rerun it with `-profile DIR` to name its hot spots.\n\n")
		return
	}
	fmt.Fprintf(b, " Its sluice process's CPU profile (%.1f s of CPU sampled over the whole scenario) splits as %s.\n\n",
		h.Seconds, shares(h.Categories, 6))
	b.WriteString("The three hot spots, and what could be done:\n\n")
	for i, spot := range h.Spots {
		fmt.Fprintf(b, "%d. **%s**, %.0f%% of the CPU time", i+1, spot.Kind, spot.Percent)
		if len(spot.Where) > 0 {
			if spot.WhereAllocs {
				fmt.Fprintf(b, "; of the %.0f MB allocated, the most under %s", h.AllocMB, functions(spot.Where, 3))
			} else {
				fmt.Fprintf(b, ", under %s", functions(spot.Where, 3))
			}
		}
		fmt.Fprintf(b, ". %s\n", spot.Hint)
	}
	if len(h.Top) > 0 {
		fmt.Fprintf(b, "\nFunctions with the most CPU time of their own: %s.", functions(h.Top, 5))
	}
	b.WriteString(" The profiles are saved for `go tool pprof` (the command names the folder); percentages under a function count " +
		"the time, or bytes, of the stacks whose innermost sluice function it is.\n\n")
}

func writeScenario(b *strings.Builder, s *Scenario, chart string) {
	fmt.Fprintf(b, "## %s\n\n", s.Name)
	if s.Title != "" {
		fmt.Fprintf(b, "**%s.** ", s.Title)
	}
	if s.Setup != "" {
		b.WriteString(strings.TrimSpace(s.Setup) + "\n\n")
	}
	if s.Error != "" {
		fmt.Fprintf(b, "The last run (%s) failed: `%s`.\n\n", s.Date, oneLine(s.Error))
		return
	}
	if chart != "" {
		fmt.Fprintf(b, "![%s: sluice and reference, run by run](%s)\n\n", s.Name, chart)
	}
	ref := s.Reference
	if ref == "" {
		ref = "reference"
	}
	fmt.Fprintf(b, "| measure | sluice | %s | ratio |\n| --- | --- | --- | --- |\n", ref)
	for i, m := range s.Measures {
		comparison := m.Comparison()
		if i == 0 || hasTarget(s, m.Key) {
			comparison = bold(comparison)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", label(m), m.Cell(m.Sluice), m.Cell(m.Reference), comparison)
	}
	b.WriteString("\n")
	for _, v := range s.Verdicts() {
		mark := "met"
		if !v.Met {
			mark = "**below target**"
		}
		fmt.Fprintf(b, "Target: %s: %s (%s).\n\n", v.Target.Text, mark, v.Figure)
	}
	for _, n := range s.Notes {
		b.WriteString(strings.TrimSpace(n) + "\n\n")
	}
	if h := s.Hotspots; h != nil {
		fmt.Fprintf(b, "Profile of sluice over the scenario (%.1f s of CPU): %s. Most CPU of their own: %s.",
			h.Seconds, shares(h.Categories, 6), functions(h.Top, 3))
		if len(h.Allocs) > 0 {
			fmt.Fprintf(b, " Most bytes allocated (%.0f MB) under %s.", h.AllocMB, functions(h.Allocs, 3))
		}
		b.WriteString("\n\n")
	}
	fmt.Fprintf(b, "Ran %s on %s, commit %s, in %s; load %s before, %s after. Command: `%s`.\n\n",
		s.Date, s.Machine, s.Commit, wall(s.Seconds), s.LoadBefore, s.LoadAfter, s.Command)
}

func hasTarget(s *Scenario, key string) bool {
	for _, t := range s.Targets {
		if t.Measure == key {
			return true
		}
	}
	return false
}

// label writes a measure's label with its unit and direction.
func label(m Measure) string {
	dir := "↑"
	if m.Lower {
		dir = "↓"
	}
	if m.Unit == "" {
		return fmt.Sprintf("%s (%s)", m.Label, dir)
	}
	return fmt.Sprintf("%s, %s (%s)", m.Label, m.Unit, dir)
}

func shares(cs []Share, n int) string {
	var parts []string
	for _, c := range cs[:min(n, len(cs))] {
		parts = append(parts, fmt.Sprintf("%s %.0f%%", c.Name, c.Percent))
	}
	return strings.Join(parts, ", ")
}

func functions(hs []Hotspot, n int) string {
	var parts []string
	for _, h := range hs[:min(n, len(hs))] {
		if h.Function == Outside {
			parts = append(parts, fmt.Sprintf("%s %.1f%%", h.Function, h.Percent))
			continue
		}
		parts = append(parts, fmt.Sprintf("`%s` %.1f%%", short(h.Function), h.Percent))
	}
	return strings.Join(parts, ", ")
}

// bold makes a figure bold, leaving an empty one empty.
func bold(s string) string {
	if s == "" {
		return ""
	}
	return "**" + s + "**"
}

// short drops the module path from sluice's own functions.
func short(fn string) string { return strings.TrimPrefix(fn, "github.com/sluicehq/sluice/") }

// anchor is the heading's anchor as GitHub writes it: lower case, dots
// dropped.
func anchor(s *Scenario) string {
	return strings.Map(func(r rune) rune {
		if r == '.' {
			return -1
		}
		return r
	}, strings.ToLower(s.Name))
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

func wall(seconds float64) string {
	if seconds >= 60 {
		return fmt.Sprintf("%dm%02ds", int(seconds)/60, int(seconds)%60)
	}
	return fmt.Sprintf("%.0fs", seconds)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
