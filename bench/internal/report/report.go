// Package report writes benchmark results into docs/benchmarks.md. Each
// benchmark owns one section, delimited by <!-- name --> and <!-- /name -->,
// so benchmarks run separately without overwriting each other.
package report

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// WriteSection replaces (or appends) the section named name in the file at
// path with body.
func WriteSection(path, name, body string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	if text == "" {
		text = "# Benchmarks\n\nFigures are ratios against a reference measured in the same run, on the same machine.\nRegenerate with `make bench`.\n"
	}
	open, close := "<!-- "+name+" -->", "<!-- /"+name+" -->"
	section := open + "\n" + strings.TrimSpace(body) + "\n" + close
	if i := strings.Index(text, open); i >= 0 {
		j := strings.Index(text[i:], close)
		if j < 0 {
			return fmt.Errorf("%s: section %s is not closed", path, name)
		}
		text = text[:i] + section + text[i+j+len(close):]
	} else {
		text = strings.TrimRight(text, "\n") + "\n\n" + section + "\n"
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(text), 0o644)
}

// Machine describes where the benchmark ran.
func Machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				model = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
				break
			}
		}
	}
	kernel := ""
	if out, err := exec.Command("uname", "-r").Output(); err == nil {
		kernel = ", Linux " + strings.TrimSpace(string(out))
	}
	return fmt.Sprintf("%d cores, %s%s, %s", runtime.NumCPU(), model, kernel, runtime.Version())
}

// Date returns today's date for the report.
func Date() string { return time.Now().UTC().Format("2006-01-02") }

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

// Percentile returns the p-th percentile (0..100) of sorted durations.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}
