// Package cli is the sluice command line: start, validate, schema, list
// and version. It runs whatever types the program registered, so a custom
// build is a main package of blank imports calling Main.
//
// Exit codes:
//
//	0  success; for start, a clean shutdown after SIGINT or SIGTERM
//	1  runtime failure: a binding could not start (a port in use), or the
//	   engine failed while running
//	2  usage: unknown command or flag
//	3  invalid configuration: every problem is printed, one per line, with
//	   the file, line and YAML path
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/engine"
)

// Exit codes returned by Main.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
	ExitConfig  = 3
)

// Version is the build's version; release builds set it with
// -ldflags "-X github.com/sluicehq/sluice/cmd/sluice/cli.Version=v1.2.3".
var Version = ""

// Hook lets a build add steps around start, such as starting an embedded
// service before the engine; see RegisterStartHook.
type Hook struct {
	// Flags adds the hook's flags to `start`.
	Flags func(fs *flag.FlagSet)
	// Before runs after flags are parsed and before the configuration is
	// loaded; it may set environment variables the configuration uses.
	// The returned function, if any, runs after the engine stopped.
	Before func(ctx context.Context, log *slog.Logger) (after func(), err error)
}

var hooks []Hook

// RegisterStartHook adds a hook to `start`, from an init function.
func RegisterStartHook(h Hook) { hooks = append(hooks, h) }

const usage = `usage: sluice <command> [flags]

commands:
  start -c FILE     run the pipelines of a zilla.yaml until SIGINT or SIGTERM
  validate -c FILE  check a zilla.yaml completely, without opening any port
  schema            print the JSON Schema of zilla.yaml for this build
  list              list the binding, guard, vault, catalog and exporter types of this build
  version           print the version

Run 'sluice <command> -h' for a command's flags.
`

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ExitUsage
	}
	switch args[0] {
	case "start":
		return start(args[1:], stdout, stderr)
	case "validate":
		return validate(args[1:], stdout, stderr)
	case "schema":
		return schema(stdout, stderr)
	case "list":
		return list(stdout)
	case "version":
		fmt.Fprintln(stdout, "sluice", version())
		return ExitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return ExitOK
	}
	fmt.Fprintf(stderr, "sluice: unknown command %q\n\n%s", args[0], usage)
	return ExitUsage
}

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			if dirty {
				rev += "-dirty"
			}
			return "devel " + rev
		}
	}
	return "devel"
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("sluice "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func start(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("start", stderr)
	file := fs.String("c", "zilla.yaml", "configuration `file`")
	fs.StringVar(file, "config", "zilla.yaml", "configuration `file` (same as -c)")
	verbose := fs.Bool("v", false, "log stream-level events (debug level)")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	grace := fs.Duration("grace", 10*time.Second, "on SIGINT/SIGTERM, how long open streams may finish before they are closed")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to `file` until shutdown")
	memProfile := fs.String("memprofile", "", "write an allocation profile to `file` at shutdown")
	for _, h := range hooks {
		if h.Flags != nil {
			h.Flags(fs)
		}
	}
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	log, err := newLogger(stderr, *verbose, *logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "sluice:", err)
		return ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if stopProfiles, err := startProfiles(*cpuProfile, *memProfile); err != nil {
		log.Error("profile", "error", err)
		return ExitFailure
	} else {
		defer stopProfiles()
	}

	var afters []func()
	defer func() {
		for _, a := range slices.Backward(afters) {
			a()
		}
	}()
	for _, h := range hooks {
		if h.Before == nil {
			continue
		}
		after, err := h.Before(ctx, log)
		if err != nil {
			log.Error("start failed", "error", err)
			return ExitFailure
		}
		if after != nil {
			afters = append(afters, after)
		}
	}

	e, code := build(*file, log, stderr, engine.WithGracePeriod(*grace))
	if e == nil {
		return code
	}
	if err := e.Start(ctx); err != nil {
		log.Error("start failed", "error", err)
		return ExitFailure
	}
	<-ctx.Done()
	stop() // a second signal ends the process at once
	log.Info("shutting down", "grace", grace.String(), "streams", e.LiveStreams())
	if err := e.Shutdown(context.Background()); err != nil {
		log.Error("shutdown", "error", err)
		return ExitFailure
	}
	log.Info("stopped")
	return ExitOK
}

// build loads and constructs the engine, printing configuration problems.
func build(file string, log *slog.Logger, stderr io.Writer, opts ...engine.Option) (*engine.Engine, int) {
	cfg, err := engine.Load(file)
	if err != nil {
		return nil, reportConfig(stderr, err)
	}
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	e, err := engine.New(cfg, append(opts, engine.WithLogger(log))...)
	if err != nil {
		return nil, reportConfig(stderr, err)
	}
	return e, ExitOK
}

func reportConfig(stderr io.Writer, err error) int {
	var ce engine.ConfigErrors
	if errors.As(err, &ce) {
		fmt.Fprintf(stderr, "sluice: invalid configuration (%d %s):\n", len(ce), plural(len(ce), "problem", "problems"))
		for _, e := range ce {
			fmt.Fprintln(stderr, "  "+e.Error())
		}
		return ExitConfig
	}
	fmt.Fprintln(stderr, "sluice:", err)
	if errors.Is(err, os.ErrNotExist) {
		return ExitConfig
	}
	return ExitFailure
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func validate(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("validate", stderr)
	file := fs.String("c", "zilla.yaml", "configuration `file`")
	fs.StringVar(file, "config", "zilla.yaml", "configuration `file` (same as -c)")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e, code := build(*file, log, stderr)
	if e == nil {
		return code
	}
	e.Close()
	fmt.Fprintf(stdout, "%s: valid\n", *file)
	return ExitOK
}

func schema(stdout, stderr io.Writer) int {
	s, err := engine.Global().Schema()
	if err != nil {
		fmt.Fprintln(stderr, "sluice:", err)
		return ExitFailure
	}
	stdout.Write(s)
	fmt.Fprintln(stdout)
	return ExitOK
}

func list(stdout io.Writer) int {
	l := engine.Global().Types()
	var names []string
	for n := range l.Bindings {
		names = append(names, n)
	}
	slices.Sort(names)
	fmt.Fprintln(stdout, "bindings:")
	for _, n := range names {
		kinds := make([]string, len(l.Bindings[n]))
		for i, k := range l.Bindings[n] {
			kinds[i] = string(k)
		}
		fmt.Fprintf(stdout, "  %-12s %s\n", n, strings.Join(kinds, ", "))
	}
	for _, c := range []struct {
		title string
		names []string
	}{{"guards", l.Guards}, {"vaults", l.Vaults}, {"catalogs", l.Catalogs}, {"exporters", l.Exporters}} {
		fmt.Fprintf(stdout, "%s:\n", c.title)
		for _, n := range c.names {
			fmt.Fprintf(stdout, "  %s\n", n)
		}
	}
	return ExitOK
}

// startProfiles starts a CPU profile and arranges an allocation profile;
// the returned function writes them.
func startProfiles(cpu, mem string) (func(), error) {
	var cpuFile *os.File
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		cpuFile = f
	}
	return func() {
		if cpuFile != nil {
			pprof.StopCPUProfile()
			cpuFile.Close()
		}
		if mem != "" {
			if f, err := os.Create(mem); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}
	}, nil
}

func newLogger(w io.Writer, verbose bool, format string) (*slog.Logger, error) {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("unknown log format %q (text or json)", format)
}
