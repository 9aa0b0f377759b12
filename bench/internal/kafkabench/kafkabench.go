// Package kafkabench holds the kafka binding's scenarios on real Kafka,
// with the engine in this process, as an embedding program runs it (and so
// do the references):
//
//   - kafka.produce: N producers, each producing one record and waiting
//     for its ack before the next, through the kafka client binding (a
//     merged produce stream per producer) against franz-go producing
//     directly with the same concurrency and settings;
//
//   - kafka.fanout: R live readers of one topic served by a cache_client
//     and cache_server, all receiving every record, against the same
//     readers fetching through the client alone (a franz-go consumer
//     each).
package kafkabench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/sluicehq/sluice/bench/internal/harness"
	_ "github.com/sluicehq/sluice/bindings/kafka"
	"github.com/sluicehq/sluice/engine"
)

const (
	// Producers is the produce scenario's concurrency.
	Producers = 64
	// Readers is the fan-out scenario's live readers.
	Readers = 1000
	// Records is how many records every reader receives in a fan-out run.
	Records = 2000
	// Size is the value bytes per record.
	Size = 100
)

const pipeline = `
name: bench
bindings:
  cache0:
    type: kafka
    kind: cache_client
    exit: server0
  server0:
    type: kafka
    kind: cache_server
    exit: kafka0
  kafka0:
    type: kafka
    kind: client
    options:
      servers: ["${{env.KAFKA_BOOTSTRAP_SERVERS}}"]
`

// startEngine runs the pipeline in this process.
func startEngine(env *harness.Env) *engine.Engine {
	os.Setenv("KAFKA_BOOTSTRAP_SERVERS", env.Kafka)
	cfg, err := engine.Global().Parse("bench/kafka/zilla.yaml", []byte(pipeline))
	harness.Check(err)
	e, err := engine.New(cfg, engine.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	harness.Check(err)
	harness.Check(e.Start(context.Background()))
	return e
}

// topicName returns a topic name of this run.
func topicName(what string) string {
	return fmt.Sprintf("bench-kafka-%s-%d", what, time.Now().UnixNano())
}

// profiled runs fn once more with this process's CPU profile on, and
// saves the allocations it made, for an engine running in this process:
// the measured runs stay unprofiled.
func profiled(env *harness.Env, fn func()) {
	cpu, mem := env.ProfilePaths()
	if cpu == "" {
		return
	}
	harness.Check(os.MkdirAll(env.ProfileDir, 0o755))
	base := filepath.Join(env.ProfileDir, "mem-base.pprof")
	writeAllocs(base)
	f, err := os.Create(cpu)
	harness.Check(err)
	harness.Check(pprof.StartCPUProfile(f))
	fn()
	pprof.StopCPUProfile()
	f.Close()
	writeAllocs(mem)
	env.Profiled = &harness.Profiles{CPU: cpu, Mem: mem, MemBase: base}
}

func writeAllocs(path string) {
	f, err := os.Create(path)
	harness.Check(err)
	defer f.Close()
	harness.Check(pprof.Lookup("allocs").WriteTo(f, 0))
}
