package runner

import (
	"slices"
	"testing"

	"github.com/sluicehq/sluice/bench/internal/harness"
)

func names(ss []harness.Scenario) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return out
}

func TestChoose(t *testing.T) {
	def, err := choose("default")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range def {
		if !s.Default {
			t.Errorf("default set has %s", s.Name)
		}
	}
	// The default set is exactly the scenarios marked Default, in the
	// page's order; sse.10k and sse.memory are the issue's own targets.
	var marked []string
	for _, s := range Scenarios {
		if s.Default {
			marked = append(marked, s.Name)
		}
	}
	if !slices.Equal(names(def), marked) || !slices.Contains(names(def), "sse.10k") || !slices.Contains(names(def), "sse.memory") {
		t.Errorf("default set %v, marked %v", names(def), marked)
	}
	all, _ := choose("all")
	if len(all) != len(Scenarios) {
		t.Errorf("all is %d of %d", len(all), len(Scenarios))
	}
	// Named ones come in the page's order, whatever the order asked.
	some, err := choose("sse.1k, tcp.echo")
	if err != nil || !slices.Equal(names(some), []string{"tcp.echo", "sse.1k"}) {
		t.Errorf("choose = %v, %v", names(some), err)
	}
	if _, err := choose("tcp.echo,nope"); err == nil {
		t.Error("an unknown scenario was accepted")
	}
	if _, err := choose(""); err == nil {
		t.Error("no scenario was accepted")
	}
}

func TestScenarioNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Scenarios {
		if seen[s.Name] || s.Run == nil || s.About == "" {
			t.Errorf("scenario %q duplicated or incomplete", s.Name)
		}
		seen[s.Name] = true
	}
}
