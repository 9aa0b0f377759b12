// Command kafka runs the kafka binding's scenarios with the benchmark tool;
// it is `go run ./bench/run -scenarios kafka.produce,kafka.fanout` and takes
// the same flags (-duration, -runs, -profile, -out; -list names every
// scenario).
package main

import (
	"os"

	"github.com/sluicehq/sluice/bench/internal/harness"
	"github.com/sluicehq/sluice/bench/internal/runner"
)

func main() {
	harness.Dispatch()
	os.Exit(runner.Main(os.Args[1:], "kafka.produce,kafka.fanout"))
}
