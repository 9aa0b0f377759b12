// Package profile reads the CPU and allocation profiles a benchmark saved
// of a sluice process (`go tool pprof -traces`) and says where the time
// goes: a split by kind of work (system calls, scheduling, allocation and
// GC, then by package), the sluice code each kind happens under, the
// functions with the most time, and what could be done.
package profile

import (
	"cmp"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/bench/internal/report"
)

// Trace is one stack of a profile and its value: seconds of CPU, or
// megabytes allocated.
type Trace struct {
	Value float64
	// Frames are function names, innermost first.
	Frames []string
}

// Traces runs `go tool pprof -traces` on a profile. sampleIndex selects
// the sample type (alloc_space for allocations), or "" for the default;
// base, when set, is a profile to subtract.
func Traces(path, sampleIndex, base string) ([]Trace, error) {
	args := []string{"tool", "pprof", "-traces"}
	if sampleIndex != "" {
		args = append(args, "-sample_index="+sampleIndex)
	}
	if base != "" {
		args = append(args, "-base", base)
	}
	out, err := exec.Command("go", append(args, path)...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		return nil, fmt.Errorf("go tool pprof -traces %s: %w %s", path, err, msg)
	}
	return parseTraces(string(out))
}

// parseTraces reads `pprof -traces` output: blocks separated by dashed
// lines, each a value and the innermost function on its first line, then
// the callers, one a line.
func parseTraces(out string) ([]Trace, error) {
	var traces []Trace
	var cur *Trace
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "-----------+") {
			cur = nil
			continue
		}
		if !strings.HasPrefix(line, " ") || strings.TrimSpace(line) == "" {
			continue // the header, or the end
		}
		if cur == nil {
			f := strings.Fields(line)
			if len(f) < 2 || strings.HasSuffix(f[0], ":") {
				continue // a sample's labels ("bytes:  64B") come before it
			}
			v, err := value(f[0])
			if err != nil {
				return nil, err
			}
			traces = append(traces, Trace{Value: v})
			cur = &traces[len(traces)-1]
			line = strings.TrimSpace(line)[len(f[0]):]
		}
		cur.Frames = append(cur.Frames, strings.TrimSuffix(strings.TrimSpace(line), " (inline)"))
	}
	return traces, nil
}

// value converts a pprof figure to seconds (time units) or megabytes
// (byte units).
func value(s string) (float64, error) {
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' && r != '-' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], s[i:]
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("pprof value %q: %w", s, err)
	}
	scale, ok := map[string]float64{
		"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "mins": 60, "hrs": 3600,
		"B": 1.0 / (1 << 20), "kB": 1.0 / (1 << 10), "MB": 1, "GB": 1 << 10, "TB": 1 << 20, "": 1,
	}[unit]
	if !ok {
		return 0, fmt.Errorf("pprof unit %q", unit)
	}
	return v * scale, nil
}

// innermostSluice returns the innermost frame of sluice's own code, or "".
func innermostSluice(frames []string) string {
	for _, f := range frames {
		if strings.HasPrefix(f, module) {
			return f
		}
	}
	return ""
}

// outside names the work no sluice function is on the stack of.
const outside = report.Outside

// Analyze reads a scenario's CPU profile, and its allocation profile if
// mem is set (less memBase if set), into the page's hot spots.
func Analyze(cpu, mem, memBase string) (*report.Hotspots, error) {
	traces, err := Traces(cpu, "", "")
	if err != nil {
		return nil, err
	}
	h := &report.Hotspots{CPU: cpu, Mem: mem}
	flat := map[string]float64{}
	byKind := map[string]float64{}
	under := map[string]map[string]float64{} // kind -> innermost sluice function -> seconds
	for _, t := range traces {
		if len(t.Frames) == 0 {
			continue
		}
		h.Seconds += t.Value
		flat[t.Frames[0]] += t.Value
		kind := Category(t.Frames[0])
		byKind[kind] += t.Value
		fn := innermostSluice(t.Frames)
		if fn == "" {
			fn = outside
		}
		if under[kind] == nil {
			under[kind] = map[string]float64{}
		}
		under[kind][fn] += t.Value
	}
	if h.Seconds == 0 {
		return h, nil
	}
	pct := func(v float64) float64 { return 100 * v / h.Seconds }
	for name, secs := range byKind {
		h.Categories = append(h.Categories, report.Share{Name: name, Seconds: secs, Percent: pct(secs)})
	}
	slices.SortFunc(h.Categories, func(a, b report.Share) int { return cmp.Compare(b.Seconds, a.Seconds) })
	for _, e := range largest(flat, 10) {
		h.Top = append(h.Top, report.Hotspot{Function: e.fn, Value: e.v, Percent: pct(e.v), Hint: Hint(e.fn)})
	}
	if mem != "" {
		allocs, err := Traces(mem, "alloc_space", memBase)
		if err != nil {
			return nil, err
		}
		bySluice := map[string]float64{}
		for _, t := range allocs {
			h.AllocMB += t.Value
			if fn := innermostSluice(t.Frames); fn != "" {
				bySluice[fn] += t.Value
			} else {
				bySluice[outside] += t.Value
			}
		}
		for _, e := range largest(bySluice, 10) {
			if h.AllocMB > 0 {
				h.Allocs = append(h.Allocs, report.Hotspot{Function: e.fn, Value: e.v, Percent: 100 * e.v / h.AllocMB})
			}
		}
	}
	for _, c := range h.Categories[:min(3, len(h.Categories))] {
		spot := report.Spot{Kind: c.Name, Percent: c.Percent}
		if c.Name == kindAlloc && len(h.Allocs) > 0 {
			spot.Where, spot.WhereAllocs = h.Allocs[:min(3, len(h.Allocs))], true
		} else {
			for _, e := range largest(under[c.Name], 3) {
				spot.Where = append(spot.Where, report.Hotspot{Function: e.fn, Value: e.v, Percent: pct(e.v)})
			}
		}
		top := ""
		for _, e := range largest(filter(flat, func(fn string) bool { return Category(fn) == c.Name }), 1) {
			top = e.fn
		}
		spot.Hint = KindHint(c.Name, top)
		if spot.WhereAllocs {
			if h := AllocHint(spot.Where[0].Function); h != "" {
				spot.Hint += " " + h
			}
		}
		h.Spots = append(h.Spots, spot)
	}
	return h, nil
}

type valued struct {
	fn string
	v  float64
}

// largest returns the n largest entries of m.
func largest(m map[string]float64, n int) []valued {
	out := make([]valued, 0, len(m))
	for fn, v := range m {
		out = append(out, valued{fn, v})
	}
	slices.SortFunc(out, func(a, b valued) int {
		if c := cmp.Compare(b.v, a.v); c != 0 {
			return c
		}
		return strings.Compare(a.fn, b.fn)
	})
	return out[:min(n, len(out))]
}

func filter(m map[string]float64, keep func(string) bool) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		if keep(k) {
			out[k] = v
		}
	}
	return out
}
