// Command run is the benchmark tool behind `make bench`: every scenario,
// sluice against its reference in the same run, into docs/benchmarks.md
// with a chart per scenario.
//
//	go run ./bench/run [-scenarios default|all|a,b] [-duration 5s] [-runs 3] [-profile DIR] [-out docs/benchmarks.md]
//	go run ./bench/run -list
//
// It builds bin/sluice and the plain reference servers (bin/bench-plain),
// starts real Kafka with scripts/kafka.sh for the scenarios that need it
// and stops it after, and needs h2load for the HTTP scenarios
// (scripts/deps.sh http).
package main

import (
	"os"

	"github.com/sluicehq/sluice/bench/internal/harness"
	"github.com/sluicehq/sluice/bench/internal/runner"
)

func main() {
	harness.Dispatch()
	os.Exit(runner.Main(os.Args[1:], "default"))
}
