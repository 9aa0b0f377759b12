// Package enginetest runs configurations in an in-process engine for binding
// tests: parse a zilla.yaml snippet against a registry, start it, find the
// addresses its servers listen on, and check that every stream ended.
package enginetest

import (
	"context"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
)

// Options adjust Start.
type Options struct {
	// Registry validates and builds the configuration; the global registry
	// when nil.
	Registry *engine.Registry
	// File names the configuration in messages and anchors relative paths;
	// "zilla.yaml" in the test's folder when empty.
	File string
	// Env supplies ${{env.NAME}} values; the process environment when nil.
	Env map[string]string
	// AllowOpenStreams skips the check, at cleanup, that every stream ended.
	AllowOpenStreams bool
}

// Start parses yaml, builds and starts an engine, and closes it when the
// test ends. At cleanup it fails the test if streams are still open a
// second after the test finished, unless opts.AllowOpenStreams.
func Start(t testing.TB, yaml string, opts ...Options) *engine.Engine {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	e := New(t, yaml, o)
	if err := e.Start(context.Background()); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if !o.AllowOpenStreams && !t.Failed() {
			WaitNoStreams(t, e, time.Second)
		}
		e.Close()
	})
	return e
}

// New parses yaml and builds an engine without starting it.
func New(t testing.TB, yaml string, o Options) *engine.Engine {
	t.Helper()
	reg := o.Registry
	if reg == nil {
		reg = engine.Global()
	}
	file := o.File
	if file == "" {
		file = "zilla.yaml"
	}
	var loadOpts []engine.LoadOption
	if o.Env != nil {
		loadOpts = append(loadOpts, engine.WithEnv(func(k string) (string, bool) {
			v, ok := o.Env[k]
			return v, ok
		}))
	}
	cfg, err := reg.Parse(file, []byte(yaml), loadOpts...)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	e, err := engine.New(cfg, engine.WithLogger(Logger(t)))
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	return e
}

// Addr returns the first address a binding listens on (a tcp server with
// port 0, for example).
func Addr(t testing.TB, e *engine.Engine, binding string) string {
	t.Helper()
	b, ok := e.Binding(binding)
	if !ok {
		t.Fatalf("no binding %q", binding)
	}
	l, ok := b.(interface{ Addrs() []net.Addr })
	if !ok || len(l.Addrs()) == 0 {
		t.Fatalf("binding %q listens on nothing", binding)
	}
	return l.Addrs()[0].String()
}

// WaitNoStreams fails the test unless every stream has ended within d.
func WaitNoStreams(t testing.TB, e *engine.Engine, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for e.LiveStreams() > 0 {
		if time.Now().After(deadline) {
			t.Errorf("%d streams still open %v after the test", e.LiveStreams(), d)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Logger returns a logger writing to the test log; with SLUICE_TEST_DEBUG
// set it includes debug (stream-level) events.
func Logger(t testing.TB) *slog.Logger {
	level := slog.LevelInfo
	if os.Getenv("SLUICE_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// testWriter logs to the test until it ends; goroutines that outlive the
// test must not call t.Log.
type testWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}
