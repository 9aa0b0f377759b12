// Command plain runs the reference servers of the benchmarks as a plain Go
// program of its own (bench/run builds it into bin/bench-plain):
//
//	plain echo ADDR [loop|splice]
//	plain http-echo ADDR
//	plain quickstart ADDR BROKERS TOPIC
package main

import (
	"fmt"
	"os"

	"github.com/sluicehq/sluice/bench/internal/plain"
)

func main() {
	args := os.Args[1:]
	var err error
	switch {
	case len(args) == 3 && args[0] == "echo":
		err = plain.Echo(args[1], args[2])
	case len(args) == 2 && args[0] == "http-echo":
		err = plain.HTTPEcho(args[1])
	case len(args) == 4 && args[0] == "quickstart":
		err = plain.Quickstart(args[1], args[2], args[3])
	default:
		fmt.Fprintln(os.Stderr, "usage: plain echo ADDR loop|splice | http-echo ADDR | quickstart ADDR BROKERS TOPIC")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "plain:", err)
		os.Exit(1)
	}
}
