// Package runner is the benchmark tool: it builds sluice and the plain
// reference servers, starts real Kafka for the scenarios that need it,
// runs the chosen scenarios one after the other, each sluice against its
// reference in the same run, and rewrites docs/benchmarks.md, its charts
// and docs/bench/results.json. bench/run is its command; the older bench
// commands (bench/tcpecho, bench/http, ...) are the same tool with another
// default set.
package runner

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/bench/internal/harness"
	"github.com/sluicehq/sluice/bench/internal/httpecho"
	"github.com/sluicehq/sluice/bench/internal/httpkafka"
	"github.com/sluicehq/sluice/bench/internal/kafkabench"
	"github.com/sluicehq/sluice/bench/internal/profile"
	"github.com/sluicehq/sluice/bench/internal/quickstart"
	"github.com/sluicehq/sluice/bench/internal/report"
	"github.com/sluicehq/sluice/bench/internal/sse"
	"github.com/sluicehq/sluice/bench/internal/tcpecho"
)

// Scenarios are every scenario, in the page's order.
var Scenarios = []harness.Scenario{
	tcpecho.Scenario,
	httpecho.Scenario,
	quickstart.Startup,
	quickstart.Idle,
	kafkabench.Produce,
	kafkabench.Fanout,
	httpkafka.Oneway,
	httpkafka.Sync,
	httpkafka.Cache,
	sse.Clients1k,
	sse.Clients10k,
	sse.Memory,
}

// options are the command line's.
type options struct {
	scenarios string
	duration  time.Duration
	runs      int
	profile   string
	out       string
	sluice    string
	kafka     string
	list      bool
}

// Main runs the tool with its command-line arguments; preset is the
// default of -scenarios. It returns the exit code.
func Main(args []string, preset string) int {
	started := time.Now()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.scenarios, "scenarios", preset, "comma-separated scenarios to run; \"default\" for the default set, \"all\" for every one (-list names them)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "how long each measurement runs")
	fs.IntVar(&o.runs, "runs", 3, "measurements of each side, alternating")
	fs.StringVar(&o.profile, "profile", "", "save each scenario's sluice CPU and allocation profiles under `dir`/SCENARIO, and name the hot spots on the page")
	fs.StringVar(&o.out, "out", "docs/benchmarks.md", "the page to rewrite; its charts and results go to bench/ beside it (empty: write nothing)")
	fs.StringVar(&o.sluice, "sluice", "", "sluice binary to measure (default: build bin/sluice from this tree)")
	fs.StringVar(&o.kafka, "kafka", "", "bootstrap servers of a running Kafka to use (default: start one with scripts/kafka.sh, and stop it after)")
	fs.BoolVar(&o.list, "list", false, "list the scenarios and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.list {
		for _, s := range Scenarios {
			def := " "
			if s.Default {
				def = "*"
			}
			fmt.Printf("%s %-18s %s\n", def, s.Name, s.About)
		}
		fmt.Println("(* the default set)")
		return 0
	}
	chosen, err := choose(o.scenarios)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	if err := toRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	r := &runner{options: o, started: started}
	go r.onSignal()
	code := r.run(chosen, args)
	r.cleanup()
	return code
}

// choose returns the scenarios a -scenarios value names, in page order.
func choose(names string) ([]harness.Scenario, error) {
	want := map[string]bool{}
	for _, n := range strings.Split(names, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	var out []harness.Scenario
	for _, s := range Scenarios {
		if want["all"] || want["default"] && s.Default || want[s.Name] {
			out = append(out, s)
			delete(want, s.Name)
		}
	}
	delete(want, "all")
	delete(want, "default")
	for n := range want {
		return nil, fmt.Errorf("no scenario %q (-list names them)", n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no scenario chosen")
	}
	return out, nil
}

// toRoot moves to the module's root, where the scripts and examples are.
func toRoot() error {
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/sluicehq/sluice\n") {
			return os.Chdir(dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return fmt.Errorf("not inside the sluice module")
		}
		dir = parent
	}
}

type runner struct {
	options
	started time.Time

	commit string // the tree the binaries were built from

	mu      sync.Mutex
	env     *harness.Env // the scenario running
	broker  *harness.Kafka
	plain   string
	kafkaAt string
}

func (r *runner) run(chosen []harness.Scenario, args []string) int {
	r.commit = report.Commit()
	if err := r.build(); err != nil {
		log.Print(err)
		return 1
	}
	for _, s := range chosen {
		for _, tool := range s.Tools {
			if _, err := exec.LookPath(tool); err != nil {
				log.Printf("%s needs %s: scripts/deps.sh http installs it", s.Name, tool)
				return 1
			}
		}
	}
	// The scenarios without Kafka run first, before its JVM takes memory
	// and some CPU.
	order := slices.Clone(chosen)
	slices.SortStableFunc(order, func(a, b harness.Scenario) int {
		switch {
		case !a.Kafka && b.Kafka:
			return -1
		case a.Kafka && !b.Kafka:
			return 1
		}
		return 0
	})
	store := &report.Store{}
	resultsPath, chartDir := "", ""
	if r.out != "" {
		resultsPath = filepath.Join(filepath.Dir(r.out), "bench", "results.json")
		chartDir = filepath.Join(filepath.Dir(r.out), "bench")
		if err := os.MkdirAll(chartDir, 0o755); err != nil {
			log.Print(err)
			return 1
		}
		var err error
		if store, err = report.LoadStore(resultsPath); err != nil {
			log.Printf("%s: %v (starting afresh)", resultsPath, err)
			store = &report.Store{}
		}
	}
	failed := 0
	for _, s := range order {
		res := r.scenario(s)
		if res.Error != "" {
			failed++
			log.Printf("%s failed: %s", s.Name, res.Error)
		} else {
			log.Printf("%s done in %.0fs: %s", s.Name, res.Seconds, summary(res))
		}
		if r.out == "" {
			continue
		}
		store.Put(res)
		if res.Error == "" {
			if err := report.Chart(res, filepath.Join(chartDir, s.Name+".png")); err != nil {
				log.Printf("%s chart: %v", s.Name, err)
			}
		}
		if err := store.Save(resultsPath); err != nil {
			log.Print(err)
		}
	}
	r.stopKafka()
	wall := time.Since(r.started)
	log.Printf("%d scenarios in %s (%d failed)", len(order), wall.Round(time.Second), failed)
	if r.out == "" {
		return exitCode(failed)
	}
	var names []string
	for _, s := range chosen {
		names = append(names, s.Name)
	}
	// The page's introduction describes the last run of the whole default
	// set; a run of a few scenarios only updates their sections.
	if coversDefault(chosen) || store.Run.Command == "" {
		store.Run = report.Run{Command: command(args), Date: report.Now(), Machine: report.Machine(), Commit: r.commit,
			Seconds: wall.Seconds(), Duration: r.duration.String(), Runs: r.runs, Scenarios: names}
	}
	var results []*report.Scenario
	charts := map[string]string{}
	for _, s := range Scenarios {
		if res := store.Get(s.Name); res != nil {
			results = append(results, res)
			if res.Error == "" {
				charts[s.Name] = "bench/" + s.Name + ".png"
			}
		}
	}
	if err := store.Save(resultsPath); err != nil {
		log.Print(err)
	}
	if err := report.WritePage(r.out, store.Run, results, charts); err != nil {
		log.Print(err)
		return 1
	}
	log.Printf("wrote %s, %s and the charts in %s", r.out, resultsPath, chartDir)
	return exitCode(failed)
}

// coversDefault says whether chosen holds every scenario of the default
// set.
func coversDefault(chosen []harness.Scenario) bool {
	for _, s := range Scenarios {
		if s.Default && !slices.ContainsFunc(chosen, func(c harness.Scenario) bool { return c.Name == s.Name }) {
			return false
		}
	}
	return true
}

func exitCode(failed int) int {
	if failed > 0 {
		return 1
	}
	return 0
}

// command is how the run was asked for, as the page shows it.
func command(args []string) string {
	if c := os.Getenv("SLUICE_BENCH_COMMAND"); c != "" {
		return c
	}
	return strings.TrimSpace("go run ./bench/run " + strings.Join(args, " "))
}

// build builds sluice (unless -sluice names one) and the plain reference
// servers.
func (r *runner) build() error {
	if r.sluice == "" {
		r.sluice = "bin/sluice"
		if err := goBuild(r.sluice, "./cmd/sluice"); err != nil {
			return err
		}
	}
	r.plain = "bin/bench-plain"
	return goBuild(r.plain, "./bench/plain")
}

func goBuild(out, pkg string) error {
	log.Printf("go build -o %s %s", out, pkg)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	return nil
}

// kafka returns the bootstrap servers of the run's Kafka, starting it on
// first use.
func (r *runner) kafkaServers() (string, error) {
	if r.kafka != "" {
		return r.kafka, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.kafkaAt != "" {
		return r.kafkaAt, nil
	}
	state, err := os.MkdirTemp("", "sluice-bench-kafka-")
	if err != nil {
		return "", err
	}
	log.Printf("starting Kafka (scripts/kafka.sh start)")
	k, err := harness.StartKafka(state)
	if err != nil {
		return "", err
	}
	r.broker, r.kafkaAt = k, k.Bootstrap
	log.Printf("Kafka at %s", k.Bootstrap)
	return k.Bootstrap, nil
}

func (r *runner) stopKafka() {
	r.mu.Lock()
	k := r.broker
	r.broker = nil
	r.mu.Unlock()
	if k != nil {
		if err := k.Stop(); err != nil {
			log.Print(err)
		}
	}
}

// scenario runs one scenario and returns its result, or its error.
func (r *runner) scenario(s harness.Scenario) (res *report.Scenario) {
	start := time.Now()
	meta := func(res *report.Scenario, before string) *report.Scenario {
		res.Name = s.Name
		res.Machine, res.Commit, res.Date = report.Machine(), r.commit, report.Now()
		res.LoadBefore, res.LoadAfter = before, harness.LoadAverage()
		res.Seconds = time.Since(start).Seconds()
		res.Command = fmt.Sprintf("go run ./bench/run -scenarios %s -duration %v -runs %d", s.Name, r.duration, r.runs)
		if r.profile != "" {
			res.Command += " -profile " + r.profile
		}
		return res
	}
	before := harness.LoadAverage()
	log.Printf("%s: %s (load %s)", s.Name, s.About, before)
	env, err := harness.NewEnv(s.Name)
	if err != nil {
		return meta(&report.Scenario{Title: s.About, Error: err.Error()}, before)
	}
	env.Sluice, env.Plain, env.Duration, env.Runs = r.sluice, r.plain, r.duration, r.runs
	if r.profile != "" {
		env.ProfileDir = filepath.Join(r.profile, s.Name)
		os.RemoveAll(env.ProfileDir)
	}
	if s.Kafka {
		if env.Kafka, err = r.kafkaServers(); err != nil {
			return meta(&report.Scenario{Title: s.About, Error: err.Error()}, before)
		}
	}
	r.mu.Lock()
	r.env = env
	r.mu.Unlock()
	res, err = runScenario(s, env)
	env.Close() // sluice writes its profiles as it stops
	r.mu.Lock()
	r.env = nil
	r.mu.Unlock()
	if err != nil {
		return meta(&report.Scenario{Title: s.About, Error: err.Error()}, before)
	}
	if p := env.Profiled; p != nil {
		if h, err := profile.Analyze(p.CPU, p.Mem, p.MemBase); err != nil {
			log.Printf("%s: reading its profiles: %v", s.Name, err)
		} else {
			res.Hotspots = h
		}
	}
	return meta(res, before)
}

// runScenario runs a scenario, turning a failure it raised into an error.
func runScenario(s harness.Scenario, env *harness.Env) (res *report.Scenario, err error) {
	defer harness.Recover(&err)
	return s.Run(env), nil
}

// summary is a result in a line, for the log.
func summary(s *report.Scenario) string {
	var parts []string
	for _, v := range s.Verdicts() {
		mark := "met"
		if !v.Met {
			mark = "BELOW"
		}
		parts = append(parts, fmt.Sprintf("%s %s (%s: %s)", v.Measure.Key, v.Figure, v.Target.Text, mark))
	}
	if len(parts) == 0 {
		if m, ok := s.Headline(); ok {
			parts = append(parts, fmt.Sprintf("%s ratio %s", m.Key, m.Comparison()))
		}
	}
	return strings.Join(parts, "; ")
}

// onSignal stops what runs, Kafka included, when the run is interrupted.
func (r *runner) onSignal() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	<-ch
	log.Printf("interrupted: stopping the scenario's processes and Kafka")
	r.cleanup()
	os.Exit(130)
}

func (r *runner) cleanup() {
	r.mu.Lock()
	env := r.env
	r.mu.Unlock()
	if env != nil {
		env.Close()
	}
	r.stopKafka()
}
