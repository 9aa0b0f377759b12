package harness

import (
	"fmt"
	"os"
)

const roleEnv = "SLUICE_BENCH_ROLE"

var roles = map[string]func(args []string) error{}

// Role registers a role this program can be started again to play (a
// reference server, a client worker), from an init function.
func Role(name string, run func(args []string) error) {
	if _, dup := roles[name]; dup {
		panic("bench role registered twice: " + name)
	}
	roles[name] = run
}

// Dispatch plays the role this process was started for, if any, and then
// exits; otherwise it returns. Every bench main calls it first.
func Dispatch() {
	name := os.Getenv(roleEnv)
	if name == "" {
		return
	}
	run, ok := roles[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "bench: unknown role %q\n", name)
		os.Exit(2)
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "bench role %s: %v\n", name, err)
		os.Exit(1)
	}
	os.Exit(0)
}
