// Command httpkafka runs the http-kafka scenarios with the benchmark tool;
// it is `go run ./bench/run -scenarios
// http.kafka.oneway,http.kafka.sync,http.kafka.cache` and takes the same
// flags (-duration, -runs, -profile, -out; -list names every scenario).
package main

import (
	"os"

	"github.com/sluicehq/sluice/bench/internal/harness"
	"github.com/sluicehq/sluice/bench/internal/runner"
)

func main() {
	harness.Dispatch()
	os.Exit(runner.Main(os.Args[1:], "http.kafka.oneway,http.kafka.sync,http.kafka.cache"))
}
