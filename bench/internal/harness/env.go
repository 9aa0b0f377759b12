// Package harness is what every benchmark scenario stands on: the
// scenario's environment (durations, runs, Kafka, profiles), processes
// started for it and stopped after it whatever happens, roles (this
// program started again to play a reference server or a client), h2load,
// and Kafka topics.
package harness

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sluicehq/sluice/bench/internal/report"
)

// Scenario is one benchmark: sluice doing a job against a reference doing
// the same job, measured in the same run.
type Scenario struct {
	// Name is how -scenarios selects it, and its section's anchor.
	Name string
	// About says in a line what it measures (-list prints it).
	About string
	// Kafka says the scenario needs real Kafka.
	Kafka bool
	// Default puts the scenario in the set `make bench` runs.
	Default bool
	// Tools are the commands it runs (h2load).
	Tools []string
	// Run measures and returns the result; a failure stops only this
	// scenario.
	Run func(env *Env) *report.Scenario
}

// Env is what a scenario runs with. Its processes are stopped when the
// scenario ends, and its scratch folder is removed.
type Env struct {
	// Sluice is the sluice binary.
	Sluice string
	// Plain is the reference servers' program (bench/plain).
	Plain string
	// Duration is how long each measurement runs.
	Duration time.Duration
	// Runs is how many times each side is measured, alternating.
	Runs int
	// Kafka is the bootstrap servers of real Kafka, for scenarios that
	// need it.
	Kafka string
	// ProfileDir, when set, is where the scenario saves the CPU and
	// allocation profiles of the sluice process it measures.
	ProfileDir string
	// Tmp is the scenario's scratch folder.
	Tmp string
	// Profiled is set by the scenario to the profiles it saved.
	Profiled *Profiles

	name   string
	mu     sync.Mutex
	procs  []*Proc
	topics []string
}

// Profiles names the profiles a scenario saved.
type Profiles struct {
	CPU, Mem string
	// MemBase, when set, is an allocation profile taken before the
	// measured part, to subtract from Mem (for an engine run in this
	// process, whose allocation profile counts from its start).
	MemBase string
}

// NewEnv returns the environment of the scenario called name.
func NewEnv(name string) (*Env, error) {
	tmp, err := os.MkdirTemp("", "sluice-bench-"+name+"-")
	if err != nil {
		return nil, err
	}
	return &Env{name: name, Tmp: tmp}, nil
}

// Close stops whatever the scenario left running and removes its scratch
// folder.
func (e *Env) Close() {
	e.mu.Lock()
	procs := e.procs
	e.procs = nil
	e.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].Stop()
	}
	e.deleteTopics()
	os.RemoveAll(e.Tmp)
}

// Logf logs a progress line of the scenario.
func (e *Env) Logf(format string, args ...any) {
	log.Printf("%s: %s", e.name, fmt.Sprintf(format, args...))
}

// ProfilePaths returns where the profiles of the scenario's sluice process
// go, or empty strings when none were asked for.
func (e *Env) ProfilePaths() (cpu, mem string) {
	if e.ProfileDir == "" {
		return "", ""
	}
	return filepath.Join(e.ProfileDir, "cpu.pprof"), filepath.Join(e.ProfileDir, "mem.pprof")
}

// failure is what Check and Failf panic with; the runner recovers it into
// the scenario's error.
type failure struct{ err error }

// Check stops the scenario when err is not nil.
func Check(err error) {
	if err != nil {
		panic(failure{err})
	}
}

// Failf stops the scenario with an error.
func Failf(format string, args ...any) {
	panic(failure{fmt.Errorf(format, args...)})
}

// Recover turns a failure raised by Check or Failf into an error; other
// panics go on.
func Recover(err *error) {
	r := recover()
	if r == nil {
		return
	}
	if f, ok := r.(failure); ok {
		*err = f.err
		return
	}
	panic(r)
}

// Errors gathers the first error of goroutines that must not stop the
// process themselves.
type Errors struct {
	mu  sync.Mutex
	err error
}

// Add keeps err if it is the first.
func (e *Errors) Add(err error) {
	if err == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err == nil {
		e.err = err
	}
}

// Err returns the first error added.
func (e *Errors) Err() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// Alternate runs both measurements of run i back to back, the reference's
// first in even runs and sluice's first in odd ones, so that neither side
// always runs on the machine the other one warmed.
func Alternate(i int, reference, sluice func()) {
	if i%2 == 0 {
		reference()
		sluice()
		return
	}
	sluice()
	reference()
}
