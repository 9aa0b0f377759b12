// Command sluice runs stream pipelines declared in a zilla.yaml.
//
// This file is the whole standard build: the types it knows come from
// blank imports, and the command line from package cli. A custom build is a
// copy of this file with other imports; see examples/custom-binding.
package main

import (
	"os"

	"github.com/sluicehq/sluice/cmd/sluice/cli"
	_ "github.com/sluicehq/sluice/cmd/sluice/standard"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) }
