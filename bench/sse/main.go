// Command sse runs the SSE scenarios (sse.memory on request: -scenarios
// sse.memory) with the benchmark tool; it is `go run ./bench/run -scenarios
// sse.1k,sse.10k` and takes the same flags (-duration, -runs, -profile,
// -out; -list names every scenario).
package main

import (
	"os"

	"github.com/sluicehq/sluice/bench/internal/harness"
	"github.com/sluicehq/sluice/bench/internal/runner"
)

func main() {
	harness.Dispatch()
	os.Exit(runner.Main(os.Args[1:], "sse.1k,sse.10k"))
}
