// Command sluice-casing is a custom sluice build: the standard set plus the
// casing binding. This file is all a custom build needs.
package main

import (
	"os"

	"github.com/sluicehq/sluice/cmd/sluice/cli"
	_ "github.com/sluicehq/sluice/cmd/sluice/standard"
	_ "github.com/sluicehq/sluice/examples/custom-binding/casing"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) }
